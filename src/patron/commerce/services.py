"""Every write to orders, products and refunds goes through here."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from patron.core import sql
from patron.core.errors import CustomerErased, InvalidInput, OrderNotFound, RefundExceedsOrder
from patron.core.money import AMOUNT_DECIMAL_PLACES, is_currency, parse_amount
from patron.commerce.events import order_recorded
from patron.commerce.models import Category, Order, OrderLine, Product, Refund
from patron.customers.models import Customer


def get_order(external_id: str) -> Order:
    try:
        return Order.objects.get(external_id=external_id)
    except Order.DoesNotExist:
        raise OrderNotFound(f"no order with external id {external_id!r}") from None


def _clean_sku(sku) -> str:
    sku = (sku or "").strip()
    if not sku:
        raise InvalidInput("a product needs a sku", field="sku")
    return sku


def product_for_sku(sku: str, *, category: str = "", name: str = "") -> Product:
    sku = _clean_sku(sku)
    cat = Category.objects.get_or_create(name=category.strip())[0] if category and category.strip() else None
    product, created = Product.objects.get_or_create(sku=sku, defaults={"category": cat, "name": name})
    if not created and cat and product.category_id is None:
        product.category = cat
        product.save(update_fields=["category"])
    return product


def save_product(sku: str, *, name: str = "", category: str = "", url: str = "", image_url: str = "", price=None,
                 currency: str = "", in_stock: bool | None = None) -> Product:
    """Create or update a product from the shop's catalogue; a blank value leaves what is stored."""
    product = product_for_sku(sku, category=category, name=name[:200])
    changes = {"name": name[:200], "url": url[:500], "image_url": image_url[:500], "currency": (currency or "").upper()}
    changes = {k: v for k, v in changes.items() if v and getattr(product, k) != v}
    if category and category.strip() and (product.category is None or product.category.name != category.strip()):
        changes["category"] = Category.objects.get_or_create(name=category.strip()[:100])[0]
    if price not in (None, ""):
        amount = parse_amount(price, changes.get("currency") or product.currency or settings.PATRON_DEFAULT_CURRENCY,
                              field="price")
        if product.price != amount:
            changes["price"] = amount
    if in_stock is not None and product.in_stock != in_stock:
        changes["in_stock"] = in_stock
    if changes:
        for name_, value in changes.items():
            setattr(product, name_, value)
        product.save(update_fields=list(changes))
    return product


EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
FUTURE_SLACK = dt.timedelta(days=1)  # a shop's clock a little ahead is fine; an order in 9999 is not
QUANTITY_LIMIT = 1_000_000


def record_order(
    customer: Customer,
    external_id: str,
    *,
    placed_at: dt.datetime,
    total,
    currency: str | None = None,
    status: str = Order.Status.COMPLETED,
    lines: list[dict] | None = None,
) -> tuple[Order, bool]:
    """Create or update an order by external id; `lines` (sku, category, quantity, unit_price) replace its lines.

    Everything is checked before anything is written; the writes are one transaction, and inside a
    caller's they add no savepoint. The contexts above hear of it in the same transaction
    (`events.order_recorded`: loyalty earns the order's points); what they did is on `order.effects`."""
    if customer.is_erased:
        raise CustomerErased("orders cannot be recorded for an erased customer")
    external_id = (external_id or "").strip()
    if not external_id:
        raise InvalidInput("external_id is required", field="external_id")
    currency = (currency or settings.PATRON_DEFAULT_CURRENCY).upper()
    if not is_currency(currency):
        raise InvalidInput(f"unknown currency {currency!r}", field="currency")
    if status not in Order.Status.values:
        raise InvalidInput(f"unknown status {status!r} (expected {', '.join(Order.Status.values)})", field="status")
    if timezone.is_naive(placed_at):
        raise InvalidInput("placed_at needs a time zone", field="placed_at")
    if not EARLIEST <= placed_at <= timezone.now() + FUTURE_SLACK:
        raise InvalidInput(f"placed_at {placed_at.isoformat()} is not a time an order was placed (from 1970 to now)",
                           field="placed_at")
    fields = {"placed_at": placed_at, "total": parse_amount(total, currency, field="total"), "currency": currency, "status": status}
    checked = None if lines is None else _merged([_checked_line(line, currency) for line in lines])
    with transaction.atomic(savepoint=False):
        # A new order is one INSERT (most are new); one already there is updated under its row lock.
        new_id = sql.insert(Order, {"external_id": external_id, "customer_id": customer.pk, **fields}, unless_exists=("external_id",))
        if new_id is not None:
            order, created = sql.written(Order, {"customer": customer}, id=new_id, external_id=external_id, customer_id=customer.pk, **fields), True
        else:
            order, created = Order.objects.update_or_create(external_id=external_id, defaults=fields | {"customer": customer})
        if checked is not None:
            order.lines.all().delete()
            for sku, category, quantity, unit_price in checked:
                OrderLine.objects.create(order=order, product=product_for_sku(sku, category=category), quantity=quantity,
                                         unit_price=unit_price)
        # A new order without lines has none to read.
        known_lines = [] if created and checked is None else None
        order.effects = {}
        for _, effects in order_recorded.send(sender=Order, order=order, created=created, lines=known_lines):
            order.effects.update(effects or {})
    return order, created


