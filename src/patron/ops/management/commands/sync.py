import json

from django.core.management.base import BaseCommand

from patron.connectors import backfill, services
from patron.connectors.models import Connection
from patron.connectors.platform import ShopRefused, ShopUnreachable
from patron.core.cli import patron_errors, progress_bar
from patron.core.errors import InvalidInput
from patron.core.values import parse_day


class Command(BaseCommand):
    help = ("Read the connected shop into Patron: customers, then orders with their lines, page by page through the "
            "import engine; resumes where an interrupted run stopped, and later runs read only what changed.")

    def add_arguments(self, parser):
        parser.add_argument("id", nargs="?", help="one connection (default: every one)")
        parser.add_argument("--since", help="only orders created after this date (a first look at a big shop)")
        parser.add_argument("--again", action="store_true", help="read everything again from the first page")
        parser.add_argument("--nightly", action="store_true",
                            help="the worker's nightly reconciliation: every connection not paused, each read for what "
                                 "changed (what a webhook missed); nothing connected is no error, and one shop failing "
                                 "does not stop the others")
        parser.add_argument("--json", action="store_true", dest="as_json")

    @patron_errors
    def handle(self, *args, id, since, again, nightly, as_json, **options):
        after = parse_day(since, "since")
        if nightly and id:
            raise InvalidInput("--nightly reads every shop that is not paused; give it no ID")
        if nightly:
            connections = list(Connection.objects.exclude(state=Connection.State.PAUSED).order_by("pk"))
        else:
            connections = [services.get_connection(id)] if id else list(Connection.objects.order_by("pk"))
            if not connections:
                raise InvalidInput("no shop is connected: `patron connect woocommerce` or `patron connect shopify` first")
        report, failed = {}, []
        for connection in connections:
            if again:
                backfill.restart(connection)
            with progress_bar(f"sync #{connection.pk}", in_bytes=False) as progress:
                try:
                    synced = backfill.backfill(connection, since=after, progress=progress)
                except (ShopUnreachable, ShopRefused) as exc:
                    message = (f"#{connection.pk} {connection}: {exc.message}; what was read so far is kept, and "
                               "`patron sync` goes on from there")
                    if not nightly:
                        raise InvalidInput(message) from None
                    failed.append(message)
                    self.stderr.write(message)
                    continue
            report[connection.pk] = {**synced.counts, "pages": synced.pages, "retries": synced.retries,
                                     "skipped_orders": synced.skipped_orders, "refunds": synced.refunds,
                                     "coupons_used": synced.coupons_used, "rejects_files": synced.rejects_files}
            if not as_json:
                for kind, c in synced.counts.items():
                    self.stdout.write(f"#{connection.pk} {kind}: imported {c['imported']:,}, updated {c['updated']:,}, "
                                      f"unchanged {c['unchanged']:,}, rejected {c['rejected']:,}")
                self.stdout.write(f"#{connection.pk}: {synced.pages:,} pages read ({synced.retries} asked again), "
                                  f"{synced.skipped_orders:,} unpaid or failed orders left out, {synced.refunds:,} partial "
                                  f"refunds recorded, {synced.coupons_used:,} of Patron's coupons used")
                for path in synced.rejects_files:
                    self.stdout.write(f"rejected rows and reasons: {path}")
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
        if failed:
            raise InvalidInput(f"{len(failed)} of {len(connections)} shops could not be read; the others were")
