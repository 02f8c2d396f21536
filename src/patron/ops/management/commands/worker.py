import json
import logging
import subprocess
import sys
import tempfile
import time

from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError, close_old_connections, connections

from patron.campaigns import services as journeys
from patron.connectors import coupons as store_coupons
from patron.connectors import live as connector_deliveries
from patron.core.cli import patron_errors
from patron.core.errors import InvalidInput
from patron.messaging.delivery import Delivered, deliver_due, release_own_claims
from patron.ops import jobs
from patron.service import services as service_desk

log = logging.getLogger("patron.worker")
LOST_STORE = (OperationalError, InterfaceError)  # the database went away (a restart, the network)
MAX_BACKOFF = 60.0
DAILY_CHECK_SECONDS = 60.0
COUPON_SECONDS = 5.0  # how often new coupons are looked for and written to the shops


class Command(BaseCommand):
    help = ("The one long-running process beside `patron serve`: deliver the outbox (retries with backoff), run the "
            "enabled journeys and sweep the service desk's SLAs every --interval, and start the daily runs (`patron "
            "loyalty daily`, `patron score`) at the shop's local hours. It outlives a database restart and a job that "
            "fails. --once: everything due now (not the daily runs), then exit. --health: when each job last ran.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="process everything that is due and exit")
        parser.add_argument("--batch", type=int, default=200, help="messages claimed at a time (default 200)")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between journey runs (default 60)")
        parser.add_argument("--no-journeys", action="store_true", help="only deliver the outbox")
        parser.add_argument("--no-daily", action="store_true", help="leave the daily runs to someone else")
        parser.add_argument("--processes", type=int, default=1,
                            help="delivery processes side by side (default 1); only the first runs the journeys")
        parser.add_argument("--health", action="store_true",
                            help="say when each job last ran and whether it failed; exit 1 if one failed or is overdue")
        parser.add_argument("--json", action="store_true", dest="as_json")

    @patron_errors
    def handle(self, *args, once, batch, interval, no_journeys, no_daily, processes, health, as_json, **options):
        if health:
            return self._health(as_json)
        if batch < 1:
            raise InvalidInput("--batch must be at least 1")
        if not 1 <= processes <= 64:
            raise InvalidInput("--processes must be between 1 and 64")
        if interval <= 0:
            raise InvalidInput("--interval must be above 0 seconds")
        self.helpers: list[subprocess.Popen] = []
        self.daily: dict[str, tuple[subprocess.Popen, object]] = {}
        self.recorded: dict[str, float] = {}
        self.daily_checked = -DAILY_CHECK_SECONDS
        self.failing: dict[str, bool] = {}
        try:
            self._loop(once, batch, interval, no_journeys, no_daily or no_journeys or once, as_json, processes)
        finally:
            for helper in self.helpers:
                if helper.poll() is None and not once:
                    helper.terminate()
                helper.wait()

    def _loop(self, once, batch, interval, no_journeys, no_daily, as_json, processes):
        last_run, backoff, lost, last_coupons = 0.0, 1.0, False, -COUPON_SECONDS
        while True:
            try:
                if lost:  # back after losing the store: what this process held is queued again
                    release_own_claims()
                    lost = False
                report = {}
                if not no_journeys and time.monotonic() - last_run >= interval:
                    report["journeys"] = self._job(jobs.JOURNEYS, lambda: journeys.run().as_dict())
                    for key, why in ((report["journeys"] or {}).get("errors") or {}).items():
                        self.stderr.write(f"journey {key} did not run: {why}")
                    report["service"] = self._job(jobs.SLA, service_desk.sweep)  # escalations and SLA breaches
                    last_run = time.monotonic()
                if not no_daily:
                    self._daily()
                if not no_journeys:  # one process takes the shops' webhooks (helpers only deliver the outbox)
                    self._job(jobs.WEBHOOKS, connector_deliveries.drain, every=30.0)
                if not no_journeys and (once or time.monotonic() - last_coupons >= COUPON_SECONDS):
                    self._job(jobs.COUPONS, store_coupons.run, every=30.0)  # before the outbox: held messages go sooner
                    last_coupons = time.monotonic()
                self._start_helpers(once, batch, processes)
                delivered = self._job(jobs.DELIVERY, lambda: deliver_due(batch=batch), every=30.0) or Delivered()
                if once:
                    self._gather_helpers(delivered)
                report["delivery"] = vars(delivered)
                if once:
                    self.stdout.write(json.dumps(report, indent=2) if as_json else self._line(report))
                    return
                if delivered.sent or delivered.failed or delivered.suppressed:
                    self.stdout.write(self._line(report))
                backoff = 1.0
                close_old_connections()
                time.sleep(1.0)
            except LOST_STORE as exc:
                if once:
                    raise
                # The store went away: wait, longer each time, and connect again; nothing is lost, since every
                # claim is leased and every step is its own transaction.
                self.stderr.write(f"the database cannot be reached ({str(exc).strip()[:200]}); trying again in {backoff:.0f} s")
                log.warning("database unreachable, retrying in %.0f s: %s", backoff, exc)
                for conn in connections.all():
                    try:
                        conn.close()
                    except LOST_STORE:
                        pass
                time.sleep(backoff)
                backoff, lost = min(backoff * 2, MAX_BACKOFF), True

    def _job(self, name: str, work, *, every: float = 0.0):
        """Run one job, recording its start and end (at most once per `every` seconds while it goes well); a
        failure other than a lost store is logged and kept for --health, and the worker goes on."""
        record = time.monotonic() - self.recorded.get(name, -1e9) >= every or self.failing.get(name)
        if record:
            jobs.started(name)
        try:
            result = work()
        except LOST_STORE:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad row or rule must not end the one long-running process
            log.exception("%s failed", name)
            self.stderr.write(f"{name} failed: {type(exc).__name__}: {exc}")
            close_old_connections()
            jobs.finished(name, error=f"{type(exc).__name__}: {exc}")
            self.failing[name] = True
            return None
        if record:
            jobs.finished(name)
            self.recorded[name], self.failing[name] = time.monotonic(), False
        return result

    def _daily(self):
        """Start each daily run that is due, in a child process; record how each that ended went."""
        for name, (process, errors) in list(self.daily.items()):
            if process.poll() is None:
                continue
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace").strip()[-2000:]
            errors.close()
            del self.daily[name]
            self.daily_checked = -DAILY_CHECK_SECONDS  # the next one due may start at once
            jobs.finished(name, error="" if process.returncode == 0 else f"exit {process.returncode}: {tail}")
            if process.returncode:
                self.stderr.write(f"{name} failed (exit {process.returncode}): {tail[-300:]}")
        if self.daily or time.monotonic() - self.daily_checked < DAILY_CHECK_SECONDS:
            return  # one daily run at a time; whether one is due is asked once a minute, not every round
        self.daily_checked = time.monotonic()
        job = next((job for job in jobs.DAILY if jobs.daily_due(job)), None)  # in order: loyalty, then the scores
        if job is not None:
            jobs.started(job.name)
            errors = tempfile.TemporaryFile()
            self.daily[job.name] = (subprocess.Popen([sys.executable, "-m", "patron.cli", *job.command],
                                                     stdout=subprocess.DEVNULL, stderr=errors), errors)

    def _start_helpers(self, once, batch, processes):
        if len(self.helpers) < processes - 1:
            # Started after the first journey run, so they find its messages. Claims are serialised in the
            # database: more processes never send a message twice; they overlap one another's waits.
            self.helpers.extend(subprocess.Popen(
                [sys.executable, "-m", "patron.cli", "worker", "--no-journeys", "--batch", str(batch),
                 *(["--once", "--json"] if once else [])], stdout=subprocess.PIPE if once else None)
                for _ in range(processes - 1 - len(self.helpers)))

    def _gather_helpers(self, delivered: Delivered):
        for helper in self.helpers:
            out, _ = helper.communicate()
            if helper.returncode:
                raise InvalidInput(f"a delivery process failed (exit {helper.returncode})")
            delivered.add(Delivered(**json.loads(out)["delivery"]))

    def _health(self, as_json: bool):
        rows = jobs.health()
        bad = [r for r in rows if r["failed"] or r["overdue"]]
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2, cls=DjangoJSONEncoder))
        else:
            for r in rows:
                state = ("running" if r["running"] else "failed" if r["failed"] else "never ran" if not r["ok_at"]
                         else "overdue" if r["overdue"] else "ok")
                last = r["finished_at"] or r["started_at"]
                line = f"{r['job']:<14} {state:<9} last run {last:%Y-%m-%d %H:%M:%S %Z}" if last else f"{r['job']:<14} {state}"
                if r["failed"]:
                    line += f": {r['error'].splitlines()[-1][:200] if r['error'] else ''}"
                self.stdout.write(line)
        if bad:
            sys.exit(1)

    @staticmethod
    def _line(report: dict) -> str:
        d = report["delivery"]
        entered = sum(((report.get("journeys") or {}).get("entered") or {}).values())
        return (f"{entered:,} entered journeys; {d['sent']:,} sent, {d['suppressed']:,} suppressed, {d['deferred']:,} waiting "
                f"for quiet hours to end, {d['retried']:,} to retry, {d['failed']:,} failed")
