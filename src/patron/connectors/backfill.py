"""Backfill from a WooCommerce store: its catalogue, its customers, then its orders with their lines, page by page.

Pages are gathered into chunks, and each chunk goes through the import engine as the files of
`patron import` do (the same checks, the same set-wise merge, a bad record a reject with its reason), in
one transaction with the connection's cursor: a crash or a restart resumes at the first page not yet
merged, and a page merged twice changes nothing. A store that answers 429 or 5xx is waited for (its
Retry-After, else a growing pause) and asked again.
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
from patron.commerce.models import Order, Refund
from patron.connectors import services
from patron.connectors.models import Connection
from patron.core.errors import PatronError
from patron.loyalty import earning
from patron.connectors.woocommerce import ShopUnreachable, WooCommerce
from patron.imports import kinds
from patron.imports.runner import run_import

PER_PAGE = 100  # WooCommerce's most
OVERLAP = dt.timedelta(minutes=10)  # a new pass re-reads a little of the last one: clocks and slow writes
PAGES_PER_CHUNK = 20
ATTEMPTS = 6
# WooCommerce's order statuses, as Patron's: paid ones are orders; unpaid or failed ones are not (yet).
STATUSES = {"completed": "completed", "processing": "completed", "on-hold": "completed", "refunded": "refunded",
            "cancelled": "cancelled"}
CUSTOMER_COLUMNS = ["external_id", "email", "first_name", "last_name", "phone", "country", "created_at"]
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
    rejects_files: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(c["rejected"] for c in self.counts.values())

    def add(self, kind: str, result) -> None:
        mine = self.counts.setdefault(kind, {"imported": 0, "updated": 0, "unchanged": 0, "rejected": 0})
        for name in mine:
            mine[name] += getattr(result, name)


def customer_id(customer_id: int, email: str) -> str:
    """The shop's customer id; a guest (id 0) is known by the address they ordered with."""
    return str(customer_id) if customer_id else f"guest:{(email or '').strip().lower()}"


def _gmt(value: str | None) -> str:
    return f"{value}Z" if value and not value.endswith("Z") else (value or "")


def product_row(p: dict, currency: str) -> dict:
    """A product from WooCommerce's catalogue, as commerce.services.save_product takes it."""
    stock = p.get("stock_status")
    return {"sku": p.get("sku") or f"wc-{p.get('id', 0)}", "name": p.get("name", ""),
            "category": ((p.get("categories") or [{}])[0] or {}).get("name", ""), "url": p.get("permalink", ""),
            "image_url": ((p.get("images") or [{}])[0] or {}).get("src", ""), "price": p.get("price") or None,
            "currency": currency, "in_stock": None if stock is None else stock != "outofstock"}


def save_products(rows: list[dict], synced: "Synced") -> None:
    counts = synced.counts.setdefault("products", {"imported": 0, "updated": 0, "unchanged": 0, "rejected": 0})
    for row in rows:
        try:
            with transaction.atomic():
                commerce.save_product(row.pop("sku"), **row)
            counts["updated"] += 1
        except PatronError:
            counts["rejected"] += 1


def customer_row(c: dict) -> dict:
    billing = c.get("billing") or {}
    return {"external_id": customer_id(c.get("id", 0), c.get("email", "")), "email": c.get("email", ""),
            "first_name": c.get("first_name") or billing.get("first_name", ""),
            "last_name": c.get("last_name") or billing.get("last_name", ""), "phone": billing.get("phone", ""),
            "country": billing.get("country", ""), "created_at": _gmt(c.get("date_created_gmt"))}


def order_rows(o: dict) -> tuple[dict | None, dict | None, list[dict]]:
    """(guest customer or None, order or None, lines) of one WooCommerce order."""
    status = STATUSES.get(o.get("status", ""))
    if status is None:
        return None, None, []
    billing = o.get("billing") or {}
    who = customer_id(o.get("customer_id", 0), billing.get("email", ""))
    guest = None
    if not o.get("customer_id"):
        guest = {"external_id": who, "email": billing.get("email", ""), "first_name": billing.get("first_name", ""),
                 "last_name": billing.get("last_name", ""), "phone": billing.get("phone", ""),
                 "country": billing.get("country", ""), "created_at": _gmt(o.get("date_created_gmt"))}
    order = {"external_id": str(o["id"]), "customer_external_id": who, "placed_at": _gmt(o.get("date_created_gmt")),
             "total": o.get("total", ""), "currency": o.get("currency", ""), "status": status}
    lines = [{"order_external_id": str(o["id"]), "sku": item.get("sku") or f"wc-{item.get('product_id', 0)}",
              "quantity": item.get("quantity", ""), "unit_price": item.get("price", "")}
             for item in o.get("line_items") or []]
    return guest, order, lines


def refunds_of(o: dict) -> list[tuple[str, str, str]]:
    """(refund id, amount, reason) of an order's refunds ("refunds": [{"id", "reason", "total": "-5.00"}])."""
    out = []
    for refund in o.get("refunds") or []:
        amount = str(refund.get("total", "")).lstrip("-")
        if refund.get("id") and amount:
            out.append((f"wc-refund-{refund['id']}", amount, str(refund.get("reason") or "")[:200]))
    return out


def apply_refunds(external_id: str, refunds: list[tuple[str, str, str]]) -> int:
    """Record an order's partial refunds (each once, by the store's refund id) and take back their share of the
    points; an order the store marks refunded already has its whole refund. Returns the refunds recorded."""
    order = Order.objects.filter(external_id=external_id).first()
    if order is None or order.status != Order.Status.COMPLETED:
        return 0
    done = 0
    for refund_id, amount, reason in refunds:
        if Refund.objects.filter(external_id=refund_id).exists():
            continue
        try:
            commerce.refund_order(order, amount, reason=reason, external_id=refund_id)
        except PatronError:
            continue  # more than is left, or not an amount: the order's own state stands
        done += 1
    if done:
        earning.reverse_refunds_everywhere(order)
    return done


