"""What commerce exports and erases for one customer (registered in CommerceConfig.ready)."""

from patron.commerce.models import Refund
from patron.customers.privacy import Person, erases, exports


@exports("orders")
def orders(customer) -> list[dict]:
    out = []
    for order in customer.orders.order_by("placed_at").prefetch_related("lines__product__category", "refunds"):
        out.append({
            "external_id": order.external_id, "placed_at": order.placed_at, "total": order.total,
            "currency": order.currency, "status": order.status,
            "lines": [{"sku": line.product.sku, "category": line.product.category.name if line.product.category else None,
                       "quantity": line.quantity, "unit_price": line.unit_price} for line in order.lines.all()],
            "refunds": [{"amount": r.amount, "refunded_at": r.refunded_at, "reason": r.reason} for r in order.refunds.all()],
        })
    return out


@erases
def erase(customer, person: Person) -> None:
    """The orders stay as anonymous facts; a refund's reason loses the person's name or address."""
    for refund in Refund.objects.filter(order__customer=customer).exclude(reason=""):
        if person.mentioned_in(refund.reason):
            Refund.objects.filter(pk=refund.pk).update(reason=person.scrub(refund.reason))
