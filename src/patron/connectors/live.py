"""Processing the stored webhook deliveries (the worker does it every round): orders and customers through
the same services as the API, so an order earns its points through the one earning function. A delivery
older than one already processed for the same resource changes nothing."""

from __future__ import annotations

import logging
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from patron.commerce import services as commerce
from patron.commerce import storefront
from patron.connectors import coupons, services, shopify
from patron.connectors.models import Connection, Delivery
from patron.connectors.services import apply_refunds
from patron.core.errors import PatronError
from patron.customers import services as customers
from patron.customers.models import ConsentEvent

log = logging.getLogger(__name__)
BATCH = 200


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


def _newer_seen(delivery: Delivery) -> bool:
    return Delivery.objects.filter(connection_id=delivery.connection_id, topic__startswith=_resource(delivery.topic),
                                   resource_id=delivery.resource_id, processed_at__isnull=False,
                                   modified_at__gt=delivery.modified_at).exclude(pk=delivery.pk).exists()


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


def _order(delivery: Delivery, platform) -> str:
    body = delivery.body
    person, order, lines = platform.order_rows(body)
    if order is None:
        return f"not an order yet ({body.get('status') or body.get('financial_status')})"
    buyer = _customer(person) if person else customers.get_customer(order["customer_external_id"])
    placed = parse_datetime(order["placed_at"])
    made, _ = commerce.record_order(buyer, order["external_id"], placed_at=placed, total=order["total"],
                                    currency=order["currency"], status=order["status"], lines=lines)
    refunded = apply_refunds(made.external_id, platform.refunds_of(body))
    used = coupons.mark_used(delivery.connection, platform.coupons_of(body), made.external_id, placed) \
        if made.status == made.Status.COMPLETED else 0
    return (f"order saved, {made.effects.get('points_earned', 0)} points" + (f", {refunded} refund(s)" if refunded else "")
            + (f", {used} Patron coupon(s) used" if used else ""))


def _checkout(body: dict) -> str:
    """A checkout begun: remembered for the abandoned-checkout journey, until it becomes an order."""
    if body.get("completed_at"):
        return "checkout completed: it comes as an order"
    person, items = shopify.checkout_rows(body)
    if person is None or not items:
        return "checkout of an unknown visitor, or an empty cart: nothing to remember"
    at = parse_datetime(shopify.modified_at({"created_at": body.get("created_at")}) or "") or timezone.now()
    _interaction, new = storefront.record(
        _customer(person), storefront.CHECKOUT, items=items, checkout=str(body.get("token") or body.get("id") or ""),
        checkout_url=str(body.get("abandoned_checkout_url") or ""), currency=str(body.get("currency") or ""), at=at)
    return "checkout remembered" if new else "checkout updated"


def _apply(delivery: Delivery) -> str:
    body, topic = delivery.body, delivery.topic
    platform = services.platform(delivery.connection)
    if _newer_seen(delivery):
        return "older than a change already taken: nothing to do"
    if topic in CUSTOMER:
        _customer(platform.customer_row(body))
        return "customer saved"
    if topic in ORDER:
        return _order(delivery, platform)
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


def process_pending(batch: int = BATCH) -> int:
    """Process up to `batch` deliveries in the order they came; one that fails says why and is not retried."""
    done = 0
    pending = Delivery.objects.filter(processed_at__isnull=True).select_related("connection").order_by("received_at", "pk")
    for delivery in pending[:batch]:
        try:
            with transaction.atomic():
                outcome = _apply(delivery)
        except PatronError as exc:
            outcome = f"refused: {exc.message}"
        except (KeyError, TypeError, ValueError) as exc:
            outcome = f"not readable: {type(exc).__name__}: {exc}"
            log.warning("webhook delivery %s not readable: %s", delivery.pk, exc)
        Delivery.objects.filter(pk=delivery.pk).update(processed_at=timezone.now(), outcome=outcome[:300])
        done += 1
    return done