def _page(shop: WooCommerce, endpoint: str, page: int, params: dict, synced: Synced, sleep=time.sleep,
          per_page: int = PER_PAGE):
    """One page and the number of pages, asking again while the store is busy or failing."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            rows, headers = shop.get(endpoint, page=page, per_page=per_page, orderby="id", order="asc", **params)
            found = {k.lower(): v for k, v in headers.items()}
            return rows, int(found.get("x-wp-totalpages") or 1), int(found.get("x-wp-total") or len(rows or []))
        except ShopUnreachable as exc:
            if attempt == ATTEMPTS:
                raise
            synced.retries += 1
            wait = exc.details.get("retry_after") or ""
            sleep(min(60.0, float(wait)) if str(wait).isdigit() else min(60.0, 2.0 ** (attempt - 1)))
    raise AssertionError("unreachable")


def _write(path: Path, columns: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _merge(connection: Connection, resource: str, next_page: int, files: list[tuple[str, list[str], list[dict]]],
           synced: Synced, refunds: dict[str, list] | None = None, products: list[dict] | None = None) -> None:
    """Import the chunk's files and move the cursor, in one transaction."""
    folder = Path(settings.PATRON_HOME) / "connections" / str(connection.pk)
    folder.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        save_products(products or [], synced)
        for kind, columns, rows in files:
            if not rows:
                continue
            path = folder / f"{kind}-{resource}-to-page-{next_page - 1:05d}.csv"
            _write(path, columns, rows)
            try:
                result = run_import(kinds()[kind], path)
            finally:
                path.unlink(missing_ok=True)
            synced.add(kind, result)
            if result.rejects_file:
                synced.rejects_files.append(result.rejects_file)
        for external_id, its_refunds in (refunds or {}).items():
            synced.refunds += apply_refunds(external_id, its_refunds)
        cursor = dict(connection.cursor or {})
        cursor[resource] = {**cursor.get(resource, {}), "page": next_page}
        Connection.objects.filter(pk=connection.pk).update(cursor=cursor)
        connection.cursor = cursor


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _pass(connection: Connection, resource: str, now: dt.datetime) -> tuple[int, dict]:
    """(first page, query) of this run over `resource`: resume an unfinished pass where it stopped, or begin
    a new one, which after a finished pass reads only what changed since that pass began (with a margin)."""
    state = dict((connection.cursor or {}).get(resource) or {})
    if state.get("page", 0) == 0:
        finished = state.get("started")
        state = {"page": 1, "started": _stamp(now),
                 "modified_after": _stamp(dt.datetime.fromisoformat(finished).replace(tzinfo=dt.UTC) - OVERLAP)
                 if finished else None}
        cursor = {**(connection.cursor or {}), resource: state}
        Connection.objects.filter(pk=connection.pk).update(cursor=cursor)
        connection.cursor = cursor
    query = {"modified_after": state["modified_after"]} if state.get("modified_after") else {}
    return int(state["page"]), query


def backfill(connection: Connection, *, since: dt.datetime | None = None, progress: Progress | None = None,
             pages_per_chunk: int | None = None, per_page: int | None = None, sleep=None) -> Synced:
    """Read the store from the cursor on; `since` limits orders to those created after it (a first look)."""
    pages_per_chunk, per_page, sleep = pages_per_chunk or PAGES_PER_CHUNK, per_page or PER_PAGE, sleep or time.sleep
    shop = services.client(connection)
    synced = Synced()
    now = timezone.now()
    for resource in ("products", "customers", "orders"):
        page, params = _pass(connection, resource, now)
        if since and resource == "orders":
            params["after"] = _stamp(since)
        customers, orders, lines, refunds, products, since_merge = {}, [], [], {}, [], 0
        while True:
            rows, total_pages, total_rows = _page(shop, resource, page, params, synced, sleep, per_page)
            synced.pages += 1
            for row in rows or []:
                if resource == "products":
                    products.append(product_row(row, connection.store_currency))
                elif resource == "customers":
                    person = customer_row(row)
                    customers[person["external_id"]] = person
                else:
                    guest, order, its_lines = order_rows(row)
                    if order is None:
                        synced.skipped_orders += 1
                        continue
                    if guest:  # a guest who ordered twice is one customer, as of their latest order
                        customers[guest["external_id"]] = guest
                    orders.append(order)
                    lines += its_lines
                    if refunds_of(row):
                        refunds[order["external_id"]] = refunds_of(row)
            since_merge += 1
            last = page >= total_pages or not rows
            if progress:
                progress(resource, min(page * per_page, total_rows), total_rows)
            if last or since_merge >= pages_per_chunk:
                _merge(connection, resource, 0 if last else page + 1, [
                    ("customers", CUSTOMER_COLUMNS, list(customers.values())), ("orders", ORDER_COLUMNS, orders),
                    ("order-lines", LINE_COLUMNS, lines)], synced, refunds, products)
                customers, orders, lines, refunds, products, since_merge = {}, [], [], {}, [], 0
            if last:
                break
            page += 1
    Connection.objects.filter(pk=connection.pk).update(last_sync_at=timezone.now(), state=Connection.State.CONNECTED,
                                                       last_error="", last_error_at=None)
    return synced


def restart(connection: Connection) -> None:
    """Read everything again from the first page (`patron sync --again`): what is unchanged stays unchanged."""
    Connection.objects.filter(pk=connection.pk).update(cursor={})
    connection.cursor = {}
