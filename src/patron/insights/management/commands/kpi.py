import json

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from patron import analytics
from patron.analytics.frames import materialize
from patron.insights import money, store

LABELS = {
    "customer_retention_rate": ("Customer retention rate", "%"), "churn_rate": ("Churn rate", "%"),
    "nps": ("NPS", ""), "csat": ("CSAT", "%"), "clv": ("CLV (simple)", "money"),
    "repeat_purchase_rate": ("Repeat purchase rate", "%"), "average_order_value": ("Average order value", "money"),
    "purchase_frequency": ("Purchase frequency", ""), "customers_start": ("Customers at start", ""),
    "customers_end": ("Customers at end", ""), "new_customers": ("New customers", ""),
    "lost_customers": ("Lost customers", ""), "first_time_customers": ("  of the new: first purchase", ""),
    "reactivated_customers": ("  of the new: won back", ""), "orders": ("Orders", ""), "revenue": ("Revenue", "money"),
}


class Command(BaseCommand):
    help = "Retention KPIs for a period (dates inclusive, UTC), from the orders and survey answers in the store."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--window-days", type=int, default=365,
                            help="a customer counts while their last purchase is this recent (default 365)")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON instead of a table")

    def handle(self, *args, start, end, window_days, as_json: bool, **options):
        try:
            converted = money.purchases()
            report = analytics.kpis(converted.orders, "customer_id", "placed_at", "value", start, end,
                                    window_days=window_days, surveys=materialize(store.surveys()))
        except analytics.AnalyticsError as exc:
            raise CommandError(str(exc), returncode=2) from None
        report.update(converted.as_dict())  # the money's currency, and the orders left out of it for want of a rate
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
            return
        table = Table(title=f"KPIs {start} to {end} (window {window_days} days)")
        table.add_column("KPI")
        table.add_column("value", justify="right")
        for key, (label, unit) in LABELS.items():
            value = report[key]
            if unit == "money":
                unit = f" {report['currency']}"
            table.add_row(label, "n/a" if value is None else f"{value:,}{unit}")
        Console(file=self.stdout, width=80).print(table)
        for lost in report["left_out"]:
            self.stdout.write(f"Left out of the money figures: {lost['orders']:,} orders in {lost['currency']} "
                              f"({lost['amount']:,.2f} {lost['currency']}) with no exchange rate on their days; "
                              f"load rates with `patron rates import FILE`.")

