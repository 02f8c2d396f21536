import io
import json

import pytest
from django.core.management import CommandError, call_command

from patron.api.models import ApiKey
from patron.api.services import create_key
from patron.commerce.models import Order
from patron.core.models import AuditEvent
from patron.customers.models import Customer
from patron.loyalty import services as loyalty_services
from patron.loyalty.models import Movement, Program
from tests.conftest import ApiClient, run_together


@pytest.fixture
def client(db):
    Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
    _, key = create_key("shop", ["customers:read", "customers:write", "orders:write", "loyalty:read"])
    return ApiClient(headers={"Authorization": f"Bearer {key}"})


def post(client, path, body, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


ORDER = {"external_id": "o1", "customer_external_id": "c1", "placed_at": "2025-06-01T10:00:00Z", "total": "45.50",
         "currency": "EUR", "lines": [{"sku": "B1", "category": "Books", "quantity": 1, "unit_price": "45.50"}]}


def test_keys_and_scopes_guard_every_route(db):
    assert ApiClient().get("/api/v1/customers/c1").json()["code"] == "unauthorised"
    assert ApiClient(headers={"Authorization": "Bearer pat_nope_nope"}).get("/api/v1/customers/c1").status_code == 401
    _, reader = create_key("reader", ["customers:read"])
    denied = post(ApiClient(headers={"Authorization": f"Bearer {reader}"}), "/api/v1/customers", {"external_id": "c1"})
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    out, err = io.StringIO(), io.StringIO()
    call_command("apikey", "create", "--name", "pos", "--scopes", "orders:write", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    stored = ApiKey.objects.get(name="pos")
    assert secret.startswith("pat_") and secret not in json.dumps(list(ApiKey.objects.values()), default=str)
    assert stored.scopes == ["orders:write"]


def test_customers_orders_points_and_refunds(client):
    made = post(client, "/api/v1/customers", {"external_id": "c1", "email": "Jonas@Example.lt", "language": "lt", "email_consent": True})
    assert made.status_code == 200 and made.json()["created"] is True
    got = client.get("/api/v1/customers/c1").json()
    assert (got["email"], got["language"], got["email_consent"]) == ("jonas@example.lt", "lt", True)
    missing = client.get("/api/v1/customers/nobody")
    assert missing.status_code == 404 and missing.json()["code"] == "customer_not_found"
    order = post(client, "/api/v1/orders", ORDER)
    assert order.status_code == 200 and order.json()["points_earned"] == 45
    refunded = post(client, "/api/v1/orders/o1/refunds", {"amount": "20.00"})
    assert refunded.json()["points_taken_back"] == 19  # floor(45 x 20 / 45.50)
    loyalty = client.get("/api/v1/customers/c1/loyalty").json()["programs"][0]
    assert (loyalty["balance"], loyalty["lifetime_points"]) == (26, 45)
    assert [m["kind"] for m in loyalty["recent"]] == ["reverse", "earn"]
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_a_retried_post_has_one_effect_and_a_reused_key_is_refused(client):
    post(client, "/api/v1/customers", {"external_id": "c1"})
    first = post(client, "/api/v1/orders", ORDER, **{"Idempotency-Key": "k-1"})
    again = post(client, "/api/v1/orders", ORDER, **{"Idempotency-Key": "k-1"})
    assert first.json() == again.json() and first.json()["created"] is True
    assert Order.objects.count() == 1 and Movement.objects.filter(kind="earn").count() == 1
    other = post(client, "/api/v1/orders", {**ORDER, "total": "50.00"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_bad_input_is_422_naming_the_field(client):
    bad = post(client, "/api/v1/orders", {**ORDER, "placed_at": "yesterday"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input" and "placed_at" in bad.json()["details"]["fields"]
    unknown = post(client, "/api/v1/orders", ORDER)
    assert unknown.status_code == 404 and unknown.json()["code"] == "customer_not_found"
    nul = post(client, "/api/v1/customers", {"external_id": "c1", "first_name": "On\x00a"})  # PostgreSQL cannot store NUL
    assert nul.status_code == 422 and nul.json()["details"]["fields"] == ["first_name"]
    assert client.get("/api/v1/customers/c%001").status_code == 422


def test_rewards_redemptions_and_coupons(db):
    from patron.customers.services import upsert_customer
    from patron.loyalty import services
    from patron.loyalty.models import Reward

    stars = Program.objects.create(name="Stars", currency="EUR")
    services.earn(stars, upsert_customer("c1")[0], 250)
    reward = Reward.objects.create(program=stars, name="Tote bag", kind="gift", cost=100, stock=10)
    _, key = create_key("shop", ["loyalty:read", "loyalty:write"])
    client = ApiClient(headers={"Authorization": f"Bearer {key}"})
    assert [r["name"] for r in client.get("/api/v1/rewards").json()] == ["Tote bag"]
    made = post(client, "/api/v1/customers/c1/redemptions", {"reward": reward.pk}, **{"Idempotency-Key": "r1"})
    again = post(client, "/api/v1/customers/c1/redemptions", {"reward": reward.pk}, **{"Idempotency-Key": "r1"})
    assert made.json() == again.json() and made.json()["balance"] == 150 and made.json()["points_spent"] == 100
    post(client, "/api/v1/customers/c1/redemptions", {"reward": reward.pk})
    broke = post(client, "/api/v1/customers/c1/redemptions", {"reward": reward.pk})
    assert broke.status_code == 409 and broke.json()["code"] == "insufficient_points"
    code = made.json()["coupon"]
    assert post(client, f"/api/v1/coupons/{code}/use", {"reference": "order-9"}).status_code == 200
    twice = post(client, f"/api/v1/coupons/{code}/use", {})
    assert twice.status_code == 409 and twice.json()["code"] == "coupon_used"
    assert post(client, "/api/v1/coupons/NOPE/use", {}).json()["code"] == "coupon_not_found"
    assert post(client, "/api/v1/customers/c1/redemptions", {"reward": 999}).json()["code"] == "reward_not_found"


def test_a_new_customer_names_the_friend_who_referred_them(client):
    from patron.customers.models import Customer
    from patron.loyalty.models import Referral
    from patron.loyalty.programme import referral_code

    Program.objects.filter(name="Stars").update(referrer_bonus=200, friend_bonus=100)
    post(client, "/api/v1/customers", {"external_id": "c1"})
    code = referral_code(Program.objects.get(), Customer.objects.get(external_id="c1"))
    made = post(client, "/api/v1/customers", {"external_id": "c2", "referral_code": code.lower()})
    assert made.status_code == 200 and Referral.objects.get().friend.external_id == "c2"
    unknown = post(client, "/api/v1/customers", {"external_id": "c3", "referral_code": "NOPE1234"})
    assert unknown.status_code == 409 and unknown.json()["code"] == "referral_refused" and unknown.json()["details"]["field"] == "referral_code"
    assert client.get("/api/v1/customers/c3").status_code == 404  # refused whole: nothing half-made
    itself = post(client, "/api/v1/customers", {"external_id": "c1", "referral_code": code})
    assert itself.status_code == 409 and itself.json()["code"] == "referral_refused"
    order = post(client, "/api/v1/orders", {**ORDER, "external_id": "o2", "customer_external_id": "c2"})
    assert order.json()["points_earned"] == 45
    balance = client.get("/api/v1/customers/c2/loyalty").json()["programs"][0]["balance"]
    assert balance == 145  # and 100 for coming with a friend, on that first order


@pytest.mark.django_db(transaction=True)
def test_orders_posted_at_the_same_moment_earn_once_each():
    """The same order from 8 clients at once is one order and one earning; 20 different orders of one
    customer at once all earn, and the books stay balanced (the wallet's UPDATE is its lock)."""
    stars = Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
    _, key = create_key("shop", ["customers:write", "orders:write"])
    assert post(ApiClient(headers={"Authorization": f"Bearer {key}"}), "/api/v1/customers", {"external_id": "c1"}).status_code in (200, 201)
    def post_at_once(bodies):  # a client each: the test client is not shared between threads
        return run_together([lambda body=body: post(ApiClient(headers={"Authorization": f"Bearer {key}"}), "/api/v1/orders",
                                                     body).status_code for body in bodies])

    base = {"customer_external_id": "c1", "placed_at": "2025-06-01T10:00:00Z", "total": "10.00", "currency": "EUR"}
    statuses = post_at_once([{**base, "external_id": "same"}] * 8)
    statuses += post_at_once([{**base, "external_id": f"o{i}", "total": f"{i}.00"} for i in range(1, 21)])
    assert statuses == [200] * 28
    assert Order.objects.filter(external_id="same").count() == 1
    assert Movement.objects.filter(program=stars, kind="earn", reference="same").count() == 1
    assert Movement.objects.filter(program=stars, kind="earn").count() == 21
    assert loyalty_services.balance(stars, Customer.objects.get(external_id="c1")) == 10 + sum(range(1, 21))
    assert loyalty_services.verify() == []


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/customers", {"external_id": "x" * 101}, "external_id"),
    ("/api/v1/orders", ORDER | {"external_id": "x" * 101}, "external_id"),
    ("/api/v1/orders", ORDER | {"lines": [{"sku": "x" * 65, "unit_price": "1"}]}, "lines.0.sku"),
    ("/api/v1/orders", ORDER | {"lines": [{"sku": "B1", "category": "x" * 101, "unit_price": "1"}]}, "lines.0.category"),
    ("/api/v1/orders/o1/refunds", {"amount": "1", "external_id": "x" * 101}, "external_id"),
    ("/api/v1/orders/o1/refunds", {"amount": "1", "reason": "x" * 201}, "reason"),
    ("/api/v1/coupons/ANY/use", {"reference": "x" * 101}, "reference"),
])
def test_text_longer_than_its_column_is_422_naming_the_field(client, path, body, field):
    # PostgreSQL refuses a value longer than its column; the API answers before it gets there.
    refused = post(client, path, body)
    assert refused.status_code == 422 and refused.json()["details"]["fields"] == [field]
    assert not Order.objects.exists() and not Customer.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_racers_with_one_idempotency_key_all_get_the_one_answer():
    """20 retries of one redemption at once, with one Idempotency-Key: one coupon, and every racer gets the
    answer of the request that ran (not 409 insufficient_points because another spent the points)."""
    stars = Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
    _, key = create_key("shop", ["customers:write", "loyalty:write", "loyalty:read"])
    headers = {"Authorization": f"Bearer {key}"}
    post(ApiClient(headers=headers), "/api/v1/customers", {"external_id": "c1"})
    reward = stars.rewards.create(name="Coffee", kind="free_product", sku="COF", cost=300)
    loyalty_services.earn(stars, Customer.objects.get(external_id="c1"), 400, reason="order", reference="o-1")
    answers = run_together([lambda: post(ApiClient(headers=headers), "/api/v1/customers/c1/redemptions",
                                         {"reward": reward.pk}, **{"Idempotency-Key": "redeem-1"}) for _ in range(20)])
    bodies = {json.dumps(a.json(), sort_keys=True) for a in answers}
    assert {a.status_code for a in answers} == {200} and len(bodies) == 1
    assert stars.rewards.get().coupons.count() == 1
    # The refused answer is kept too: a retry of a request that was refused gets the same refusal.
    refused = [post(ApiClient(headers=headers), "/api/v1/customers/c1/redemptions", {"reward": reward.pk},
                    **{"Idempotency-Key": "redeem-2"}) for _ in range(2)]
    assert [r.status_code for r in refused] == [409, 409] and refused[0].json() == refused[1].json()
    assert refused[0].json()["code"] == "insufficient_points"


def test_keys_are_listed_with_their_last_use_and_revoked_at_once(db):
    made, secret = create_key("till", ["customers:read"])
    client = ApiClient(headers={"Authorization": f"Bearer {secret}"})
    assert client.get("/api/v1/customers/nobody").status_code == 404  # a good key: the customer is missing
    out = io.StringIO()
    call_command("apikey", "list", stdout=out)
    [line] = [row for row in out.getvalue().splitlines() if row.startswith(made.prefix)]
    assert "till" in line and "active" in line and "never" not in line.split("active")[0][-20:]
    call_command("apikey", "revoke", made.prefix, stdout=io.StringIO())
    refused = client.get("/api/v1/customers/nobody")
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorised"
    listed = io.StringIO()
    call_command("apikey", "list", "--json", stdout=listed)
    assert json.loads(listed.getvalue())[0]["revoked_at"] is not None
    assert AuditEvent.objects.get(action="apikey.revoke").target == f"apikey:{made.prefix}"
    with pytest.raises(CommandError, match="no API key 'nope'"):
        call_command("apikey", "revoke", "nope")


def test_the_admin_lists_keys_and_revokes_them(admin_client):
    made, secret = create_key("pos", ["orders:write"])
    page = admin_client.get("/admin/api/apikey/").content.decode()
    assert "pos" in page and made.prefix in page and secret not in page
    admin_client.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [made.pk]})
    made.refresh_from_db()
    assert made.revoked_at is not None


@pytest.mark.parametrize("path, raw, field", [
    ("/api/v1/orders", {**ORDER, "total": "99999999999999999999.99"}, "total"),
    ("/api/v1/orders", '{"external_id": "o1", "customer_external_id": "c1", "placed_at": "2025-06-01T10:00:00Z", "total": 1e400}', "total"),
    ("/api/v1/orders", {**ORDER, "placed_at": "9999-12-31T00:00:00Z"}, "placed_at"),
    ("/api/v1/orders", {**ORDER, "lines": [{"sku": "B1", "quantity": 2 ** 63, "unit_price": "1"}]}, "lines.0.quantity"),
    ("/api/v1/customers", '{"external_id": "c2", "first_name": "\\ud800"}', "first_name"),
])
def test_out_of_range_input_is_422_naming_the_field_not_a_500(client, path, raw, field):
    post(client, "/api/v1/customers", {"external_id": "c1"})
    answer = client.post(path, raw if isinstance(raw, str) else json.dumps(raw), content_type="application/json")
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_input"
    details = answer.json()["details"]
    assert details.get("field") == field or details.get("fields") == [field]
    assert not Order.objects.exists()


def test_days_out_of_range_and_a_body_that_is_not_json_answer_in_the_error_body(client):
    post(client, "/api/v1/customers", {"external_id": "c1"})
    far = client.get("/api/v1/customers/c1/loyalty?days=1000000000000")
    assert far.status_code == 422 and far.json()["details"]["fields"] == ["days"]
    for body in ("\x00", "{", "not json"):
        bad = client.post("/api/v1/customers", body, content_type="application/json")
        assert bad.status_code == 400 and set(bad.json()) == {"code", "message", "details"} and bad.json()["code"] == "invalid_json"


def test_two_lines_of_one_sku_are_one_line_with_both_quantities(client):
    post(client, "/api/v1/customers", {"external_id": "c1"})
    lines = [{"sku": "B1", "category": "Books", "quantity": 1, "unit_price": "10.00"},
             {"sku": "B1", "quantity": 2, "unit_price": "7.00"}]
    answer = post(client, "/api/v1/orders", {**ORDER, "total": "24.00", "lines": lines})
    assert answer.status_code == 200
    [line] = Order.objects.get().lines.all()
    assert line.quantity == 3 and line.quantity * line.unit_price == pytest.approx(24, abs=0.01)