def _checked_line(line: dict, currency: str) -> tuple[str, str, int, Decimal]:
    try:
        quantity = int(line.get("quantity", 1))
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(f"quantity {line.get('quantity')!r} is not a whole number", field="quantity") from None
    if not 0 < quantity <= QUANTITY_LIMIT:
        raise InvalidInput(f"quantity {quantity} must be from 1 to {QUANTITY_LIMIT:,}", field="quantity")
    return (_clean_sku(line.get("sku")), line.get("category") or "", quantity,
            parse_amount(line.get("unit_price", 0), currency, field="unit_price"))


def _merged(lines: list[tuple[str, str, int, Decimal]]) -> list[tuple[str, str, int, Decimal]]:
    """One line per SKU: shops send the same SKU twice (a gift and a bought one, two sizes of a variant
    under one SKU). Quantities add up; the unit price is their average, to the store's precision."""
    by_sku: dict[str, list] = {}
    for sku, category, quantity, price in lines:
        if sku in by_sku:
            kept = by_sku[sku]
            kept[2], kept[3] = kept[2] + quantity, kept[3] + quantity * price
            kept[1] = kept[1] or category
        else:
            by_sku[sku] = [sku, category, quantity, quantity * price]
    merged = []
    for sku, category, quantity, amount in by_sku.values():
        if quantity > QUANTITY_LIMIT:
            raise InvalidInput(f"SKU {sku}: quantity {quantity} must be at most {QUANTITY_LIMIT:,}", field="quantity")
        price = (amount / quantity).quantize(Decimal(1).scaleb(-AMOUNT_DECIMAL_PLACES))
        merged.append((sku, category, quantity, price))
    return merged


def refunded_amount(order: Order) -> Decimal:
    return order.refunds.aggregate(s=Sum("amount"))["s"] or Decimal(0)


@transaction.atomic
def refund_order(order: Order, amount=None, *, reason: str = "", refunded_at=None, external_id: str | None = None) -> Refund:
    """Refund all of the order (amount None) or part of it; never more than what is left.

    The order row is locked so two refunds at once cannot together exceed the total.
    A refund with a known external_id is returned as it was (retries are safe).
    """
    if external_id and (existing := Refund.objects.filter(external_id=external_id).first()):
        return existing
    order = Order.objects.select_for_update().get(pk=order.pk)
    remaining = order.total - refunded_amount(order)
    if amount is None and remaining <= 0:
        raise RefundExceedsOrder(f"nothing is left to refund on order {order.external_id}")
    amount = remaining if amount is None else parse_amount(amount, order.currency)
    if amount <= 0:
        raise InvalidInput("a refund must be for more than zero", field="amount")
    if amount > remaining:
        raise RefundExceedsOrder(f"refund of {amount} exceeds the {remaining} {order.currency} left on order {order.external_id}")
    refund = Refund.objects.create(
        order=order, amount=amount, reason=reason, refunded_at=refunded_at or timezone.now(), external_id=external_id
    )
    if amount == remaining:
        Order.objects.filter(pk=order.pk).update(status=Order.Status.REFUNDED)
    return refund
