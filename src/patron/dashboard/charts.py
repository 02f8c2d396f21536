"""Snapshots shaped for the pages: KPI cards with their trend, the cohort heatmap, and Chart.js specs.

A chart spec is plain JSON handed to the page with json_script; static/dashboard/dashboard.js draws it.
Labels are translated here, so the charts speak the staff member's language.
"""

import datetime as dt
from decimal import Decimal

from babel.numbers import format_currency, format_decimal, format_percent
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patron.analytics import QUADRANTS
from patron.campaigns import design
from patron.core.names import staff_language
from patron.dashboard.labels import QUADRANT_NAMES, label

# KPI: (label, unit, whether a rise is good).
KPIS = {
    "customer_retention_rate": (gettext_lazy("Retention rate"), "%", True),
    "churn_rate": (gettext_lazy("Churn rate"), "%", False),
    "nps": (gettext_lazy("NPS"), "", True),
    "csat": (gettext_lazy("CSAT"), "%", True),
    "clv": (gettext_lazy("Customer lifetime value"), "money", True),
    "repeat_purchase_rate": (gettext_lazy("Repeat purchase rate"), "%", True),
    "average_order_value": (gettext_lazy("Average order value"), "money", True),
    "purchase_frequency": (gettext_lazy("Orders per customer"), "", True),
}
QUADRANT_HELP = {
    "loyal": gettext_lazy("Buy often and say they love you."),
    "latent": gettext_lazy("Like you but rarely buy: give them a reason."),
    "spurious": gettext_lazy("Buy often out of habit or price; a competitor can take them."),
    "none": gettext_lazy("Neither buy nor care: do not spend much here."),
}
HEAT_STEPS = 10


def _number(value, unit: str, currency: str = "") -> str:
    """A figure as the staff member's language writes it: 4 500,5 or 4,500.5; 86,45 % or 86.45%; 44,18 € or €44.18."""
    locale = staff_language()
    if unit == "money" and currency:
        return format_currency(Decimal(str(round(value, 2))), currency, locale=locale)
    if unit == "%":
        return format_percent(Decimal(str(round(value, 2))) / 100, locale=locale, decimal_quantization=False)
    return format_decimal(Decimal(str(round(value, 2))), locale=locale, decimal_quantization=False)


def kpi_cards(data: dict) -> list[dict]:
    current, previous, currency = data["current"], data["previous"], data.get("currency", "")
    cards = []
    for key, (title, unit, rise_is_good) in KPIS.items():
        now, before = current.get(key), previous.get(key)
        change = round(now - before, 2) if now is not None and before is not None else None
        cards.append({
            "key": key, "label": title, "unit": unit, "value": now, "previous": before, "change": change,
            "trend": None if not change else ("good" if (change > 0) == rise_is_good else "bad"),
            "shown": None if now is None else _number(now, unit, currency),
            "change_shown": None if change is None else _number(abs(change), "" if unit == "%" else unit, currency),
        })
    return cards


def left_out(data: dict) -> list[dict]:
    """The currencies whose orders had no exchange rate, their amounts written in the staff member's language."""
    locale = staff_language()
    return [{**lost, "amount_shown": format_currency(Decimal(str(lost["amount"])), lost["currency"], locale=locale),
             "orders_shown": format_decimal(lost["orders"], locale=locale)} for lost in data.get("left_out", [])]


PALETTE = ["#1d4ed8", "#0f766e"]  # the first colours of dashboard.js's palette


def activity_chart(monthly: list[dict], today: dt.date | None = None) -> dict:
    """Buyers and orders per month; the month still running is drawn pale and labelled "so far", not as a fall."""
    today = today or timezone.localdate()
    labels = [m["month"] for m in monthly]
    running = bool(labels) and str(labels[-1])[:7] == today.strftime("%Y-%m")
    if running:
        labels[-1] = _("%(month)s (so far)") % {"month": labels[-1]}
    datasets = []
    for i, (name, key) in enumerate([(_("Customers who bought"), "customers"), (_("Orders"), "orders")]):
        colours = [PALETTE[i]] * len(monthly)
        if running:
            colours[-1] = PALETTE[i] + "55"  # the same colour, a third as strong
        datasets.append({"label": name, "data": [m[key] for m in monthly], "backgroundColor": colours,
                         "borderColor": PALETTE[i]})
    return {"type": "bar", "data": {"labels": labels, "datasets": datasets}}


