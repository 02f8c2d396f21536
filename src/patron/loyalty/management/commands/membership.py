import json

from django.core.management.base import BaseCommand, CommandError

from patron.loyalty import paid
from patron.loyalty.models import PaidPlan


class Command(BaseCommand):
    help = "Paid memberships: renewals per join cohort and the sBG forecast of renewal, per plan."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        report = sub.add_parser("report", help="each plan's cohorts (members still paying after 0, 1, 2... renewals) and forecast")
        report.add_argument("--plan", help="one plan, by name")
        report.add_argument("--horizon", type=int, default=12, help="periods to project (default 12)")
        report.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, action, plan=None, horizon=12, as_json=False, **options):
        plans = PaidPlan.objects.select_related("program").order_by("name")
        if plan:
            plans = plans.filter(name=plan)
            if not plans:
                raise CommandError(f"no plan named {plan!r}; plans: {', '.join(PaidPlan.objects.values_list('name', flat=True)) or 'none'}")
        if horizon < 1:
            raise CommandError("--horizon must be 1 or more")
        reports = [paid.renewal_report(p, horizon=horizon) for p in plans]
        if as_json:
            self.stdout.write(json.dumps([r.to_dict() for r in reports], indent=2))
            return
        if not reports:
            self.stdout.write("no paid plans yet (add one in the admin: Loyalty > Paid plans)")
        for r in reports:
            self.stdout.write(f"{r.plan} (every {r.period_months} month(s)): {r.running:,} members renewing")
            for c in r.cohorts:
                shares = " ".join(f"{a / c.members:6.1%}" for a in c.active)
                self.stdout.write(f"  joined {c.month}: {c.members:>6,}  {shares}")
            if r.error:
                self.stdout.write(f"  no forecast: {r.error}")
                continue
            self.stdout.write(f"  sBG alpha={r.alpha:.3f} beta={r.beta:.3f}; renewal rate by renewal: "
                              + " ".join(f"{v:.1%}" for v in r.retention[:6]))
            self.stdout.write(f"  still members after 1..{len(r.survival)} periods: " + " ".join(f"{v:.1%}" for v in r.survival))
            self.stdout.write(f"  expected at the next renewal: {r.next_renewals:,.1f} of {r.running:,}")
