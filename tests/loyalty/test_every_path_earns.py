"""An order earns its points through one function (loyalty.earning), once, whichever way it arrives:
the API, the admin, an import file; and the first-purchase bonus comes once per customer."""

import datetime as dt

import pytest
from django.urls import reverse

from patron.commerce import services as commerce
from patron.commerce.models import Order
from patron.customers.services import upsert_customer
from patron.imports import kinds
from patron.imports.runner import run_import
from patron.loyalty import earning, services
from patron.loyalty.models import EarningRule, Movement, Program
from patron.api.services import create_key
from tests.conftest import ApiClient, run_together

MONDAY = dt.datetime(2025, 6, 9, 12, tzinfo=dt.UTC)


def program_with_rules():
    stars = Program.objects.create(name="Stars", currency="EUR", points_per_unit=2)
    since = MONDAY - dt.timedelta(days=400)
    EarningRule.objects.create(program=stars, kind="first_purchase_bonus", bonus_points=50, valid_from=since)
    EarningRule.objects.create(program=stars, kind="bonus_window", weekdays="1", multiplier=3, valid_from=since)
    return stars


def earned(customer_id) -> dict[str, int]:
    return dict(Movement.objects.filter(customer_id=customer_id, kind="earn").values_list("reference", "points"))


@pytest.mark.django_db
def test_a_first_order_arriving_after_a_later_one_gets_no_second_bonus():
    stars = program_with_rules()
    ona = upsert_customer("c1")[0]
    commerce.record_order(ona, "feb", placed_at=dt.datetime(2025, 2, 11, 9, tzinfo=dt.UTC), total="10.00", currency="EUR")
    commerce.record_order(ona, "jan", placed_at=dt.datetime(2025, 1, 11, 9, tzinfo=dt.UTC), total="10.00", currency="EUR")
    got = earned(ona.pk)
    assert got == {"feb": 20, "jan": 20, earning.first_purchase_reference(ona.pk): 50}  # 10 EUR x 2, one bonus
    assert services.verify() == []
    assert stars.movements.count() == 3


@pytest.mark.django_db
def test_an_imported_order_earns_what_the_api_gives_the_same_order(write_csv):
    program_with_rules()
    api_key = ApiClient(headers={"Authorization": f"Bearer {create_key('shop', ['orders:write'])[1]}"})
    for external_id in ("c1", "c2"):
        upsert_customer(external_id)
    placed = MONDAY.isoformat()
    response = api_key.post("/api/v1/orders", {"external_id": "api-1", "customer_external_id": "c1", "placed_at": placed,
                                               "total": "12.50", "currency": "EUR"}, content_type="application/json")
    assert response.status_code in (200, 201), response.content
    assert response.json()["points_earned"] == 75 + 50  # 12.50 x 2 x 3 on a Monday, floor; the first-purchase bonus
    path = write_csv("orders.csv", ["external_id", "customer_external_id", "placed_at", "total", "currency"],
                     [["file-1", "c2", placed, "12.50", "EUR"]])
    run_import(kinds()["orders"], path)
    c2 = upsert_customer("c2")[0]
    assert earned(c2.pk) == {"file-1": 75, earning.first_purchase_reference(c2.pk): 50}
    run_import(kinds()["orders"], path)  # the same file again changes nothing
    assert earned(c2.pk) == {"file-1": 75, earning.first_purchase_reference(c2.pk): 50}


@pytest.mark.django_db
def test_a_large_import_earns_in_bulk_exactly_as_one_by_one(write_csv):
    """Above ONE_BY_ONE orders the import takes the bulk way; each order earns what award_order gives it."""
    stars = program_with_rules()
    rows = []
    for i in range(earning.ONE_BY_ONE + 30):
        upsert_customer(f"c{i % 40}")
        rows.append([f"o{i}", f"c{i % 40}", (MONDAY + dt.timedelta(hours=7 * i)).isoformat(), f"{5 + i % 17}.99", "EUR"])
    path = write_csv("orders.csv", ["external_id", "customer_external_id", "placed_at", "total", "currency"], rows)
    run_import(kinds()["orders"], path)
    bulk = dict(Movement.objects.filter(program=stars, kind="earn").values_list("reference", "points"))
    assert len(bulk) == len(rows) + 40  # every order, and one bonus for each of the 40 customers
    # Each order scored alone, as award_order scores it: the same points.
    for order in Order.objects.select_related("customer").order_by("placed_at"):
        score = earning.score_order(stars, order)
        assert bulk[order.external_id] == score.points - score.first_purchase_bonus
    assert services.verify() == []


@pytest.mark.django_db
def test_an_order_entered_in_the_admin_earns_its_points(admin_client):
    program_with_rules()
    ona = upsert_customer("c1")[0]
    form = {"external_id": "adm-1", "customer": ona.pk, "placed_at_0": MONDAY.date().isoformat(), "placed_at_1": "12:00:00",
            "total": "10.00", "currency": "EUR", "status": "completed"}
    for prefix in ("lines", "refunds"):
        form.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
                     f"{prefix}-MAX_NUM_FORMS": "1000"})
    response = admin_client.post(reverse("admin:commerce_order_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert earned(ona.pk) == {"adm-1": 60, earning.first_purchase_reference(ona.pk): 50}
    order = Order.objects.get(external_id="adm-1")
    admin_client.post(reverse("admin:commerce_order_change", args=[order.pk]), {**form, "total": "11.00"})
    assert earned(ona.pk)["adm-1"] == 60  # saved again: earned once


@pytest.mark.django_db(transaction=True)
def test_two_first_orders_at_the_same_moment_get_one_bonus():
    program_with_rules()
    ona = upsert_customer("c1")[0]

    def first(external_id):
        return lambda: commerce.record_order(ona, external_id, placed_at=MONDAY, total="10.00", currency="EUR")[0].external_id

    outcomes = run_together([first("a"), first("b")])
    assert sorted(outcomes) == ["a", "b"]
    got = earned(ona.pk)
    assert got == {"a": 60, "b": 60, earning.first_purchase_reference(ona.pk): 50}
    assert services.verify() == []
