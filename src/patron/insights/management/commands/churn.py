import json

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from patron.analytics import AnalyticsError
from patron.analytics import churn as analytics_churn
from patron.analytics.frames import materialize
from patron.insights import money, store
from patron.insights.management.commands._backtest import backtest_arguments


class Command(BaseCommand):
    help = "Churn classifier: `patron churn backtest` trains at one cut-off, tests at the next, and reports AUC, calibration and lift beside BG/NBD."

    def add_arguments(self, parser):
        backtest_arguments(parser, "train, test and report on the store's own history",
                           "churn: no purchase within this many days (default 90)")

    def handle(self, *args, action, cutoff, horizon_days, as_json, **options):
        try:
            report = analytics_churn.backtest(money.purchases().priced(), "customer_id", "placed_at", "value", cutoff,
                                              horizon_days=horizon_days, refunds=materialize(store.refunds()),
                                              categories=materialize(store.categories()))
        except AnalyticsError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        console = Console(file=self.stdout, width=100)
        console.print(f"Cut-off {report.cutoff:%Y-%m-%d}, churn = no purchase in {report.horizon_days} days; "
                      f"trained on {report.train_customers:,}, tested on {report.test_customers:,} active customers "
                      f"({100 * report.churn_rate:.1f} % churned)")
        summary = Table(title="Classifier against the probability models, each scored for this question")
        for column in ("", "AUC", "Brier score"):
            summary.add_column(column, justify="right")
        summary.add_row("classifier", f"{report.auc:.3f}", f"{report.brier:.3f}")
        for baseline in report.baselines:
            summary.add_row(baseline["name"], f"{baseline['auc']:.3f}", "-" if baseline["brier"] is None else f"{baseline['brier']:.3f}")
        console.print(summary)
        console.print(f"Ranks churners best here: {report.best}")
        if report.baseline_note:
            console.print(report.baseline_note)
        lift = Table(title="Lift by decile of predicted risk (1 = riskiest)")
        for column in ("decile", "customers", "churned", "lift", "BG/NBD churned", "BG/NBD lift"):
            lift.add_column(column, justify="right")
        for row in report.lift.itertuples():
            baseline = ("-", "-") if report.baseline_auc is None else (f"{100 * row.baseline_churn_rate:.1f} %", f"{row.baseline_lift:.2f}")
            lift.add_row(str(row.decile), f"{row.customers:,}", f"{100 * row.churn_rate:.1f} %", f"{row.lift:.2f}", *baseline)
        console.print(lift)
        calibration = Table(title="Calibration: predicted risk against what happened")
        for column in ("predicted", "observed", "customers"):
            calibration.add_column(column, justify="right")
        for row in report.calibration.itertuples():
            calibration.add_row(f"{100 * row.predicted:.1f} %", f"{100 * row.observed:.1f} %", f"{row.customers:,}")
        console.print(calibration)
