"""What a known customer does in the shop before buying: a product viewed, a product added to the cart, a
checkout started (from the storefront script, or Shopify's checkout webhooks). Each is a timeline
interaction, which the abandoned-checkout and browse-abandonment journeys start from; the items carry
what a message shows of each product (name, price, link, image) from the catalogue.

Kept small on purpose: one "viewed" per customer and product a day, one "added" per customer and product
per cart, and one interaction per checkout, updated as the cart changes, so a busy shopper is not a flood.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from patron.commerce.models import Product
from patron.core.errors import InvalidInput
from patron.customers.models import Customer, Interaction

VIEWED, ADDED, CHECKOUT = "product_viewed", "added_to_cart", "checkout_started"
KINDS = (VIEWED, ADDED, CHECKOUT)
MAX_ITEMS = 50


def _item(row: dict, catalogue: dict[str, Product]) -> dict:
    """One line of a cart or a viewed product, named from the catalogue where the event does not say."""
    sku = str(row.get("sku") or "").strip()[:64]
    if not sku:
        raise InvalidInput("each item needs its sku", field="items")
    try:
        quantity = int(row.get("quantity") or 1)
    except (TypeError, ValueError):
        raise InvalidInput(f"item {sku}: quantity must be a whole number", field="items") from None
    if not 1 <= quantity <= 10_000:
        raise InvalidInput(f"item {sku}: quantity must be between 1 and 10000", field="items")
    product = catalogue.get(sku)
    price = row.get("price")
    if price in (None, "") and product is not None and product.price is not None:
        price = product.price
    try:
        price = str(Decimal(str(price)).quantize(Decimal("0.01"))) if price not in (None, "") else ""
    except InvalidOperation:
        raise InvalidInput(f"item {sku}: price {row.get('price')!r} is not an amount", field="items") from None
    return {"sku": sku, "quantity": quantity, "price": price,
            "name": str(row.get("name") or (product and product.name) or sku)[:200],
            "url": str(row.get("url") or (product and product.url) or "")[:500],
            "image_url": str(row.get("image_url") or (product and product.image_url) or "")[:500]}


def record(customer: Customer, kind: str, *, items: list[dict] | None = None, checkout: str = "",
           checkout_url: str = "", currency: str = "", at: dt.datetime | None = None) -> tuple[Interaction, bool]:
    """Record one storefront event; returns (the interaction, whether it is new). A checkout is one
    interaction per checkout token, its cart replaced as it changes."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown event {kind!r} (expected {', '.join(KINDS)})", field="kind")
    if customer.is_erased:
        raise InvalidInput("the customer was erased", field="customer")
    rows = (items or [])[:MAX_ITEMS]
    skus = {str(row.get("sku") or "").strip()[:64] for row in rows if isinstance(row, dict)}
    catalogue = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    items = [_item(row, catalogue) for row in rows]
    if not items:
        raise InvalidInput("an event names at least one item (its sku)", field="items")
    at = at or timezone.now()
    payload = {"items": items}
    if currency:
        payload["currency"] = currency.upper()[:3]
    if checkout_url.startswith(("https://", "http://")):
        payload["checkout_url"] = checkout_url[:500]
    mine = Interaction.objects.filter(customer=customer, kind=kind)
    with transaction.atomic():
        if kind == CHECKOUT:
            token = (checkout or "").strip()[:100]
            if not token:
                raise InvalidInput("a started checkout needs its token", field="checkout")
            payload["checkout"] = token
            found = mine.select_for_update().filter(payload__checkout=token).first()
        else:
            since = at - dt.timedelta(days=1)
            found = mine.filter(occurred_at__gte=since, payload__items__0__sku=items[0]["sku"]).first()
        if found is not None:
            if kind == CHECKOUT and found.payload != payload:
                Interaction.objects.filter(pk=found.pk).update(payload=payload)
                found.payload = payload
            return found, False
        return Interaction.objects.create(customer=customer, kind=kind, channel="web", occurred_at=at, payload=payload), True
