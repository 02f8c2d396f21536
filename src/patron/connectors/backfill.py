"""Backfill from a shop (WooCommerce or Shopify): its catalogue, its customers, then its orders with their
lines, page by page.

Pages are gathered into chunks, and each chunk goes through the import engine as the files of
`patron import` do (the same checks, the same set-wise merge, a bad record a reject with its reason), in
one transaction with the connection's cursor: a crash or a restart resumes at the first page not yet
merged, and a page merged twice changes nothing. A store that answers 429 or 5xx is waited for (its
Retry-After, else a growing pause) and asked again.
"""

from __future__ import annotations

import csv
import functools
import datetime as dt
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patron.commerce import services as commerce
from patron.connectors import coupons, services
from patron.connectors.models import Connection
from patron.connectors.platform import ShopRefused, ShopUnreachable
from patron.core.errors import PatronError
from patron.imports import kinds
from patron.imports.runner import run_import

OVERLAP = dt.timedelta(minutes=10)  # a new pass re-reads a little of the last one: clocks and slow writes
PAGES_PER_CHUNK = 50
AHEAD = 3  # pages asked of the store at once while the rows before them are merged
ATTEMPTS = 6
CUSTOMER_COLUMNS = ["external_id", "email", "first_name", "last_name", "phone", "country", "created_at", "email_consent",
                    "sms_consent"]
ORDER_COLUMNS = ["external_id", "customer_external_id", "placed_at", "total", "currency", "status"]
LINE_COLUMNS = ["order_external_id", "sku", "quantity", "unit_price"]

Progress = Callable[[str, int, int], None]


@dataclass
class Synced:
    # Per import kind: rows imported, updated, unchanged and rejected, as the import engine counted them.
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    pages: int = 0
    retries: int = 0
    skipped_orders: int = 0  # pending, failed, drafts: not orders (yet)
    refunds: int = 0  # partial refunds recorded
    coupons_used: int = 0  # Patron's coupons that orders used
    rejects_files: list[str] = field(default_factory=list)

    def of(self, kind: str) -> dict[str, int]:
        return self.counts.setdefault(kind, {"imported": 0, "updated": 0, "unchanged": 0, "rejected": 0})

    def add(self, kind: str, result) -> None:
        mine = self.of(kind)
        for name in mine:
            mine[name] += getattr(result, name)


def save_products(rows: list[dict], synced: Synced) -> None:
    counts = synced.of("products")
    for row in rows:
        try:
            with transaction.atomic():
                commerce.save_product(row.pop("sku"), **row)
            counts["updated"] += 1
        except PatronError:
            counts["rejected"] += 1


@dataclass
class Chunk:
    """The rows of some pages, merged together."""

    customers: dict[str, dict] = field(default_factory=dict)  # by external id: a guest who ordered twice is one
    orders: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    refunds: dict[str, list] = field(default_factory=dict)
    products: list[dict] = field(default_factory=list)
    coupons: dict[str, tuple[list[str], str]] = field(default_factory=dict)  # order id: (codes used, placed at)
    pages: int = 0

    def take(self, resource: str, row: dict, connection: Connection, synced: Synced) -> dict | None:
        """Add one of the platform's rows; for an order, returns its row (None: not an order yet)."""
        platform = services.platform(connection)
        if resource == "products":
            self.products.append(services.product_row(connection, row))
        elif resource == "customers":
            person = platform.customer_row(row)
            self.customers[person["external_id"]] = person
        else:
            person, order, lines = platform.order_rows(row)
            if order is None:
                synced.skipped_orders += 1
                return None
            if person and person["external_id"] not in self.customers:
                self.customers[person["external_id"]] = person
            self.orders.append(order)
            self.lines += lines
            refunds = platform.refunds_of(row)
            if refunds or order["status"] == "refunded":  # a refunded order takes back its points too
                self.refunds[order["external_id"]] = refunds
            if (codes := platform.coupons_of(row)) and order["status"] == "completed":
                self.coupons[order["external_id"]] = (codes, order["placed_at"])
            return order
        return None

    def files(self) -> list[tuple[str, list[str], list[dict]]]:
        return [("customers", CUSTOMER_COLUMNS, list(self.customers.values())), ("orders", ORDER_COLUMNS, self.orders),
                ("order-lines", LINE_COLUMNS, self.lines)]


