"""The figures in the staff member's language: KPI cards written as the language writes numbers, the month still
running drawn pale and named "so far" (not a fall), and no empty CSAT line on the NPS chart."""

import datetime as dt

from django.utils import translation

from patron.dashboard import charts


def test_kpi_cards_write_numbers_as_the_language_does():
    data = {"current": {"csat": 86.45, "average_order_value": 4500.5, "repeat_purchase_rate": 42.31}, "previous": {"csat": 80.0}}
    with translation.override("lt"):
        cards = {c["key"]: c for c in charts.kpi_cards(data)}
        assert cards["csat"]["shown"] == "86,45\xa0%" and cards["average_order_value"]["shown"] == "4\xa0500,5"
        assert cards["csat"]["change_shown"] == "6,45"
        assert cards["repeat_purchase_rate"]["shown"] == "42,31\xa0%"  # no float's tail (42,310000000000002)
    with translation.override("ka"):
        assert {c["key"]: c for c in charts.kpi_cards(data)}["csat"]["shown"] == "86,45%"  # CLDR: no space in Georgian
    with translation.override("en"):
        assert {c["key"]: c for c in charts.kpi_cards(data)}["average_order_value"]["shown"] == "4,500.5"


def test_the_running_month_is_drawn_as_unfinished():
    monthly = [{"month": "2026-11", "customers": 900, "orders": 1200}, {"month": "2026-12", "customers": 120, "orders": 150}]
    with translation.override("en"):
        spec = charts.activity_chart(monthly, today=dt.date(2026, 12, 6))
    assert spec["data"]["labels"] == ["2026-11", "2026-12 (so far)"]
    colours = spec["data"]["datasets"][0]["backgroundColor"]
    assert colours[0] != colours[1] and colours[1].startswith(colours[0])
    finished = charts.activity_chart(monthly, today=dt.date(2027, 1, 2))
    assert finished["data"]["labels"][-1] == "2026-12"


def test_the_nps_chart_leaves_out_a_measure_without_answers_and_spans_its_scale():
    spec = charts.feedback_chart({"months": [{"month": "2026-10", "nps": 12.5, "csat": None},
                                             {"month": "2026-11", "nps": -4.0, "csat": None}]})
    assert [d["label"] for d in spec["data"]["datasets"]] == ["NPS"]
    assert spec["options"]["scales"]["y"] == {"min": -100, "max": 100}
