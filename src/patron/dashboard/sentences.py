"""What staff read instead of codes: a timeline event, a ledger reason Patron wrote, and an audit entry, each as a
sentence in the staff member's language, amounts written as that language writes money."""

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def _locale() -> str:
    return (get_language() or "en").split("-")[0]


def money(amount, currency: str) -> str:
    try:
        return format_currency(Decimal(str(amount)), currency or "EUR", locale=_locale())
    except (InvalidOperation, ValueError):
        return f"{amount} {currency}".strip()


def _source(code: str) -> str:
    return {"import": _("an import"), "api": _("the shop's API"), "portal": _("the member portal"), "staff": _("staff"),
            "unsubscribe": _("the unsubscribe link"), "preferences": _("the preference centre"),
            "erasure": _("the erasure")}.get(code, code)


def _channel(code: str) -> str:
    return {"email": _("emails"), "sms": _("SMS")}.get(code, code)


def event(entry: dict) -> str:
    """A timeline entry (customers.queries.timeline) as a sentence."""
    kind, data = entry["kind"], entry.get("payload") or {}
    if kind == "order":
        said = _("Order %(order)s, %(total)s.") % {"order": data.get("order", ""),
                                                   "total": money(data.get("total"), data.get("currency", ""))}
        status = data.get("status")
        if status == "refunded":
            said += " " + _("Refunded.")
        elif status == "cancelled":
            said += " " + _("Cancelled.")
        return said
    if kind == "refund":
        return _("%(amount)s refunded on order %(order)s.") % {
            "amount": money(data.get("amount"), data.get("currency", "")), "order": data.get("order", "")}
    if kind == "consent":
        values = {"channel": _channel(entry.get("channel", "")), "source": _source(data.get("source", ""))}
        if data.get("granted"):
            return _("Agreed to %(channel)s, through %(source)s.") % values
        return _("Withdrew consent to %(channel)s, through %(source)s.") % values
    if kind in ("survey_nps", "survey_csat"):
        said = _("Answered %(score)s.") % {"score": data.get("score")}
        return f"{said} “{data['comment']}”" if data.get("comment") else said
    if kind in ("ticket_resolved", "complaint_resolved"):
        said = _("Ticket #%(ticket)s resolved: %(subject)s.") % {"ticket": data.get("ticket", ""),
                                                                  "subject": data.get("subject", "")}
        if data.get("points"):
            said += " " + _("%(points)s goodwill points given.") % {"points": data["points"]}
        if data.get("coupon"):
            said += " " + _("Coupon %(code)s given.") % {"code": data["coupon"]}
        return said
    if kind == "nps_detractor":
        return _("Answered NPS as a detractor (%(score)s).") % {"score": data.get("score", "")}
    if kind == "suggestion_implemented":
        return _("Their idea was shipped: %(idea)s.") % {"idea": data.get("idea") or data.get("title", "")}
    if kind == "checkout_started":
        return _("Started a checkout.")
    if kind == "added_to_cart":
        return _("Added %(product)s to the cart.") % {"product": data.get("name") or data.get("sku", "")}
    if kind == "product_viewed":
        return _("Looked at %(product)s.") % {"product": data.get("name") or data.get("sku", "")}
    # An event of the shop's own kind: its details as they came.
    return "; ".join(f"{k}: {v}" for k, v in data.items() if not isinstance(v, (dict, list)))


REASONS = [
    (re.compile(r"order(?:; (?P<notes>.*))?"), lambda m: _("an order") + (f" ({m['notes']})" if m["notes"] else "")),
    (re.compile(r"expired"), lambda m: _("expired")),
    (re.compile(r"refund of order (?P<order>.+)"), lambda m: _("refund of order %(order)s") % {"order": m["order"]}),
    (re.compile(r"refunded in the shop"), lambda m: _("refunded in the shop")),
    (re.compile(r"clawback of refunded points"), lambda m: _("points of a refunded order taken back")),
    (re.compile(r"reward: (?P<name>.+)"), lambda m: _("reward: %(name)s") % {"name": m["name"]}),
    (re.compile(r"apology for ticket #(?P<ticket>\d+)(?P<by> \(.+\))?"),
     lambda m: _("apology for ticket #%(ticket)s") % {"ticket": m["ticket"]} + (m["by"] or "")),
    (re.compile(r"journey (?P<key>[\w-]+)"), lambda m: _("journey %(key)s") % {"key": m["key"]}),
    (re.compile(r"happy birthday"), lambda m: _("birthday bonus")),
    (re.compile(r"thank you for your feedback"), lambda m: _("thanks for their feedback")),
    (re.compile(r"referral: a friend's first order"), lambda m: _("a referred friend's first order")),
    (re.compile(r"welcome: referred by a friend"), lambda m: _("welcome, referred by a friend")),
]


