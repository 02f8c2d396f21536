"""Reading a shop's pages in a second process, so that a backfill keeps both cores busy: this one asks the
store for its pages (HTTP, signing, JSON), reads them as Patron's rows and writes each chunk of pages as
Parquet files, while the process that started it merges the chunks before through the import engine.

The reader never touches the database: it is forked from the syncing process with the connection it reads
(its kind, address and currency, already loaded) and hands back only files and what goes beside them. At
most SPOOLED chunks wait for the merge, so memory and disk stay flat however large the store is.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import queue as queues
import signal
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from patron.connectors import services
from patron.connectors.models import Connection
from patron.connectors.platform import ShopRefused, ShopUnreachable

AHEAD = 3  # pages asked of the store at once, in the reader's threads
ATTEMPTS = 6
SPOOLED = 2  # chunks written and waiting for their merge, at most
WAIT = 0.5  # seconds between looks at the reader's progress while its next chunk is made
CUSTOMER_COLUMNS = ["external_id", "email", "first_name", "last_name", "phone", "country", "created_at", "email_consent",
                    "sms_consent"]
ORDER_COLUMNS = ["external_id", "customer_external_id", "placed_at", "total", "currency", "status"]
LINE_COLUMNS = ["order_external_id", "sku", "quantity", "unit_price"]

Progress = Callable[[str, int, int], None]


class ReaderFailed(RuntimeError):
    """The reading process stopped without the store's failure to name: a fault of Patron's own."""


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
    skipped: int = 0  # pending, failed, drafts: not orders (yet)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (the record's id, why)

    def take(self, resource: str, row: dict, connection: Connection) -> dict | None:
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
                self.skipped += 1
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

    def write(self, folder: Path, name: str) -> Written:
        """The chunk as the import engine reads it: one Parquet file per kind of row, every cell text as a CSV
        file's would be, and what goes beside the files."""
        files = []
        for kind, columns, rows in (("customers", CUSTOMER_COLUMNS, list(self.customers.values())),
                                    ("orders", ORDER_COLUMNS, self.orders), ("order-lines", LINE_COLUMNS, self.lines)):
            if not rows:
                continue
            table = pa.table({column: pa.array([_text(row.get(column)) for row in rows], pa.string()) for column in columns})
            path = folder / f"{kind}-{name}.parquet"
            pq.write_table(table, path, compression="none")
            files.append((kind, str(path)))
        return Written(files, self.refunds, self.coupons, self.products, self.pages, self.skipped, self.unreadable)


def _text(value) -> str | None:
    return value if value is None or isinstance(value, str) else str(value)


@dataclass
class Written:
    """A chunk written for the merge: its files by kind, the refunds, coupons used and products beside them, and
    where reading stands after it (the next page's token, 0 once the pass is done)."""

    files: list[tuple[str, str]]
    refunds: dict[str, list]
    coupons: dict[str, tuple[list[str], str]]
    products: list[dict]
    pages: int = 0
    skipped: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    retries: int = 0
    token: object = 0
    read: int = 0
    total: int | None = None

    def discard(self) -> None:
        for _kind, path in self.files:
            Path(path).unlink(missing_ok=True)


