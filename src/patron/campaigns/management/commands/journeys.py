import datetime as dt
import json

from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_datetime
from django.utils import timezone

from patron.campaigns import reports, services, variants
from patron.core.cli import patron_errors
from patron.core.errors import InvalidInput


class Command(BaseCommand):
    help = "Lifecycle journeys: list them with their counts, switch them on and off, run them, report their uplift."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="every journey with entered, held out, converted, sent and suppressed")
        listing.add_argument("--json", action="store_true", dest="as_json")
        enable = sub.add_parser("enable", help="switch a journey on: only customers who qualify from now on enter, "
                                                "unless --backlog (it says how many qualify today)")
        enable.add_argument("key")
        enable.add_argument("--backlog", action="store_true",
                            help="also take in the customers who qualify today (a lapsed journey: everyone lapsed now)")
        for name, text in (("disable", "switch a journey off at once: nobody enters, its unsent messages are not sent"),
                           ("pause", "hold a journey: nobody enters, no step moves, its queued messages wait"),
                           ("resume", "go on with a paused journey")):
            one = sub.add_parser(name, help=text)
            one.add_argument("key")
        run = sub.add_parser("run", help="one pass of the enabled journeys (the worker does this every minute)")
        run.add_argument("keys", nargs="*", help="only these journeys")
        run.add_argument("--at", help="ISO datetime to run as of (default: now)")
        run.add_argument("--json", action="store_true", dest="as_json")
        report = sub.add_parser("report", help="treated against held-out: conversion, revenue, retention, with 95%% intervals")
        report.add_argument("key")
        report.add_argument("--json", action="store_true", dest="as_json")
        chosen = sub.add_parser("winner", help="make a variant (A, B or C) the one every treated customer gets from now on")
        chosen.add_argument("key")
        chosen.add_argument("variant")

    @patron_errors
    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_list(self, as_json, **_):
        rows = services.counts()
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        self.stdout.write(f"{'journey':<20} {'state':<6} {'trigger':<16} {'entered':>9} {'held out':>9} {'converted':>9} "
                          f"{'sent':>9} {'queued':>8} {'suppressed':>10} {'bounced':>8}")
        for r in rows:
            self.stdout.write(f"{r['key']:<20} {r['state']:<6} {r['trigger']:<16} {r['entered']:>9,} "
                              f"{r['held_out']:>9,} {r['converted']:>9,} {r['sent']:>9,} {r['queued']:>8,} {r['suppressed']:>10,} "
                              f"{r['bounced']:>8,}")

    def do_enable(self, key, backlog, **_):
        today = services.qualifying(key)
        journey = services.enable(key, backlog=backlog)
        held = f"holding out {journey.holdout_share:.0%} of entrants"
        if backlog:
            self.stdout.write(f"{journey.key}: enabled with its backlog: the {today:,} customers who qualify today enter "
                              f"at the next run ({held})")
        else:
            self.stdout.write(f"{journey.key}: enabled for customers who qualify from now on ({held}); the {today:,} who "
                              "qualify today do not enter (`--backlog` takes them in)")

    def do_disable(self, key, **_):
        services.disable(key)
        self.stdout.write(f"{key}: disabled; nobody enters, and its messages not yet sent are not sent")

    def do_pause(self, key, **_):
        services.pause(key)
        self.stdout.write(f"{key}: paused; `patron journeys resume {key}` goes on")

    def do_resume(self, key, **_):
        services.resume(key)
        self.stdout.write(f"{key}: resumed")

    def do_run(self, keys, at, as_json, **_):
        when = timezone.now()
        if at:
            when = parse_datetime(at)
            if when is None:
                raise InvalidInput(f"--at: {at!r} is not an ISO datetime")
            if timezone.is_naive(when):
                when = when.replace(tzinfo=dt.timezone.utc)
        result = services.run(when, keys or None)
        if as_json:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
            return
        for key, n in result.entered.items():
            self.stdout.write(f"{key}: {n:,} entered")
        for step, n in result.steps.items():
            self.stdout.write(f"  {step}: {n:,} moved on")
        for key, why in result.errors.items():
            self.stderr.write(f"{key}: did not run: {why}")

    def do_winner(self, key, variant, **_):
        journey = variants.choose(services.get_journey(key), variant)
        self.stdout.write(f"{journey.key}: variant {variants.letter(journey.winner)} won; every treated customer gets it "
                          "from now on")

    def do_report(self, key, as_json, **_):
        report = services.report(key)
        if as_json:
            self.stdout.write(json.dumps(report, indent=2, default=str))
            return
        self.stdout.write(reports.as_text(report))
        d = report["delivery"]
        self.stdout.write(f"  messages: {d['sent']:,} sent, {d['queued']:,} waiting, {d['suppressed']:,} not sent (consent, "
                          f"caps, suppressed addresses), {d['failed']:,} failed; {d['bounced']:,} bounced or complained")
        c = report["clicks"]
        self.stdout.write(f"  clicks: {c['clicks']:,} on {c['messages_clicked']:,} messages; {c['orders']:,} orders within "
                          f"{c['attribution_days']} days of one, {c['revenue']:,.2f} {c['currency']}")
        if "messages_opened" in c:
            self.stdout.write(f"  opened (the image loaded, by a reader or their mail app): {c['messages_opened']:,} messages")
        for row in c["by_message"]:
            self.stdout.write(f"    {row['template']}: {row['clicks']:,} clicks, {row['orders']:,} orders, "
                              f"{row['revenue']:,.2f} {c['currency']}")
