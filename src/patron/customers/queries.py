"""Read-side questions about customers: the GDPR export and the timeline."""

from patron.customers.models import Customer


def timeline(customer: Customer, *, limit: int = 200) -> list[dict]:
    """Interactions, survey answers, orders, refunds and consent decisions, newest first."""
    events = [
        {"at": i.occurred_at, "kind": i.kind, "channel": i.channel, "payload": i.payload}
        for i in customer.interactions.order_by("-occurred_at")[:limit]
    ]
    events += [
        {"at": c.recorded_at, "kind": "consent", "channel": c.channel, "payload": {"granted": c.granted, "source": c.source}}
        for c in customer.consent_events.order_by("-recorded_at")[:limit]
    ]
    events += [
        {"at": r.answered_at, "kind": f"survey_{r.kind}", "channel": r.source, "payload": {"score": r.score, "comment": r.comment}}
        for r in customer.survey_responses.order_by("-answered_at")[:limit]
    ]
    for order in customer.orders.order_by("-placed_at").prefetch_related("refunds")[:limit]:
        events.append(
            {"at": order.placed_at, "kind": "order", "channel": "", "payload": {"order": order.external_id, "total": str(order.total), "currency": order.currency, "status": order.status}}
        )
        events += [
            {"at": r.refunded_at, "kind": "refund", "channel": "", "payload": {"order": order.external_id, "amount": str(r.amount)}}
            for r in order.refunds.all()
        ]
    events.sort(key=lambda e: e["at"], reverse=True)
    return events[:limit]


def export_customer(customer: Customer) -> dict:
    """Everything Patron holds about one customer (GDPR Art. 15 / 20), as plain data."""
    profile = {
        f.name: getattr(customer, f.name)
        for f in Customer._meta.concrete_fields
        if f.name != "id"
    }
    orders = []
    for order in customer.orders.order_by("placed_at").prefetch_related("lines__product__category", "refunds"):
        orders.append(
            {
                "external_id": order.external_id,
                "placed_at": order.placed_at,
                "total": order.total,
                "currency": order.currency,
                "status": order.status,
                "lines": [
                    {
                        "sku": line.product.sku,
                        "category": line.product.category.name if line.product.category else None,
                        "quantity": line.quantity,
                        "unit_price": line.unit_price,
                    }
                    for line in order.lines.all()
                ],
                "refunds": [
                    {"amount": r.amount, "refunded_at": r.refunded_at, "reason": r.reason} for r in order.refunds.all()
                ],
            }
        )
    return {
        "customer": profile,
        "consent_history": list(
            customer.consent_events.order_by("recorded_at").values("channel", "granted", "source", "recorded_at", "note")
        ),
        "interactions": list(
            customer.interactions.order_by("occurred_at").values("kind", "channel", "occurred_at", "payload")
        ),
        "orders": orders,
        "survey_responses": list(
            customer.survey_responses.order_by("answered_at").values("kind", "score", "comment", "language", "source", "answered_at")
        ),
        "paid_memberships": [
            {"plan": m.plan.name, "status": m.status, "joined_at": m.joined_at, "cancelled_at": m.cancelled_at, "ended_at": m.ended_at,
             "periods": list(m.periods.order_by("number").values("number", "starts_at", "ends_at", "fee"))}
            for m in customer.paid_memberships.select_related("plan").order_by("joined_at")
        ],
    }
