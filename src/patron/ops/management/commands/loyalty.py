import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from patron.dashboard import snapshots
from patron.loyalty import paid, programme, services, tiers
from patron.portal import auth as portal_auth
from patron.loyalty.models import Program


class Command(BaseCommand):
    help = "The daily loyalty run: expire lots, renew paid memberships, evaluate tiers, give birthday bonuses, note points expiring soon, report the liability."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        daily = sub.add_parser("daily", help="expire lots and evaluate tiers (safe to run more than once a day)")
        daily.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, action, as_json, **options):
        report = {"expired_lots": services.expire_lots(), "programs": {}}
        renewals = paid.renew_due()
        report["memberships"] = {**renewals, "reminders": paid.remind_renewals()}
        report["portal_records_purged"] = portal_auth.purge()
        today = timezone.now().date()
        for program in Program.objects.order_by("name"):
            run = tiers.evaluate(program)
            owed = programme.liability(program)
            report["programs"][program.name] = {
                "upgrades": run.upgrades, "downgrades": run.downgrades, "warnings": run.warnings,
                "birthday_bonuses": programme.birthday_bonuses(program, today), "expiry_notices": programme.expiry_notices(program),
                "outstanding_points": owed.outstanding_points, "liability": str(owed.value),
                "expiring_points": {f"{days}_days": points for days, points in owed.expiring.items()},
            }
        now = timezone.now()
        snapshots.save("loyalty", snapshots.loyalty(now), now)  # the dashboard's loyalty page
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(f"expired {report['expired_lots']:,} lots")
        runs = report["memberships"]
        self.stdout.write(f"paid memberships: {runs['renewed']:,} renewed, {runs['ended']:,} ended, {runs['reminders']:,} renewal reminders")
        for name, run in report["programs"].items():
            self.stdout.write(f"{name}: {run['upgrades']} upgrades, {run['downgrades']} downgrades, {run['warnings']} downgrade warnings, "
                              f"{run['birthday_bonuses']} birthday bonuses, {run['expiry_notices']} expiry reminders; "
                              f"{run['outstanding_points']:,} points outstanding, worth {run['liability']}")
