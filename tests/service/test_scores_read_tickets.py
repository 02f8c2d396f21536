"""The scores read what the desk knows: a recent complaint keeps a frequent, happy buyer out of 'loyal'."""

import datetime as dt

import pytest

from patron.commerce import services as commerce
from patron.customers import services as customers
from patron.feedback import services as feedback
from patron.insights.models import CustomerScore
from patron.insights.services import refresh_scores
from patron.service import services as desk

pytestmark = pytest.mark.django_db(transaction=True)  # the scoring reads committed rows
NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)


def test_a_complaint_counts_against_attitudinal_loyalty():
    for name in ("happy", "complained"):
        person, _ = customers.upsert_customer(name)
        for i in range(6):
            commerce.record_order(person, f"{name}-{i}", placed_at=NOW - dt.timedelta(days=20 + 30 * i), total="25", currency="EUR")
        feedback.record_answer(person, "nps", 10, ref="l:1", source="link", at=NOW - dt.timedelta(days=5))
        if name == "complained":
            desk.open_ticket(subject="Broken", channel="api", customer=person, kind="complaint", at=NOW - dt.timedelta(days=3))
    refresh_scores(NOW)
    quadrant = dict(CustomerScore.objects.values_list("customer__external_id", "quadrant"))
    assert quadrant["happy"] == "loyal" and quadrant["complained"] != "loyal"
