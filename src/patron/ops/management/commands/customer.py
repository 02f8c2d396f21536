import json

from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder

from patron.core.cli import patron_errors
from patron.customers import services


class Command(BaseCommand):
    help = "GDPR requests for one customer: export everything held about them, or erase their personal data."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="print everything held about the customer as JSON")
        export.add_argument("external_id")
        erase = sub.add_parser("erase", help="erase personal data; order facts stay, anonymised")
        erase.add_argument("external_id")
        erase.add_argument("--reason", default="data subject request")
        erase.add_argument("--by", default="", help="who asked or carried it out")

    @patron_errors
    def handle(self, *args, action, external_id, **options):
        customer = services.get_customer(external_id)
        if action == "export":
            self.stdout.write(json.dumps(services.export_customer(customer), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False))
            return
        erasure = services.erase_customer(customer, requested_by=options["by"], reason=options["reason"])
        self.stdout.write(f"erased customer {external_id} at {erasure.erased_at.isoformat()} (erasure #{erasure.pk})")