def cohort_heatmap(data: dict) -> dict:
    """Rows of cohorts, columns of months since the first purchase; each cell a rate and a colour step."""
    rows = data["rows"]
    months = list(range(0, max((r["month"] for r in rows), default=0) + 1))
    by_cohort: dict[str, dict] = {}
    for r in rows:
        entry = by_cohort.setdefault(r["cohort"], {"cohort": r["cohort"], "size": r["size"], "cells": {}})
        entry["cells"][r["month"]] = r["rate"]
    table = []
    for cohort in sorted(by_cohort):
        entry = by_cohort[cohort]
        cells = []
        for m in months:
            rate = entry["cells"].get(m)
            cells.append(None if rate is None else {"pct": round(100 * rate, 1), "step": min(HEAT_STEPS - 1, int(rate * HEAT_STEPS))})
        table.append({"cohort": cohort[:7], "size": entry["size"], "cells": cells})
    return {"months": months, "rows": table}


def segment_chart(data: dict) -> dict:

    return {"type": "bar", "options": {"indexAxis": "y"}, "data": {
        "labels": [label("segment", s["segment"]) for s in data["segments"]],
        "datasets": [{"label": _("Customers"), "data": [s["customers"] for s in data["segments"]]}]}}


def loyalty_matrix(data: dict) -> dict:
    quadrants = data["quadrants"]
    total = sum(q["customers"] for q in quadrants.values()) or 1
    cells = {q: {**quadrants[q], "name": QUADRANT_NAMES[q], "help": QUADRANT_HELP[q],
                 "share": round(100 * quadrants[q]["customers"] / total, 1)} for q in QUADRANTS}
    segments = [{"segment": seg, **{q: counts.get(q, 0) for q in QUADRANTS}}
                for seg, counts in sorted(data["by_segment"].items())]
    return {"cells": cells, "segments": segments, "quadrant_names": [QUADRANT_NAMES[q] for q in QUADRANTS]}


def journey_rows(data: dict) -> list[dict]:
    rows = []
    for row in data["journeys"]:
        conversion = (row.get("uplift") or {}).get("conversion") or {}
        points = {k: conversion.get(k) for k in ("difference", "low", "high")}
        pp = {k: round(100 * v, 1) for k, v in points.items() if v is not None} if points["difference"] is not None else None
        report = row.get("uplift") or {}
        pooled = (report.get("pooled") or {}).get("conversion") or {}
        helps = round(100 * pooled["probability_better"], 1) if "probability_better" in pooled else None
        rows.append({**row, "uplift_pp": pp,  # percentage points, with the 95 % interval
                     "helps": helps, "clicks": report.get("clicks"), "variants": _variants(report.get("variants"))})
    return rows


def _variants(found: dict | None) -> dict | None:
    """A journey's variants as its row shows them: each one's recipients, conversion in % and revenue per recipient,
    the one the pooled model favours, and the winner if one was chosen."""
    if not found:
        return None
    rows = [{**v, "conversion_pct": None if v["conversion"] is None else round(100 * v["conversion"], 1),
             "best_pct": round(100 * v["probability_best"], 1) if "probability_best" in v else None}
            for v in found["variants"]]
    leading = max((v for v in rows if v["best_pct"] is not None), key=lambda v: v["best_pct"], default=None)
    return {**found, "variants": rows, "leading": leading, "probability_pct": round(100 * found["probability"], 1),
            "decisive": float(100 * design.MIN_PROBABILITY),  # below it, a button to choose would invite a coin toss
            "winner_on": dt.date.fromisoformat(found["winner_at"][:10]) if found.get("winner_at") else None}


def funnel_chart(data: dict) -> dict:
    rows = [r for r in data["journeys"] if r["entered"]]
    return {"type": "bar", "data": {
        "labels": [r["name"] for r in rows],
        "datasets": [{"label": _("Entered"), "data": [r["entered"] for r in rows]},
                     {"label": _("Sent"), "data": [r["sent"] for r in rows]},
                     {"label": _("Converted"), "data": [r["converted"] for r in rows]}]}}


def feedback_chart(data: dict) -> dict:
    """NPS (from -100 to 100) and CSAT by month; a measure with no answers at all is left out of the chart."""
    months = data["months"]
    datasets = [{"label": name, "data": [m.get(key) for m in months]} for name, key in ((_("NPS"), "nps"), (_("CSAT"), "csat"))]
    return {"type": "line", "options": {"scales": {"y": {"min": -100, "max": 100}}}, "data": {
        "labels": [m.get("month") for m in months],
        "datasets": [d for d in datasets if any(v is not None for v in d["data"])]}}
