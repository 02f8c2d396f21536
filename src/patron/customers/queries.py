"""Read-side questions about customers: the GDPR export and the timeline."""

from patron.customers import privacy
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
            {"at": r.refunded_at, "kind": "refund", "channel": "", "payload": {"order": order.external_id, "amount": str(r.amount), "currency": order.currency}}
            for r in order.refunds.all()
        ]
    events.sort(key=lambda e: e["at"], reverse=True)
    return events[:limit]


def export_customer(customer: Customer) -> dict:
    """Everything Patron holds about one customer (GDPR Art. 15 / 20), as plain data: the profile, consent
    and timeline here, then each section that a context registered (`privacy.exports`): orders, points
    and the ledger, coupons, tiers and paid plans, tickets, messages, survey answers, journeys, scores."""
    profile = {f.name: getattr(customer, f.name) for f in Customer._meta.concrete_fields if f.name != "id"}
    out = {
        "customer": profile,
        "consent_history": list(
            customer.consent_events.order_by("recorded_at").values("channel", "granted", "source", "recorded_at", "note")
        ),
        "interactions": list(
            customer.interactions.order_by("occurred_at").values("kind", "channel", "occurred_at", "payload")
        ),
        "tags": list(customer.tags.order_by("name").values("name", "tagged_at")),
    }
    for section, export in privacy.EXPORTERS.items():
        out[section] = export(customer)
    return out
