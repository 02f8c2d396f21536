import json

from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder

from patron.api import services
from patron.api.models import ApiKey
from patron.core.cli import patron_errors


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "never"


class Command(BaseCommand):
    help = ("API keys for /api/v1: `create --name NAME --scopes S1,S2` prints the new key once; `list` shows every key "
            "with its last use; `revoke PREFIX` refuses it from the next request on.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it (only its hash is kept)")
        create.add_argument("--name", required=True)
        create.add_argument("--scopes", required=True, help=f"comma-separated: {', '.join(ApiKey.SCOPES)}")
        listing = sub.add_parser("list", help="every key: prefix, name, scopes, created, last used, revoked")
        listing.add_argument("--json", action="store_true", dest="as_json")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix (as `list` shows it)")
        revoke.add_argument("prefix")

    @patron_errors
    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_create(self, name, scopes, **_):
        key, secret = services.create_key(name, [s.strip() for s in scopes.split(",") if s.strip()])
        self.stdout.write(secret)
        self.stderr.write(f"key {key.prefix}... for {key.name} with {', '.join(key.scopes)}: keep it now, it cannot be shown again")

    def do_list(self, as_json, **_):
        rows = [{"prefix": k.prefix, "name": k.name, "scopes": k.scopes, "created_at": k.created_at,
                 "last_used_at": k.last_used_at, "revoked_at": k.revoked_at} for k in services.keys()]
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2, cls=DjangoJSONEncoder))
            return
        if not rows:
            self.stdout.write("no API keys yet: `patron apikey create --name NAME --scopes S1,S2`")
            return
        self.stdout.write(f"{'prefix':<12} {'name':<24} {'created':<16} {'last used':<16} {'state':<8} scopes")
        for r in rows:
            state = "revoked" if r["revoked_at"] else "active"
            self.stdout.write(f"{r['prefix'] + '...':<12} {r['name'][:24]:<24} {_when(r['created_at']):<16} "
                              f"{_when(r['last_used_at']):<16} {state:<8} {','.join(r['scopes'])}")

    def do_revoke(self, prefix, **_):
        key = services.revoke_key(prefix)
        self.stdout.write(f"revoked {key.prefix}... ({key.name}); requests with it are refused from now on")
