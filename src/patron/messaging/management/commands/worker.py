import json
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from patron.campaigns import services as journeys
from patron.core.cli import patron_errors
from patron.core.errors import InvalidInput
from patron.messaging.delivery import deliver_due


class Command(BaseCommand):
    help = "Run the enabled journeys and deliver the outbox (retries with backoff); --once: everything due, then exit."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="process everything that is due and exit")
        parser.add_argument("--batch", type=int, default=200, help="messages claimed at a time (default 200)")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between journey runs (default 60)")
        parser.add_argument("--no-journeys", action="store_true", help="only deliver the outbox")
        parser.add_argument("--json", action="store_true", dest="as_json")

    @patron_errors
    def handle(self, *args, once, batch, interval, no_journeys, as_json, **options):
        if batch < 1:
            raise InvalidInput("--batch must be at least 1")
        last_run = 0.0
        while True:
            report = {}
            if not no_journeys and time.monotonic() - last_run >= interval:
                report["journeys"] = journeys.run().as_dict()
                last_run = time.monotonic()
            delivered = deliver_due(batch=batch)
            report["delivery"] = vars(delivered)
            if once:
                self.stdout.write(json.dumps(report, indent=2) if as_json else self._line(report))
                return
            if delivered.sent or delivered.failed or delivered.suppressed:
                self.stdout.write(self._line(report))
            close_old_connections()
            time.sleep(1.0)

    @staticmethod
    def _line(report: dict) -> str:
        d = report["delivery"]
        entered = sum(report.get("journeys", {}).get("entered", {}).values())
        return (f"{entered:,} entered journeys; {d['sent']:,} sent, {d['suppressed']:,} suppressed, {d['deferred']:,} waiting "
                f"for quiet hours to end, {d['retried']:,} to retry, {d['failed']:,} failed")
