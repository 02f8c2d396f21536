import json

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from patron.analytics import AnalyticsError
from patron.analytics import forecast
from patron.insights import money
from patron.insights.management.commands._backtest import backtest_arguments


class Command(BaseCommand):
    help = ("Purchase forecasts: `patron forecast backtest` forecasts each customer's purchases after a cut-off with every "
            "model and the Patron forecast, and compares them with what happened.")

    def add_arguments(self, parser):
        backtest_arguments(parser, "forecast from the history up to a cut-off and compare with what followed",
                           "how far ahead to forecast, in days (default 90)")

    def handle(self, *args, action, cutoff, horizon_days, as_json, **options):
        if horizon_days < 1:
            raise CommandError(f"--horizon-days must be at least 1, not {horizon_days}", returncode=2)
        try:
            report = forecast.backtest(money.purchases().priced(), "customer_id", "placed_at", cutoff, horizon=horizon_days)
        except AnalyticsError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        console = Console(file=self.stdout, width=110)
        console.print(f"Cut-off {report.cutoff:%Y-%m-%d}, forecasting {horizon_days} days ahead for {report.customers:,} customers, "
                      f"who then made {report.actual:,.0f} purchases (days with an order)")
        console.print(_table("Purchases per customer in the horizon: forecast against what happened", report.scores))
        console.print(f"Closest per customer (lowest RMSE): {report.winner}")
        if report.inner:
            console.print(_table(f"How the Patron forecast chose: a backtest at {report.inner_cutoff:%Y-%m-%d}, before the cut-off",
                                 report.inner))
        console.print(f"The Patron forecast took: {report.choice}")
        for note in report.notes:
            console.print(note)


def _table(title: str, scores) -> Table:
    table = Table(title=title)
    for column in ("model", "forecast", "total error", "MAE", "RMSE", "correlation"):
        table.add_column(column, justify="right")
    for s in scores:
        table.add_row(s.name, f"{s.predicted:,.0f}", f"{s.error_pct:+.1f} %", f"{s.mae:.3f}", f"{s.rmse:.3f}",
                      "-" if s.correlation != s.correlation else f"{s.correlation:.3f}")
    return table
