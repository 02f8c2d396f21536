"""Every portal URL, tried with one customer's session and the other customer's identifiers: nothing of
the other's leaks, nothing of theirs changes."""

import re
import time

from django.test import Client
from django.urls import reverse

from patron.loyalty import paid, services as loyalty
from patron.loyalty.models import Coupon, Movement, PaidMembership
from patron.loyalty.programme import referral_code
from patron.portal import auth
from patron.portal.urls import urlpatterns

PUBLIC = {"sign_in", "link", "shop", "language", "widget", "sign_out", "reward_picture"}  # a picture of the catalogue is public


def secrets_of(shop, customer) -> list[str]:
    """What must never appear on another customer's page."""
    coupons = list(Coupon.objects.filter(customer=customer).values_list("code", flat=True))
    references = list(Movement.objects.filter(customer=customer).exclude(reference="").values_list("reference", flat=True))
    return [customer.email, customer.first_name, customer.external_id, referral_code(shop["program"], customer),
            *coupons, *references]


def test_another_customers_identifiers_reach_nothing_of_theirs(shop, signed_in, settings):
    settings.PATRON_PORTAL_SHOP_SECRET = "s3cret"
    victim, intruder = shop["jonas"], shop["ieva"]
    loyalty.redeem_reward(victim, shop["voucher"])
    victim_membership = paid.join(victim, shop["plan"])
    victim_coupon = Coupon.objects.get(customer=victim)
    victim_movement = Movement.objects.filter(customer=victim).order_by("-pk").first()
    secrets = secrets_of(shop, victim)
    assert all(secrets)
    client = signed_in(intruder)
    ids = {"reward_id": shop["voucher"].pk, "token": "x" * 43, "action": "cancel", "plan_id": shop["plan"].pk,
           "image_hash": "0" * 16}
    tried = set()
    for pattern in urlpatterns:
        name = pattern.name
        kwargs = {key: ids[key] for key in pattern.pattern.converters}
        url = reverse(f"portal:{name}", kwargs=kwargs)
        # The victim's identifiers in every place a request can carry them.
        query = {"before": victim_movement.pk + 1, "customer": victim.external_id, "membership": victim_membership.pk,
                 "coupon": victim_coupon.pk, "code": victim_coupon.code, "id": victim.pk}
        for response in (client.get(url, query), client.post(url, {**query, "key": "k" * 24, "plan": shop["plan"].pk,
                                                                    "email": "", "language": "en"})):
            body = response.content.decode()
            for secret in secrets:
                assert secret not in body, (name, response.status_code, secret)
        client = signed_in(intruder)  # sign_out ended the session: back in for the next URL
        tried.add(name)
    assert tried == {p.name for p in urlpatterns}
    victim_membership.refresh_from_db()
    assert victim_membership.status == "active" and victim_membership.save_offer_taken_at is None
    assert Coupon.objects.filter(customer=victim).count() == 1 and loyalty.verify() == []
    assert PaidMembership.objects.filter(customer=victim).count() == 1


def test_membership_actions_on_anothers_membership_are_not_found(shop, signed_in):
    mine = paid.join(shop["jonas"], shop["plan"])
    client = signed_in(shop["ieva"])
    for action in ("cancel", "stay", "resume"):
        assert client.post(f"/portal/membership/{action}/", {"membership": mine.pk, "confirm": "yes"}).status_code == 404
    mine.refresh_from_db()
    assert mine.status == "active"


def test_without_a_session_every_private_page_sends_to_sign_in(shop):
    client = Client()
    for pattern in urlpatterns:
        if pattern.name in PUBLIC:
            continue
        kwargs = {key: {"reward_id": shop["coffee"].pk, "action": "join", "plan_id": shop["plan"].pk}[key] for key in pattern.pattern.converters}
        url = reverse(f"portal:{pattern.name}", kwargs=kwargs)
        for response in (client.get(url), client.post(url, {"plan": shop["plan"].pk})):
            assert response.status_code in (302, 405) and (response.status_code == 405 or response.url == "/portal/sign-in/"), url
    assert not PaidMembership.objects.exists()


def test_the_widget_shows_only_the_signed_customer_and_may_be_framed_by_the_shop(shop, settings):
    settings.PATRON_PORTAL_SHOP_SECRET = "s3cret"
    settings.PATRON_PORTAL_SHOP_ORIGINS = ["https://shop.example"]
    expires = int(time.time()) + 300
    params = {"customer": "jonas", "expires": expires, "signature": auth.shop_signature("jonas", expires)}
    response = Client().get("/portal/widget/", params)
    body = re.sub(r"\s+", " ", response.content.decode())
    assert response.status_code == 200 and "5,000" in body and "Open my rewards" in body
    assert "frame-ancestors 'self' https://shop.example" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    # The widget reads the token without spending it; its link signs in, once.
    link = re.search(r'href="(/portal/shop/\?[^"]+)"', body).group(1).replace("&amp;", "&")
    client = Client()
    assert client.get(link).url == "/portal/" and client.get("/portal/").status_code == 200
    forged = Client().get("/portal/widget/", {**params, "customer": "ieva"})
    assert forged.status_code == 400 and "Ieva" not in forged.content.decode()
    assert "X-Frame-Options" in Client().get("/portal/sign-in/")  # only the widget may be framed
