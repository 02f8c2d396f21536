import json

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from patron.analytics import forecast as analytics_forecast
from patron.ops.scoring import score_everything


class Command(BaseCommand):
    help = ("Compute every customer's scores and store them: RFM segment (recording segment moves), loyalty "
            "quadrant, and from the models P(alive), expected purchases in 90 and 365 days and a 12-month CLV.")

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the counts as JSON")

    def handle(self, *args, as_json: bool, **options):
        console = Console(stderr=True)
        if console.is_terminal:
            with console.status("scoring") as status:
                result = score_everything(progress=lambda phase: status.update(f"scoring: {phase}"))
        else:
            result = score_everything()
        if as_json:
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
        if result.model_fit:
            self.stdout.write(f"predictions from model fit #{result.model_fit}" + (f" ({result.model_note})" if result.model_note else ""))
        else:
            self.stdout.write(f"no predictions: {result.model_note}")
        forecast, churn = result.choices.get("forecast"), result.choices.get("churn")
        if forecast and forecast.get("runner_up"):
            margin = (f"level with {forecast['runner_up']} (RMSE {forecast['rmse']:.4f} against {forecast['runner_up_rmse']:.4f})"
                      if analytics_forecast.level(forecast) else f"its RMSE {forecast['lower_pct']:.1f} % below {forecast['runner_up']}'s")
            self.stdout.write(f"forecast: {forecast['model']}, {margin} in the shop's backtest from {forecast['backtest_cutoff'][:10]}")
        if churn:
            others = ", ".join(f"{name} {auc:.3f}" for name, auc in churn["auc"].items() if name != churn["score"])
            self.stdout.write(f"churn risk: {churn['score']}, AUC {churn['auc'][churn['score']]:.3f} in the shop's backtest "
                              f"from {churn['cutoff']} ({others})")
