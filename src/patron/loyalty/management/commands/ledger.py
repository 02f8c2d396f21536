from django.core.management.base import BaseCommand, CommandError

from patron.loyalty import services


class Command(BaseCommand):
    help = "The points ledger: `patron ledger verify` recomputes every balance and lot from the entries."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="exit 1 and list every difference between the entries and the stored balances")

    def handle(self, *args, action, **options):
        problems = services.verify()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"the ledger does not balance: {len(problems)} difference(s)", returncode=1)
        self.stdout.write("the ledger balances: every wallet and lot matches its entries, and all accounts total zero")
