from django.core.management.base import BaseCommand

from patron.commerce import rates
from patron.core.cli import patron_errors


class Command(BaseCommand):
    help = ("Exchange rates: the European Central Bank's are shipped with Patron; load others (GEL) or newer days "
            "from a CSV file, and list what is known.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("import", help="load a CSV: date,currency,rate (units of the currency per euro, as the ECB "
                                             "quotes), or the ECB's own file (Date, then a column per currency)")
        load.add_argument("file")
        sub.add_parser("list", help="each currency with a rate: where from, its first and last day")

    @patron_errors
    def handle(self, *args, action, file=None, **options):
        if action == "list":
            for currency, found in rates.known().items():
                self.stdout.write(f"{currency}  {found['first']} to {found['last']}  ({found['source']})")
            return
        loaded = rates.import_file(file)
        for currency, (first, last) in loaded.currencies.items():
            self.stdout.write(f"{currency}: rates from {first} to {last}")
        self.stdout.write(f"{loaded.rates} rates loaded, {len(loaded.rejected)} rows refused")
        for line, why in loaded.rejected[:50]:
            self.stderr.write(f"line {line}: {why}")
        if len(loaded.rejected) > 50:
            self.stderr.write(f"... and {len(loaded.rejected) - 50} more")
