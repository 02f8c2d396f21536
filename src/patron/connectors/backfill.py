"""Backfill from a shop (WooCommerce or Shopify): its catalogue, its customers, then its orders with their
lines, page by page.

A second process reads the pages and writes them as chunks of rows (patron.connectors.reader), while this
one merges each chunk through the import engine as the files of `patron import` are (the same checks, the
same set-wise merge, a bad record a reject with its reason), in one transaction with the connection's
cursor: a crash or a restart resumes at the first page not yet merged, and a page merged twice changes
nothing. A store that answers 429 or 5xx is waited for (its Retry-After, else a growing pause) and asked
again.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patron.commerce import services as commerce
from patron.connectors import coupons, services
from patron.connectors.models import Connection
from patron.connectors.platform import ShopRefused, ShopUnreachable
from patron.connectors.reader import Chunk, Reading, Written, chunks
from patron.core.errors import PatronError
from patron.imports import kinds
from patron.imports.runner import run_import

SEEN_EVERY = 5.0
OVERLAP = dt.timedelta(minutes=10)  # a new pass re-reads a little of the last one: clocks and slow writes
# Orders (or customers) in a chunk: one transaction and one pass of the import engine. Bigger chunks merge
# faster: a merge pays a fixed cost, writes each index page once however many rows land on it, and a chunk
# large beside its table takes the engine's bulk path (indexes built once, foreign keys checked by one join
# instead of row by row). They cost memory in the reading process, which holds a chunk's rows while it reads
# them: 100,000 orders with their lines are about 90 MB.
CHUNK_ROWS = 100_000

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


def _merge(connection: Connection, resource: str, written: Written, synced: Synced) -> None:
    """Import the chunk and move the cursor past it, in one transaction."""
    with transaction.atomic():
        merge_written(connection, written, synced)
        cursor = dict(connection.cursor or {})
        cursor[resource] = {**cursor.get(resource, {}), "page": written.token, "read": written.read, "total": written.total}
        Connection.objects.filter(pk=connection.pk).update(cursor=cursor)
        connection.cursor = cursor


def merge_chunk(connection: Connection, name: str, chunk: Chunk, synced: Synced) -> dict[str, str]:
    """Import a chunk made here (a batch of webhooks) as a backfill's chunks are; returns {order external id:
    why it was rejected}."""
    written = chunk.write(_folder(connection), name)
    try:
        return merge_written(connection, written, synced)
    finally:
        written.discard()


def merge_written(connection: Connection, written: Written, synced: Synced) -> dict[str, str]:
    """Import the chunk's files as files are imported, then its products, refunds and the coupons its orders
    used, in one transaction; returns {order external id: why it was rejected}."""
    refused: dict[str, str] = {}
    with transaction.atomic():
        save_products(written.products, synced)
        for kind, path in written.files:
            result = run_import(kinds()[kind], path)
            synced.add(kind, result)
            if result.rejects_file:
                synced.rejects_files.append(result.rejects_file)
                if kind == "orders":
                    with open(result.rejects_file, newline="", encoding="utf-8") as rejects:
                        refused |= {row.get("external_id", ""): row.get("reason", "") for row in csv.DictReader(rejects)}
        for external_id, its_refunds in written.refunds.items():
            synced.refunds += services.apply_refunds(external_id, its_refunds)
        for external_id, (codes, placed_at) in written.coupons.items():
            synced.coupons_used += coupons.mark_used(connection, codes, external_id, _moment(placed_at))
    return refused


def _folder(connection: Connection) -> Path:
    folder = Path(settings.PATRON_HOME) / "connections" / str(connection.pk)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _moment(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _pass(connection: Connection, resource: str, now: dt.datetime) -> dict:
    """This run's state over `resource`: an unfinished pass resumed where it stopped, or a new one, which after
    a finished pass reads only what changed since that pass began (with a margin). Its "page" is the next
    page's token (WooCommerce's page number, Shopify's cursor; 1 is the first, 0 the pass done)."""
    state = dict((connection.cursor or {}).get(resource) or {})
    changed = state.pop("seen", None) is not None  # what a stopped run read beyond its last merge is read again
    if state.get("page", 0) == 0:
        finished = state.get("started")
        state = {"page": 1, "started": _stamp(now), "read": 0, "total": None,
                 "modified_after": _stamp(dt.datetime.fromisoformat(finished).replace(tzinfo=dt.UTC) - OVERLAP)
                 if finished else None}
        changed = True
    if changed:
        cursor = {**(connection.cursor or {}), resource: state}
        Connection.objects.filter(pk=connection.pk).update(cursor=cursor)
        connection.cursor = cursor
    return state


def _seen(connection: Connection, resource: str, progress: Progress | None) -> Progress:
    """Progress as the reader reports it, also kept on the connection every SEEN_EVERY seconds: the Shop page
    follows the reading between merges, which on a slow store are minutes apart."""
    last = time.monotonic()

    def report(name: str, read: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last >= SEEN_EVERY:
            last = time.monotonic()
            cursor = dict(connection.cursor or {})
            cursor[resource] = {**cursor.get(resource, {}), "seen": read, "total": total}
            Connection.objects.filter(pk=connection.pk).update(cursor=cursor)
            connection.cursor = cursor
        if progress:
            progress(name, read, total)

    return report


def _read(connection: Connection, shop, resource: str, created_after: str | None, synced: Synced, *,
          progress: Progress | None, pages_per_chunk: int, per_page: int, sleep) -> None:
    """One resource, page by page from the cursor, merged chunk by chunk as the reader writes them."""
    state = _pass(connection, resource, timezone.now())
    reading = Reading(connection, shop, resource, state["page"], state.get("read") or 0, state.get("total"),
                      {"modified_after": state.get("modified_after"), "created_after": created_after},
                      per_page, pages_per_chunk, sleep, _folder(connection))
    for written in chunks(reading, _seen(connection, resource, progress)):
        if written.unreadable:
            _unreadable(connection, resource, written, synced)
        _merge(connection, resource, written, synced)
        synced.pages += written.pages
        synced.retries += written.retries
        synced.skipped_orders += written.skipped
        if progress:
            progress(resource, written.read, max(written.total or 0, written.read))


def _unreadable(connection: Connection, resource: str, written: Written, synced: Synced) -> None:
    """Records the platform sent in a shape Patron cannot read: rejects, each with its reason, beside the rest."""
    path = _folder(connection) / f"{resource}-{written.read:09d}-unreadable.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "reason"])
        writer.writerows(written.unreadable)
    synced.of(resource)["rejected"] += len(written.unreadable)
    synced.rejects_files.append(str(path))


def backfill(connection: Connection, *, since: dt.datetime | None = None, progress: Progress | None = None,
             pages_per_chunk: int | None = None, per_page: int | None = None, sleep=None) -> Synced:
    """Read the store from the cursor on; `since` limits orders to those created after it (a first look)."""
    shop = services.client(connection)
    synced = Synced()
    per_page = per_page or services.PER_PAGE[connection.kind]
    pages_per_chunk = pages_per_chunk or max(1, CHUNK_ROWS // per_page)
    Connection.objects.filter(pk=connection.pk).update(syncing_since=timezone.now())
    try:
        for resource in services.RESOURCES:
            _read(connection, shop, resource, _stamp(since) if since else None, synced,
                  progress=progress, per_page=per_page, pages_per_chunk=pages_per_chunk,
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
