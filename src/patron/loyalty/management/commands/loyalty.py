import json

from django.core.management.base import BaseCommand

from patron.loyalty import services, tiers
from patron.loyalty.models import Program


class Command(BaseCommand):
    help = "The daily loyalty run: expire lots past their date, then bring every member's tier up to date."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        daily = sub.add_parser("daily", help="expire lots and evaluate tiers (safe to run more than once a day)")
        daily.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, action, as_json, **options):
        report = {"expired_lots": services.expire_lots(), "programs": {}}
        for program in Program.objects.order_by("name"):
            run = tiers.evaluate(program)
            report["programs"][program.name] = {"upgrades": run.upgrades, "downgrades": run.downgrades, "warnings": run.warnings}
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(f"expired {report['expired_lots']:,} lots")
        for name, run in report["programs"].items():
            self.stdout.write(f"{name}: {run['upgrades']} upgrades, {run['downgrades']} downgrades, {run['warnings']} downgrade warnings")