def _page(shop, resource: str, token, *, query: dict, retries: list[int], sleep, per_page: int):
    """(rows, next token or 0, total or None) of one page, asking again while the store is busy or failing."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return shop.page(resource, token, per_page=per_page, **query)
        except ShopUnreachable as exc:
            if attempt == ATTEMPTS:
                raise
            retries[0] += 1
            wait = str(exc.details.get("retry_after") or "")
            try:
                pause = float(wait)
            except ValueError:
                pause = 2.0 ** (attempt - 1)
            sleep(min(60.0, max(pause, 0.0)))
    raise AssertionError("unreachable")


def _pages(shop, resource: str, token, query: dict, retries: list[int], sleep, per_page: int):
    """Each page from `token` on, in order, as (rows, next token or 0, total or None), fetched ahead in threads:
    numbered pages (WooCommerce) AHEAD at a time, cursors (Shopify) the next one, since only a page names its
    successor."""
    fetch = functools.partial(_page, shop, resource, query=query, retries=retries, sleep=sleep, per_page=per_page)
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


@dataclass
class Reading:
    """One pass over one resource, from a page on."""

    connection: Connection
    shop: object
    resource: str
    token: object
    read: int
    total: int | None
    query: dict
    per_page: int
    pages_per_chunk: int
    sleep: Callable[[float], None]
    folder: Path
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])  # names this pass's chunk files


def _produce(reading: Reading, out, counted, parent: int) -> None:
    """The reading process: pages into chunk files, each announced on `out` once written."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interruption is the syncing process's to handle

    def send(message) -> None:
        while True:
            try:
                return out.put(message, timeout=1)
            except queues.Full:
                if os.getppid() != parent:  # the syncing process is gone: so is the reason to read on
                    os._exit(1)

    retries = [0]
    read, total = reading.read, reading.total
    try:
        chunk = Chunk()
        for rows, token, total_now in _pages(reading.shop, reading.resource, reading.token, reading.query, retries,
                                             reading.sleep, reading.per_page):
            total = total_now if total_now is not None else total
            chunk.pages += 1
            read += len(rows)
            for row in rows:
                try:
                    chunk.take(reading.resource, row, reading.connection)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a record not shaped as documented
                    chunk.unreadable.append((str(row.get("id", "")) if isinstance(row, dict) else "",
                                             f"not readable: {type(exc).__name__}: {exc}"))
            counted[0], counted[1] = read, max(total or 0, read)
            if not token or chunk.pages >= reading.pages_per_chunk:
                written = chunk.write(reading.folder, f"{reading.resource}-{reading.run}-{read:09d}")
                written.retries, retries[0] = retries[0], 0
                written.token, written.read, written.total = token, read, total
                send(("chunk", written))
                chunk = Chunk()
        send(("done", None))
    except (ShopUnreachable, ShopRefused) as exc:
        send(("shop", (type(exc) is ShopRefused, exc.message, exc.details)))
    except OSError as exc:  # the disk the chunks are written to: full, or not writable
        send(("os", (exc.errno, exc.strerror or str(exc), exc.filename)))
    except BaseException:  # noqa: BLE001 - named to the syncing process, which raises it
        send(("fault", traceback.format_exc()))
    finally:
        out.close()
        out.join_thread()


def chunks(reading: Reading, progress: Progress | None) -> Iterator[Written]:
    """The chunks of a pass, read and written by a second process, in order. A failure of the store is raised
    here as the store's; an interruption or a failure of the merge stops the reader and removes what it
    wrote ahead."""
    context = multiprocessing.get_context("fork")  # the connection and its client as loaded: nothing read again
    out = context.Queue(maxsize=SPOOLED)
    counted = context.Array("q", [reading.read, max(reading.total or 0, reading.read)], lock=False)
    reading.folder.mkdir(parents=True, exist_ok=True)
    reader = context.Process(target=_produce, args=(reading, out, counted, os.getpid()), daemon=True,
                             name=f"patron-read-{reading.resource}")
    reader.start()
    try:
        while True:
            try:
                kind, body = out.get(timeout=WAIT)
            except queues.Empty:
                if progress:
                    progress(reading.resource, counted[0], counted[1])
                if not reader.is_alive() and out.empty():
                    raise ReaderFailed(f"reading {reading.resource} stopped (exit status {reader.exitcode})") from None
                continue
            if kind == "done":
                return
            if kind == "shop":
                refused, message, details = body
                raise (ShopRefused if refused else ShopUnreachable)(message, **details)
            if kind == "os":
                raise OSError(*body)
            if kind == "fault":
                raise ReaderFailed(f"reading {reading.resource} failed:\n{body}")
            yield body
            body.discard()
    finally:
        if reader.is_alive():
            reader.terminate()
        reader.join(timeout=10)
        for path in reading.folder.glob(f"*-{reading.resource}-{reading.run}-*.parquet"):
            path.unlink(missing_ok=True)  # written ahead and never merged, or half-written when the reader stopped
        out.close()
