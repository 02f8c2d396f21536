import json

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from patron import analytics
from patron.analytics.frames import materialize
from patron.insights import store


class Command(BaseCommand):
    help = "Monthly acquisition cohorts: the share of each month's new customers who bought again k months later."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first cohort month, YYYY-MM-DD (default: the first)")
        parser.add_argument("--until", help="last cohort month, YYYY-MM-DD (default: the last)")
        parser.add_argument("--months", type=int, default=12, help="months since the first purchase to show (default 12)")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON (every cohort and month) instead of a table")

    def handle(self, *args, since, until, months, as_json: bool, **options):
        try:
            cohorts = analytics.cohort_retention(materialize(store.orders()), "customer_id", "placed_at", since=since, until=until)
        except analytics.AnalyticsError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if as_json:
            records = [{**row, "cohort": row["cohort"].isoformat(), "rate": round(row["rate"], 4)}
                       for row in cohorts.to_dict("records")]
            self.stdout.write(json.dumps(records, indent=2))
            return
        if cohorts.empty:
            self.stdout.write("no purchases yet")
            return
        rates = analytics.cohort_table(cohorts)
        sizes = analytics.cohort_table(cohorts, "cohort_size").iloc[:, 0]
        shown = [m for m in rates.columns if m <= months]
        table = Table(title="Retention by monthly cohort (% of the cohort buying in month k)")
        table.add_column("cohort")
        table.add_column("customers", justify="right")
        for month in shown:
            table.add_column(str(month), justify="right")
        for cohort, row in rates.iterrows():
            cells = ["" if row[m] != row[m] else f"{100 * row[m]:.0f}" for m in shown]
            table.add_row(f"{cohort:%Y-%m}", f"{int(sizes[cohort]):,}", *cells)
        Console(file=self.stdout, width=max(80, 20 + 5 * len(shown))).print(table)
