"""Processing the stored webhook deliveries (the worker does it every round), a batch at a time.

Orders go together through the import engine, as a backfill's pages do (the same checks, the same
set-wise merge, the points earned in bulk through the one earning function, refunds taken back), so a
shop's busiest hour is processed as fast as it arrives. Customers, products, refunds and checkouts go
one by one through the same services as the API. Of several deliveries for one resource only the newest
is applied, and a delivery older than one already processed for the same resource changes nothing."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from patron.commerce import services as commerce
from patron.commerce import storefront
from patron.connectors import backfill, services, shopify
from patron.connectors.models import Connection, Delivery
from patron.connectors.services import apply_refunds
from patron.core.errors import PatronError
from patron.customers import services as customers
from patron.customers.models import ConsentEvent

log = logging.getLogger(__name__)
BATCH = 1000  # a busy shop's minute, merged together


def receive(connection: Connection, topic: str, delivery_id: str, payload: dict) -> None:
    """Keep one delivery, once per the platform's delivery id, for `process_pending`."""
    if connection.kind == Connection.Kind.SHOPIFY:
        modified = shopify.modified_at(payload)
    else:
        modified = str(payload.get("date_modified_gmt") or "")
    try:
        with transaction.atomic():
            Delivery.objects.create(connection=connection, delivery_id=delivery_id[:100], topic=topic[:60],
                                    resource_id=str(payload.get("id", ""))[:100], modified_at=modified[:40], body=payload)
    except IntegrityError:
        pass  # the same delivery again: kept once


def _resource(topic: str) -> str:
    return re.split(r"[./]", topic, maxsplit=1)[0]


CONSENTS = {"true": True, "false": False}


def _customer(row: dict):
    fields = {k: v for k, v in row.items() if k not in ("external_id", "created_at") and v}
    for name in ("email_consent", "sms_consent"):
        if name in fields:
            fields[name] = CONSENTS[fields[name]]
    return customers.upsert_customer(row["external_id"], consent_source=ConsentEvent.Source.IMPORT, **fields)[0]


CUSTOMER = {"customer.created", "customer.updated", "customers/create", "customers/update"}
ORDER = {"order.created", "order.updated", "orders/create", "orders/updated", "orders/paid"}
PRODUCT = {"product.created", "product.updated", "products/create", "products/update"}
CHECKOUT = {"checkouts/create", "checkouts/update"}


def _checkout(body: dict) -> str:
    """A checkout begun: remembered for the abandoned-checkout journey, until it becomes an order."""
    if body.get("completed_at"):
        return "checkout completed: it comes as an order"
    person, items = shopify.checkout_rows(body)
    if person is None or not items:
        return "checkout of an unknown visitor, or an empty cart: nothing to remember"
    at = parse_datetime(body.get("created_at") or "") or timezone.now()
    _interaction, new = storefront.record(
        _customer(person), storefront.CHECKOUT, items=items, checkout=str(body.get("token") or body.get("id") or ""),
        checkout_url=str(body.get("abandoned_checkout_url") or ""), currency=str(body.get("currency") or ""), at=at)
    return "checkout remembered" if new else "checkout updated"


def _apply(delivery: Delivery) -> str:
    body, topic = delivery.body, delivery.topic
    platform = services.platform(delivery.connection)
    if topic in CUSTOMER:
        _customer(platform.customer_row(body))
        return "customer saved"
    if topic == "refunds/create":
        row = shopify.refund_row(body)
        done = apply_refunds(str(body.get("order_id", "")), [row]) if row else 0
        return f"{done} refund recorded" if done else "refund: no order here to take it, or nothing refunded"
    if topic in PRODUCT:
        row = services.product_row(delivery.connection, body)
        commerce.save_product(row.pop("sku"), **row)
        return "product saved"
    if topic in CHECKOUT:
        return _checkout(body)
    if topic == "order.deleted":
        return "order deleted in the store: kept here as it was"
    return f"topic {topic} is not read"


OLDER = "older than a change already taken: nothing to do"


