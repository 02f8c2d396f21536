from django.core.management.base import BaseCommand

from patron.api import services
from patron.api.models import ApiKey
from patron.core.cli import patron_errors


class Command(BaseCommand):
    help = "API keys for /api/v1: `patron apikey create --name NAME --scopes S1,S2` prints the new key once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it (only its hash is kept)")
        create.add_argument("--name", required=True)
        create.add_argument("--scopes", required=True, help=f"comma-separated: {', '.join(ApiKey.SCOPES)}")

    @patron_errors
    def handle(self, *args, action, name, scopes, **options):
        key, secret = services.create_key(name, [s.strip() for s in scopes.split(",") if s.strip()])
        self.stdout.write(secret)
        self.stderr.write(f"key {key.prefix}... for {key.name} with {', '.join(key.scopes)}: keep it now, it cannot be shown again")