def reason(text: str) -> str:
    """A ledger reason Patron wrote, in the staff member's language; a person's own reason as they wrote it."""
    for pattern, say in REASONS:
        found = pattern.fullmatch(text or "")
        if found:
            return say(found)
    return text


SETUP_KINDS = {"program": gettext_lazy("program"), "tier": gettext_lazy("tier"), "reward": gettext_lazy("reward"),
               "rule": gettext_lazy("earning rule"), "plan": gettext_lazy("paid plan")}
SETUP_FIELDS = {"names": gettext_lazy("the name in other languages"), "descriptions": gettext_lazy("the description in other languages"),
                "picture": gettext_lazy("Picture")}


def _setup_field(kind: str, name: str) -> str:
    """A field a setup change named, as its form labels it."""
    from patron.dashboard.program_forms import FORMS, ProgramForm

    form = ProgramForm if kind == "program" else FORMS.get(kind)
    found = form.base_fields.get(name) if form else None
    return str(found.label if found else SETUP_FIELDS.get(name, name))


AUDIT = {
    "points.grant": lambda d: _("granted %(points)s points in %(program)s: %(reason)s") % d,
    "points.adjust": lambda d: _("took %(points)s points in %(program)s: %(reason)s") % {**d, "points": abs(int(d["points"]))},
    "customer.erase": lambda d: _("erased a customer: %(reason)s") % d,
    "customer.export": lambda d: _("exported a customer's data"),
    "journey.on": lambda d: _("switched a journey on (taken in at once: %(backlog)s)") % {
        "backlog": _("nobody") if d.get("backlog") == "none" else d.get("backlog")},
    "journey.off": lambda d: _("switched a journey off (%(left)s customers left it, %(stopped)s messages stopped)") % {
        "left": d.get("left", 0), "stopped": d.get("messages_stopped", 0)},
    "journey.pause": lambda d: _("paused a journey (%(held)s messages held)") % {"held": d.get("messages_held", 0)},
    "journey.resume": lambda d: _("resumed a journey (%(released)s messages released)") % {"released": d.get("messages_released", 0)},
    "journey.create": lambda d: _("created a journey"),
    "journey.change": lambda d: _("changed a journey: %(what)s") % {"what": ", ".join(d.get("changed", []))},
    "journey.winner": lambda d: _("made variant %(variant)s the winner of a journey") % {"variant": d.get("variant", "")},
    "message.change": lambda d: _("edited a message's %(language)s text") % {"language": d.get("language", "")},
    "message.reset": lambda d: _("reset a message's %(language)s text to the built-in one") % {"language": d.get("language", "")},
    "brand.change": lambda d: _("changed the emails' brand: %(what)s") % {"what": ", ".join(d.get("changed", []))},
    "program.setup": lambda d: (_("set up the %(kind)s %(name)s") if d.get("created") else _("changed the %(kind)s %(name)s: %(what)s")) % {
        "kind": str(SETUP_KINDS.get(d.get("kind"), d.get("kind", ""))), "name": d.get("name", ""),
        "what": ", ".join(_setup_field(d.get("kind", ""), name) for name in d.get("changed", []))},
    "apikey.revoke": lambda d: _("revoked the API key %(name)s") % {"name": d.get("name", "")},
    "connection.add": lambda d: _("connected the shop %(address)s") % {"address": d.get("address", "")},
    "connection.remove": lambda d: _("removed the shop %(address)s") % {"address": d.get("address", "")},
    "connection.pause": lambda d: _("paused the shop %(address)s") % {"address": d.get("address", "")},
    "connection.resume": lambda d: _("resumed the shop %(address)s") % {"address": d.get("address", "")},
}
TARGETS = {"customer": lambda v: _("customer %(id)s") % {"id": v}, "journey": lambda v: _("journey %(key)s") % {"key": v},
           "message": lambda v: _("message %(key)s") % {"key": v}, "erasure": lambda v: _("erasure #%(id)s") % {"id": v},
           "connection": lambda v: _("shop connection #%(id)s") % {"id": v}, "apikey": lambda v: _("API key %(id)s") % {"id": v},
           "brand": lambda v: _("the brand"), "program": lambda v: _("program #%(id)s") % {"id": v}}


def audit(action: str, detail: dict) -> str:
    """An audit entry's action and details as a sentence; an action without one here is shown as recorded."""
    say = AUDIT.get(action)
    if say is None:
        return action
    try:
        return say(detail or {})
    except (KeyError, TypeError, ValueError):
        return action


def target(text: str) -> str:
    kind, _sep, value = (text or "").partition(":")
    say = TARGETS.get(kind)
    return say(value) if say else text

