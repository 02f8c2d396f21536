"""The names of the store's codes as staff read them, in their language: RFM segments, movements,
timeline events, message and ticket states. A code without a name here is shown as it is."""

import re

from django.utils.translation import gettext_lazy as _

from patron.analytics import churn, forecast

QUADRANT_NAMES = {
    "loyal": _("Loyal"), "latent": _("Latent"),
    "spurious": _("Regular, would switch"), "none": _("Not attached"),
}
LABELS = {
    "segment": {
        "Champions": _("Champions"), "Loyal": _("Loyal"), "Potential loyalists": _("Potential loyalists"),
        "New": _("New"), "Promising": _("Promising"), "Need attention": _("Need attention"),
        "About to sleep": _("About to sleep"), "At risk": _("At risk"), "Can't lose them": _("Can't lose them"),
        "Hibernating": _("Hibernating"), "Lost": _("Lost"), "-": "–",
    },
    "quadrant": QUADRANT_NAMES,
    "movement": {"earn": _("earned"), "adjust": _("adjusted by staff"), "redeem": _("redeemed"), "expire": _("expired"),
                 "reverse": _("reversed (refund)")},
    "event": {"order": _("order"), "refund": _("refund"), "consent": _("consent"), "survey_nps": _("NPS answer"),
              "survey_csat": _("CSAT answer"), "ticket_resolved": _("ticket"), "complaint_resolved": _("complaint"),
              "nps_detractor": _("NPS detractor"), "suggestion_implemented": _("idea"), "checkout_started": _("checkout"),
              "added_to_cart": _("cart"), "product_viewed": _("browsing"), "complaint": _("complaint"),
              "wallet": _("wallet"), "gift": _("gift")},
    "message": {"queued": _("queued"), "sending": _("sending"), "sent": _("sent"), "failed": _("failed"),
                "suppressed": _("suppressed"), "held": _("held (its journey is paused)")},
    "ticket": {"new": _("new"), "open": _("open"), "waiting": _("waiting on the customer"), "resolved": _("resolved"),
               "closed": _("closed")},
    "priority": {"low": _("low"), "normal": _("normal"), "high": _("high"), "urgent": _("urgent")},
    "reward_kind": {"free_product": _("a free product"), "gift": _("a gift"), "donation": _("a donation")},
    # The scores and forecasts `patron score` chooses between (model names such as BG/NBD are shown as they are).
    "model": {"classifier": _("the churn classifier"), churn.NO_PURCHASE: _("BG/NBD's probability of no purchase in 90 days"),
              churn.EXPECTED: _("Pareto/NBD's expected purchases"), forecast.LEARNED: _("the learned forecast")},
}
# Why the desk raised a ticket's priority (service.priority_for writes them as codes in English).
NPS_DETRACTOR = re.compile(r"NPS detractor \((\d+)\)")
REASONS = {"high CLV": _("high predicted value"), "at risk of leaving": _("at risk of leaving")}


def priority_reasons(text: str) -> list[str]:
    """The reasons a ticket's priority was raised, in the staff member's language."""
    shown = []
    for reason in filter(None, (r.strip() for r in (text or "").split(","))):
        found = NPS_DETRACTOR.fullmatch(reason)
        shown.append(_("NPS detractor (%(score)s)") % {"score": found.group(1)} if found else str(REASONS.get(reason, reason)))
    return shown


def label(kind: str, code) -> str:
    return str(LABELS[kind].get(code, code)) if code is not None else "–"


def backtest_choices(choices: dict | None) -> dict | None:
    """insights.risk.backtest_choices with the models' names in the staff member's language."""
    if not choices:
        return None
    out = {}
    if choices.get("churn"):
        c = choices["churn"]
        out["churn"] = {**c, "score": label("model", c["score"]), "runner_up": label("model", c["runner_up"]) if c["runner_up"] else None}
    if choices.get("forecast") and choices["forecast"].get("runner_up"):
        f = choices["forecast"]
        out["forecast"] = {**f, "model": label("model", f["model"]), "runner_up": label("model", f["runner_up"])}
    return out

