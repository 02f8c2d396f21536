import json

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from patron.insights import services


class Command(BaseCommand):
    help = "Compute every customer's scores (RFM segment, loyalty quadrant) and store them, recording segment moves."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")

    def handle(self, *args, **options):
        result = services.refresh_scores()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
            return
        if not result.customers:
            self.stdout.write("no purchases yet: nothing to score")
            return
        table = Table(title=f"Scored {result.customers:,} customers; {result.moved:,} changed segment")
        table.add_column("segment")
        table.add_column("customers", justify="right")
        for name, count in result.segments.items():
            table.add_row(name, f"{count:,}")
        Console(file=self.stdout, width=80).print(table)
        self.stdout.write("loyalty matrix: " + ", ".join(f"{k} {v:,}" for k, v in result.quadrants.items()))
