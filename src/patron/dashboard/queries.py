"""What the pages read: lists walked by keyset (never OFFSET), one customer's whole picture, the snapshots."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from patron.campaigns import services as journey_services
from patron.campaigns.models import Journey
from patron.connectors import services as connectors
from patron.connectors.models import Connection, Delivery, StoreCoupon
from patron.core.models import AuditEvent
from patron.customers import queries as customer_queries
from patron.customers.models import Customer
from patron.dashboard import charts, sentences
from patron.dashboard.program_forms import RULE_KINDS
from patron.insights import risk
from patron.insights.models import CustomerScore
from patron.loyalty import queries as loyalty_queries
from patron.loyalty.models import EarningRule, Membership, PaidPlan, Program, Reward, Tier
from patron.messaging import suppressions
from patron.messaging.models import Message
from patron.service import services as service
from patron.service.models import PRIORITY_ORDER, Priority, Ticket

PAGE_SIZE = 50


@dataclass
class Page:
    rows: list
    next_cursor: str | None  # pass as ?after= for the next page; None on the last


def _page(rows: list, size: int, cursor_of) -> Page:
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, cursor_of(rows[-1]) if more and rows else None)


def customers(*, after: str = "", search: str = "", size: int = PAGE_SIZE) -> Page:
    """Customers newest first, by id; `search` finds them by external id, email, or name ("Ieva", "Kalniņa",
    "Ieva Kalniņa"), whatever the case; every one of these is indexed."""
    query = Customer.objects.filter(erased_at__isnull=True).select_related("score").order_by("-id")
    if search := " ".join(search.split()):
        found = Q(external_id=search) | Q(email=search.lower())
        words = search.split(" ")
        if len(words) == 1:
            found |= Q(first_name__iexact=search) | Q(last_name__iexact=search)
        else:  # a first name and a last name, in either order (the last may have spaces of its own)
            first, last = words[0], " ".join(words[1:])
            found |= Q(first_name__iexact=first, last_name__iexact=last) | Q(last_name__iexact=words[0],
                                                                            first_name__iexact=last)
        query = query.filter(found)
    if after.isdigit():
        query = query.filter(id__lt=int(after))
    return _page(list(query[: size + 1]), size, lambda c: str(c.id))


def at_risk(*, after: str = "", size: int = PAGE_SIZE) -> tuple[Page, Decimal | None]:
    """Customers worth saving: valuable (12-month CLV in the top decile) and at risk of leaving
    (insights.risk); most valuable first."""
    threshold = risk.clv_threshold()
    if threshold is None:
        return Page([], None), None
    query = (CustomerScore.objects.filter(risk.at_risk_q(), clv_12m__gte=threshold, customer__erased_at__isnull=True)
             .select_related("customer").order_by("-clv_12m", "-customer_id"))
    clv, _, last_id = after.partition(":")
    try:
        clv = Decimal(clv)
    except InvalidOperation:
        clv = None
    if clv is not None and last_id.isdigit():
        query = query.filter(Q(clv_12m__lt=clv) | Q(clv_12m=clv, customer_id__lt=int(last_id)))
    return _page(list(query[: size + 1]), size, lambda s: f"{s.clv_12m}:{s.customer_id}"), threshold


RANK = Case(*[When(priority=p, then=Value(-i)) for i, p in enumerate(PRIORITY_ORDER)], output_field=IntegerField())


OPEN_STATUSES = [Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.WAITING]


def ticket_queue(*, after: str = "", size: int = PAGE_SIZE, status: str = "", priority: str = "", assignee: str = "",
                 user=None) -> Page:
    """Open tickets (or those of one status), most urgent first, then the oldest; filtered by priority and by
    who has them ("me", "nobody", or anyone)."""
    statuses = [status] if status in Ticket.Status.values else OPEN_STATUSES
    query = (Ticket.objects.filter(status__in=statuses)
             .select_related("customer", "customer__score", "policy", "assigned_to").annotate(rank=RANK)
             .order_by("rank", "id"))
    if priority in Priority.values:
        query = query.filter(priority=priority)
    if assignee == "me" and user is not None:
        query = query.filter(assigned_to=user)
    elif assignee == "nobody":
        query = query.filter(assigned_to__isnull=True)
    rank, _, last_id = after.partition(":")
    if rank.lstrip("-").isdigit() and last_id.isdigit():
        query = query.filter(Q(rank__gt=int(rank)) | Q(rank=int(rank), id__gt=int(last_id)))
    page = _page(list(query[: size + 1]), size, lambda t: f"{t.rank}:{t.id}")
    for ticket in page.rows:
        ticket.sla = service.sla_state(ticket)
    return page


def audit_events(*, after: str = "", size: int = PAGE_SIZE) -> Page:
    """Staff actions, newest first."""
    events = AuditEvent.objects.order_by("-id")
    if after.isdigit():
        events = events.filter(id__lt=int(after))
    page = _page(list(events[: size + 1]), size, lambda e: str(e.id))
    for entry in page.rows:
        entry.said, entry.target_said = sentences.audit(entry.action, entry.detail), sentences.target(entry.target)
    return page


def programs() -> list[dict]:
    return list(Program.objects.order_by("name").values("pk", "name"))


def customer_picture(customer: Customer) -> dict:
    """Everything the customer page shows, in a fixed number of queries."""
    score = CustomerScore.objects.filter(customer=customer).first()
    loyalty = loyalty_queries.status(customer)
    for program in loyalty:
        for movement in program["recent"]:
            movement["reason_said"] = sentences.reason(movement["reason"])
    timeline = customer_queries.timeline(customer, limit=50)
    for entry in timeline:
        entry["said"] = sentences.event(entry)
    return {
        "score": score,
        "loyalty": loyalty,
        "tiers": list(Membership.objects.filter(customer=customer).select_related("program", "tier")),
        "timeline": timeline,
        "outbox": list(Message.objects.filter(customer=customer).select_related("journey").order_by("-created_at")[:20]),
        "tickets": list(Ticket.objects.filter(customer=customer).order_by("-created_at")[:20]),
        "suppressed": suppressions.of_customer(customer),
    }


NO_FIGURES = {"entered": 0, "held_out": 0, "sent": 0, "suppressed": 0, "converted": 0, "uplift_pp": None}


def journeys(snapshot: dict | None) -> list[dict]:
    """Every journey as it is now (on or off, whether its last run failed and why), with the figures of the last
    snapshot (refreshed by `patron score`): a switch shows at once."""
    figures = {row["key"]: row for row in charts.journey_rows(snapshot)} if snapshot else {}
    return [{**NO_FIGURES, **figures.get(j.key, {}), "key": j.key, "name": j.name_in(get_language() or "en"), "enabled": j.enabled,
             "state": (state := journey_services.state(j)), "state_name": JOURNEY_STATES[state],
             "last_error": j.last_error, "last_error_at": j.last_error_at} for j in Journey.objects.order_by("pk")]


JOURNEY_STATES = {"on": _("On"), "paused": _("Paused"), "off": _("Off")}


RESOURCE_NAMES = {"products": _("Products"), "customers": _("Customers"), "orders": _("Orders")}
CONNECTION_STATES = {"connected": _("Connected"), "failing": _("Failing"), "paused": _("Paused")}
PLATFORM_NAMES = {"woocommerce": "WooCommerce", "shopify": "Shopify"}


def shop_connections() -> list[dict]:
    """Each connected store as its page shows it: its state, how far the reading has come, the webhooks it
    sends and the coupons written to it."""
    out = []
    day_ago = timezone.now() - dt.timedelta(days=1)
    for c in Connection.objects.order_by("pk"):
        deliveries = Delivery.objects.filter(connection=c)
        coupons = dict(StoreCoupon.objects.filter(connection=c).values_list("state").annotate(n=Count("id")))
        refused = (StoreCoupon.objects.filter(connection=c, state=StoreCoupon.State.REFUSED).order_by("-pk")
                   .values_list("last_error", flat=True).first())
        progress = [{**row, "name": RESOURCE_NAMES[row["resource"]],
                     "percent": min(100, round(100 * row["read"] / row["total"])) if row["total"] else (100 if row["done"] else 0)}
                    for row in connectors.progress(c)]
        out.append({
            "connection": c, "platform": PLATFORM_NAMES.get(c.kind, c.kind), "state": c.state,
            "state_name": CONNECTION_STATES.get(c.state, c.state), "syncing": connectors.syncing(c),
            "progress": progress, "read_once": all(row["done"] for row in progress),
            "reads": connectors.READS.get(c.kind, ""), "writes": connectors.WRITES.get(c.kind, ""),
            "hook_url": connectors.hook_url(c),
            "deliveries_day": deliveries.filter(received_at__gte=day_ago).count(),
            "deliveries_waiting": deliveries.filter(processed_at__isnull=True).count(),
            "last_delivery": deliveries.order_by("-received_at").values_list("received_at", flat=True).first(),
            "coupons_in_store": coupons.get("in_store", 0) + coupons.get("used", 0),
            "coupons_waiting": coupons.get("pending", 0), "coupons_refused": coupons.get("refused", 0),
            "refused_reason": refused or "",
        })
    return out


def program_parts(program: Program) -> dict:
    """The Program setup page's lists: tiers, rewards, the earning rules in force or to come, paid plans."""
    now = timezone.now()
    rules = EarningRule.objects.filter(program=program).exclude(valid_until__lte=now).order_by("valid_from", "pk")
    return {
        "tiers": list(Tier.objects.filter(program=program).order_by("rank")),
        "rewards": list(Reward.objects.filter(program=program).select_related("min_tier").order_by("-active", "cost", "name")),
        "rules": [(rule, RULE_KINDS.get(rule.kind, rule.kind), rule.valid_from > now) for rule in rules],
        "plans": list(PaidPlan.objects.filter(program=program).order_by("-active", "fee")),
    }