def _page(shop, resource: str, token, *, query: dict, synced: Synced, sleep, per_page: int):
    """(rows, next token or 0, total or None) of one page, asking again while the store is busy or failing."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return shop.page(resource, token, per_page=per_page, **query)
        except ShopUnreachable as exc:
            if attempt == ATTEMPTS:
                raise
            synced.retries += 1
            wait = str(exc.details.get("retry_after") or "")
            try:
                pause = float(wait)
            except ValueError:
                pause = 2.0 ** (attempt - 1)
            sleep(min(60.0, max(pause, 0.0)))
    raise AssertionError("unreachable")


def _write(path: Path, columns: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _merge(connection: Connection, resource: str, state: dict, chunk: Chunk, synced: Synced) -> None:
    """Import the chunk and move the cursor to `state`, in one transaction."""
    with transaction.atomic():
        merge_chunk(connection, resource, chunk, synced)
        cursor = dict(connection.cursor or {})
        cursor[resource] = {**cursor.get(resource, {}), **state}
        Connection.objects.filter(pk=connection.pk).update(cursor=cursor)
        connection.cursor = cursor


def merge_chunk(connection: Connection, name: str, chunk: Chunk, synced: Synced) -> dict[str, str]:
    """Import the chunk's rows as files are imported, then its refunds and the coupons its orders used, in one
    transaction; returns {order external id: why it was rejected}."""
    folder = Path(settings.PATRON_HOME) / "connections" / str(connection.pk)
    folder.mkdir(parents=True, exist_ok=True)
    refused: dict[str, str] = {}
    with transaction.atomic():
        save_products(chunk.products, synced)
        for kind, columns, rows in chunk.files():
            if not rows:
                continue
            path = folder / f"{kind}-{name}-{synced.pages:06d}.csv"
            _write(path, columns, rows)
            try:
                result = run_import(kinds()[kind], path)
            finally:
                path.unlink(missing_ok=True)
            synced.add(kind, result)
            if result.rejects_file:
                synced.rejects_files.append(result.rejects_file)
                if kind == "orders":
                    with open(result.rejects_file, newline="", encoding="utf-8") as rejects:
                        refused |= {row.get("external_id", ""): row.get("reason", "") for row in csv.DictReader(rejects)}
        for external_id, its_refunds in chunk.refunds.items():
            synced.refunds += services.apply_refunds(external_id, its_refunds)
        for external_id, (codes, placed_at) in chunk.coupons.items():
            synced.coupons_used += coupons.mark_used(connection, codes, external_id, _moment(placed_at))
    return refused


def _moment(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _pass(connection: Connection, resource: str, now: dt.datetime) -> dict:
    """This run's state over `resource`: an unfinished pass resumed where it stopped, or a new one, which after
    a finished pass reads only what changed since that pass began (with a margin). Its "page" is the next
    page's token (WooCommerce's page number, Shopify's cursor; 1 is the first, 0 the pass done)."""
    state = dict((connection.cursor or {}).get(resource) or {})
    if state.get("page", 0) == 0:
        finished = state.get("started")
        state = {"page": 1, "started": _stamp(now), "read": 0, "total": None,
                 "modified_after": _stamp(dt.datetime.fromisoformat(finished).replace(tzinfo=dt.UTC) - OVERLAP)
                 if finished else None}
        cursor = {**(connection.cursor or {}), resource: state}
        Connection.objects.filter(pk=connection.pk).update(cursor=cursor)
        connection.cursor = cursor
    return state


def _read(connection: Connection, shop, resource: str, created_after: str | None, synced: Synced, *,
          progress: Progress | None, pages_per_chunk: int, per_page: int, sleep) -> None:
    """One resource, page by page from the cursor, merged chunk by chunk."""
    state = _pass(connection, resource, timezone.now())
    token, read, total = state["page"], state.get("read") or 0, state.get("total")
    query = {"modified_after": state.get("modified_after"), "created_after": created_after}
    chunk = Chunk()
    for rows, token, counted in _pages(shop, resource, token, query, synced, sleep, per_page):
        total = counted if counted is not None else total
        synced.pages += 1
        chunk.pages += 1
        read += len(rows)
        for row in rows:
            chunk.take(resource, row, connection, synced)
        if progress:
            progress(resource, read, max(total or 0, read))
        if not token or chunk.pages >= pages_per_chunk:
            _merge(connection, resource, {"page": token, "read": read, "total": total}, chunk, synced)
            chunk = Chunk()


def _pages(shop, resource: str, token, query: dict, synced: Synced, sleep, per_page: int):
    """Each page from `token` on, in order, as (rows, next token or 0, total or None), fetched ahead in threads
    while the pages before are merged: numbered pages (WooCommerce) AHEAD at a time, cursors (Shopify) the
    next one, since only a page names its successor. The threads only talk to the store; the database is
    the caller's, in its own thread."""
    fetch = functools.partial(_page, shop, resource, query=query, synced=synced, sleep=sleep, per_page=per_page)
    pool = ThreadPoolExecutor(max_workers=AHEAD, thread_name_prefix="patron-sync")
    try:
        page = fetch(token)
        yield page
        if isinstance(page[1], int) and page[1] and page[2] is not None:
            last = -(-page[2] // per_page)  # the last page as the store counted when the pass began
            waiting = deque(pool.submit(fetch, n) for n in range(page[1], min(last, page[1] + AHEAD - 1) + 1))
            ahead = page[1] + len(waiting)
            while waiting:
                page = waiting.popleft().result()
                if ahead <= last:
                    waiting.append(pool.submit(fetch, ahead))
                    ahead += 1
                yield page
        # Cursors, or pages the store added while it was read: one at a time, the next asked for at once.
        future = pool.submit(fetch, page[1]) if page[1] else None
        while future is not None:
            page = future.result()
            future = pool.submit(fetch, page[1]) if page[1] else None
            yield page
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a failure or an interruption asks no more of the store


def backfill(connection: Connection, *, since: dt.datetime | None = None, progress: Progress | None = None,
             pages_per_chunk: int | None = None, per_page: int | None = None, sleep=None) -> Synced:
    """Read the store from the cursor on; `since` limits orders to those created after it (a first look)."""
    shop = services.client(connection)
    synced = Synced()
    Connection.objects.filter(pk=connection.pk).update(syncing_since=timezone.now())
    try:
        for resource in services.RESOURCES:
            _read(connection, shop, resource, _stamp(since) if since else None, synced,
                  progress=progress, pages_per_chunk=pages_per_chunk or PAGES_PER_CHUNK,
                  per_page=per_page or services.PER_PAGE[connection.kind],
                  sleep=sleep or time.sleep)
    except (ShopUnreachable, ShopRefused) as exc:
        services.mark_failing(connection, exc)  # what was merged so far stays, and the next run goes on from it
        raise
    finally:
        Connection.objects.filter(pk=connection.pk).update(syncing_since=None)
    services.mark_working(connection, last_sync_at=timezone.now())
    return synced


def restart(connection: Connection) -> None:
    """Read everything again from the first page (`patron sync --again`): what is unchanged stays unchanged."""
    Connection.objects.filter(pk=connection.pk).update(cursor={})
    connection.cursor = {}
