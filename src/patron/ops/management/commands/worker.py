import json
import subprocess
import sys
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from patron.campaigns import services as journeys
from patron.core.cli import patron_errors
from patron.core.errors import InvalidInput
from patron.messaging.delivery import Delivered, deliver_due
from patron.service import services as service_desk


class Command(BaseCommand):
    help = "Run the enabled journeys, sweep the service desk's SLAs and deliver the outbox (retries with backoff); --once: everything due, then exit."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="process everything that is due and exit")
        parser.add_argument("--batch", type=int, default=200, help="messages claimed at a time (default 200)")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between journey runs (default 60)")
        parser.add_argument("--no-journeys", action="store_true", help="only deliver the outbox")
        parser.add_argument("--processes", type=int, default=1,
                            help="delivery processes side by side (default 1); only the first runs the journeys")
        parser.add_argument("--json", action="store_true", dest="as_json")

    @patron_errors
    def handle(self, *args, once, batch, interval, no_journeys, processes, as_json, **options):
        if batch < 1:
            raise InvalidInput("--batch must be at least 1")
        if not 1 <= processes <= 64:
            raise InvalidInput("--processes must be between 1 and 64")
        helpers: list[subprocess.Popen] = []
        try:
            self._loop(once, batch, interval, no_journeys, as_json, processes, helpers)
        finally:
            for helper in helpers:
                if helper.poll() is None and not once:
                    helper.terminate()
                helper.wait()

    def _loop(self, once, batch, interval, no_journeys, as_json, processes, helpers):
        last_run = 0.0
        while True:
            report = {}
            if not no_journeys and time.monotonic() - last_run >= interval:
                report["journeys"] = journeys.run().as_dict()
                for key, why in report["journeys"]["errors"].items():
                    self.stderr.write(f"journey {key} did not run: {why}")
                report["service"] = service_desk.sweep()  # escalations and SLA breaches
                last_run = time.monotonic()
            if len(helpers) < processes - 1:
                # Started after the first journey run, so they find its messages. Claims are serialised in the
                # database: more processes never send a message twice; they overlap one another's waits.
                helpers.extend(subprocess.Popen(
                    [sys.executable, "-m", "patron.cli", "worker", "--no-journeys", "--batch", str(batch),
                     *(["--once", "--json"] if once else [])], stdout=subprocess.PIPE if once else None)
                    for _ in range(processes - 1 - len(helpers)))
            delivered = deliver_due(batch=batch)
            if once:
                for helper in helpers:
                    out, _ = helper.communicate()
                    if helper.returncode:
                        raise InvalidInput(f"a delivery process failed (exit {helper.returncode})")
                    delivered.add(Delivered(**json.loads(out)["delivery"]))
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