def _newest(pending: list[Delivery], outcomes: dict[int, str]) -> list[Delivery]:
    """The deliveries to apply: per resource only the newest of the batch, and none older than one applied before."""
    newest: dict[tuple, Delivery] = {}
    keep = []
    for delivery in pending:
        if not delivery.resource_id:
            keep.append(delivery)
            continue
        key = (delivery.connection_id, _resource(delivery.topic), delivery.resource_id)
        best = newest.get(key)
        if best is not None and best.modified_at > delivery.modified_at:
            outcomes[delivery.pk] = OLDER
            continue
        if best is not None:
            outcomes[best.pk] = OLDER
        newest[key] = delivery
    by_kind: dict[tuple, list[Delivery]] = {}
    for (connection_id, resource, _id), delivery in newest.items():
        by_kind.setdefault((connection_id, resource), []).append(delivery)
    for (connection_id, resource), deliveries in by_kind.items():
        seen = dict(Delivery.objects.filter(connection_id=connection_id, topic__startswith=resource, processed_at__isnull=False,
                                            resource_id__in=[d.resource_id for d in deliveries])
                    .values("resource_id").annotate(latest=Max("modified_at")).values_list("resource_id", "latest"))
        for delivery in deliveries:
            if (seen.get(delivery.resource_id) or "") > delivery.modified_at:
                outcomes[delivery.pk] = OLDER
            else:
                keep.append(delivery)
    return keep


def _orders(connection: Connection, deliveries: list[Delivery], outcomes: dict[int, str]) -> None:
    """A batch of one shop's orders merged as a chunk of a backfill is; each delivery says how its order went."""
    chunk, synced, orders = backfill.Chunk(), backfill.Synced(), {}
    for delivery in deliveries:
        try:
            order = chunk.take("orders", delivery.body, connection)
        except (KeyError, TypeError, ValueError) as exc:
            outcomes[delivery.pk] = f"not readable: {type(exc).__name__}: {exc}"
            continue
        if order is None:
            state = delivery.body.get("status") or delivery.body.get("financial_status")
            outcomes[delivery.pk] = f"not an order yet ({state})"
            continue
        orders[delivery.pk] = order["external_id"]
    if not orders:
        return
    try:
        refused = backfill.merge_chunk(connection, f"live-{min(orders)}", chunk, synced)
    except PatronError as exc:
        refused = dict.fromkeys(orders.values(), exc.message)
    finally:
        for path in synced.rejects_files:
            Path(path).unlink(missing_ok=True)  # each delivery keeps its own reason
    for pk, external_id in orders.items():
        outcomes[pk] = f"refused: {refused[external_id]}" if external_id in refused else "order saved"


def _one(delivery: Delivery) -> str:
    try:
        with transaction.atomic():
            return _apply(delivery)
    except PatronError as exc:
        return f"refused: {exc.message}"
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("webhook delivery %s not readable: %s", delivery.pk, exc)
        return f"not readable: {type(exc).__name__}: {exc}"


def process_pending(batch: int = BATCH) -> int:
    """Process up to `batch` deliveries, in the order they came; one that fails says why and is not retried.
    Returns how many were processed."""
    pending = list(Delivery.objects.filter(processed_at__isnull=True).select_related("connection")
                   .order_by("received_at", "pk")[:batch])
    outcomes: dict[int, str] = {}
    kept = _newest(pending, outcomes)
    # Customers and products first (an order's customer may come in the same batch), then the orders
    # together, then what refers to an order (a refund) and the rest.
    for delivery in kept:
        if delivery.topic in CUSTOMER | PRODUCT:
            outcomes[delivery.pk] = _one(delivery)
    orders: dict[int, list[Delivery]] = {}
    for delivery in kept:
        if delivery.topic in ORDER:
            orders.setdefault(delivery.connection_id, []).append(delivery)
    for deliveries in orders.values():
        _orders(deliveries[0].connection, deliveries, outcomes)
    for delivery in kept:
        if delivery.pk not in outcomes:
            outcomes[delivery.pk] = _one(delivery)
    now = timezone.now()
    said: dict[str, list[int]] = {}
    for pk, outcome in outcomes.items():
        said.setdefault(outcome[:300], []).append(pk)
    for outcome, pks in said.items():
        Delivery.objects.filter(pk__in=pks).update(processed_at=now, outcome=outcome)
    return len(pending)


def drain(seconds: float = 5.0, batch: int = BATCH) -> int:
    """The worker's job: batches until nothing is pending or `seconds` have passed (the outbox waits its turn
    no longer than that). Returns how many were processed."""
    done, deadline = 0, time.monotonic() + seconds
    while True:
        n = process_pending(batch)
        done += n
        if n < batch or time.monotonic() >= deadline:
            return done
