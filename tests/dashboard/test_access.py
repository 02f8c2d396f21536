"""Each role against each page, action, admin screen and API endpoint; and the locks on the door:
login throttling, CSRF, the Content-Security-Policy and the other security headers."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from patron.campaigns import services as journeys
from patron.core.errors import InvalidInput
from patron.core.models import AuditEvent
from patron.customers.models import Customer
from patron.dashboard import roles
from patron.dashboard.services import add_staff
from patron.loyalty.models import Movement, Program
from patron.service import services as service

pytestmark = pytest.mark.django_db

PAGE_URLS = {name: (f"dashboard:{name}", ()) for name in roles.PAGES if name != "customer"}


@pytest.fixture
def customer(db):
    Program.objects.create(name="Rewards", currency="EUR", points_per_unit=1, expiry_days=365)
    return Customer.objects.create(external_id="c-1", email="c1@example.com", first_name="Ona")


def test_every_role_opens_exactly_its_pages(every_role, customer):
    for role, client in every_role.items():
        for name, (_title, allowed) in roles.PAGES.items():
            url = reverse(f"dashboard:{name}", args=[customer.pk] if name == "customer" else [])
            status = client.get(url).status_code
            assert status == (200 if role in allowed else 403), (role, name, status)


def test_the_navigation_lists_only_the_pages_a_role_may_open(every_role):
    for role, client in every_role.items():
        html = client.get(reverse("dashboard:customers")).content.decode()
        for name in roles.NAVIGATION:
            link = f'href="{reverse(f"dashboard:{name}")}"'
            assert (link in html) == (role in roles.PAGES[name][1]), (role, name)


def test_every_role_may_do_exactly_its_actions(every_role, customer):
    journeys.ensure_builtin()
    other = Customer.objects.create(external_id="c-2")
    ticket = service.open_ticket(subject="Late parcel", channel="email", customer=customer, body="Where is it?")
    posts = {
        "grant_points": (reverse("dashboard:grant_points", args=[customer.pk]),
                         {"program": Program.objects.get().pk, "points": 5, "reason": "sorry"}),
        "correct_points": (reverse("dashboard:correct_points", args=[customer.pk]),
                           {"program": Program.objects.get().pk, "points": -1, "reason": "double grant"}),
        "export_customer": (reverse("dashboard:export_customer", args=[customer.pk]), {}),
        "toggle_journey": (reverse("dashboard:toggle_journey", args=["welcome", "off"]), {}),
        "test_journey": (reverse("dashboard:test_journey", args=["welcome"]), {"step": "0:0", "customer": "nobody"}),
        # An incomplete form: refused with its errors (400) past the role's door.
        "design_journey": (reverse("dashboard:new_journey"), {"name": ""}),
        "edit_message": (reverse("dashboard:save_message", args=["winback", "lt"]), {"text": ""}),
        "edit_brand": (reverse("dashboard:save_brand"), {"colour": "red"}),
        "work_ticket": (reverse("dashboard:work_ticket", args=[ticket.pk, "reply"]), {"body": ""}),
        "erase_customer": (reverse("dashboard:erase_customer", args=[other.pk]), {"confirm": "c-2", "reason": "asked"}),
        # Refused by the service (no such store, no such connection), past the role's door: 400 and 302.
        "connect_shop": (reverse("dashboard:connect_shop", args=["woocommerce"]), {"url": "no url", "key": "k", "secret": "s"}),
        "manage_shop": (reverse("dashboard:manage_shop", args=[999, "test"]), {}),
        "set_up_program": (reverse("dashboard:new_part", args=[Program.objects.get().pk, "tier"]), {"name": ""}),
    }
    assert set(posts) == set(roles.ACTIONS)
    for role, client in every_role.items():
        for name, (url, data) in posts.items():
            status = client.post(url, data).status_code
            expected = {302, 200, 400} if role in roles.ACTIONS[name] else {403}
            assert status in expected, (role, name, status)
    grants = Movement.objects.filter(kind=Movement.Kind.ADJUST, customer=customer, points__gt=0).count()
    assert grants == len(roles.ACTIONS["grant_points"])
    corrections = Movement.objects.filter(kind=Movement.Kind.ADJUST, customer=customer, points__lt=0).count()
    assert corrections == len(roles.ACTIONS["correct_points"])
    other.refresh_from_db()
    assert other.is_erased and AuditEvent.objects.filter(action="customer.erase").count() == 1


def test_the_admin_site_shows_each_role_its_own_models(every_role):
    seen = {role: client.get("/admin/").content.decode() for role, client in every_role.items()}
    assert "/admin/service/ticket/" not in seen["support"] and "/admin/campaigns/journey/" not in seen["support"]
    assert every_role["support"].get("/admin/").status_code == 302  # the desk is theirs; the admin site is not
    assert "/admin/campaigns/journey/" in seen["marketer"] and "/admin/service/ticket/" not in seen["marketer"]
    assert "/admin/auth/user/" in seen["admin"] and all("/admin/auth/user/" not in seen[r] for r in ("marketer", "support", "analyst"))
    # The analyst reads but cannot change: no add link anywhere.
    assert "/admin/segments/segment/" in seen["analyst"] and "/add/" not in seen["analyst"]
    assert every_role["analyst"].get("/admin/segments/segment/add/").status_code == 403


def test_the_api_answers_to_keys_not_to_staff_sessions(every_role, customer):
    for role, client in every_role.items():
        for url in ("/api/v1/customers/c-1", "/api/v1/rewards", "/api/v1/customers/c-1/loyalty"):
            assert client.get(url).status_code == 401, (role, url)
        assert client.post("/api/v1/customers", {"external_id": "x"}, content_type="application/json").status_code == 401


def test_signed_out_visitors_are_sent_to_sign_in(customer):
    client = Client()
    for name in roles.PAGES:
        url = reverse(f"dashboard:{name}", args=[customer.pk] if name == "customer" else [])
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("dashboard:login")), name


def test_a_user_without_a_role_reaches_nothing(django_user_model, customer):
    client = Client()
    client.force_login(django_user_model.objects.create_user("nobody", password="a long enough password"))
    assert client.get(reverse("dashboard:home")).status_code == 403
    assert client.get(reverse("dashboard:customers")).status_code == 403


def test_logins_are_throttled_per_username_and_address(settings, django_user_model):
    django_user_model.objects.create_user("ona", password="the right password 1")
    client = Client()
    url = reverse("dashboard:login")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"username": "ona", "password": "wrong"}).status_code == 200
    locked = client.post(url, {"username": "ona", "password": "wrong"})
    assert locked.status_code == 429
    # Locked out: even the right password is refused until the cool-off ends.
    assert client.post(url, {"username": "ona", "password": "the right password 1"}).status_code == 429
    # Another username from the same address still may sign in.
    django_user_model.objects.create_user("jonas", password="the right password 2")
    assert client.post(url, {"username": "jonas", "password": "the right password 2"}).status_code == 302


def test_a_successful_login_lands_on_the_first_page_of_the_role(staff, django_user_model):
    add_staff("agent", "support", password="a long enough password")
    response = Client().post(reverse("dashboard:login"), {"username": "agent", "password": "a long enough password"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard:at_risk")


def test_posts_without_a_csrf_token_are_refused(staff, customer):
    user_client = staff("admin")
    guarded = Client(enforce_csrf_checks=True)
    guarded.cookies = user_client.cookies
    response = guarded.post(reverse("dashboard:grant_points", args=[customer.pk]),
                            {"program": Program.objects.get().pk, "points": 5, "reason": "sorry"})
    assert response.status_code == 403
    assert not Movement.objects.filter(customer=customer).exists()
    assert not AuditEvent.objects.exists()


def test_pages_carry_a_strict_content_security_policy_and_security_headers(staff):
    response = staff("analyst").get(reverse("dashboard:overview"))
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    html = response.content.decode()
    assert "<script>" not in html and " style=" not in html and "<style" not in html  # nothing inline for the policy to block


def test_the_session_cookie_is_http_only_and_expires(settings, django_user_model):
    add_staff("analyst1", "analyst", password="a long enough password")
    response = Client().post(reverse("dashboard:login"), {"username": "analyst1", "password": "a long enough password"})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE == 12 * 3600


def test_staff_are_added_only_with_a_role_a_name_and_a_real_email(db):
    for bad, field in ((("", "support"), "username"), (("ona", "boss"), "role")):
        with pytest.raises(InvalidInput) as caught:
            add_staff(*bad)
        assert caught.value.details["field"] == field
    with pytest.raises(CommandError, match="not an email address: 'not an email'"):
        call_command("staff", "add", "ona", "--role", "support", "--email", "not an email")
    assert not get_user_model().objects.filter(username="ona").exists()
    call_command("staff", "add", "ona", "--role", "support", "--email", "Ona@Shop.LT")
    assert get_user_model().objects.get(username="ona").email == "ona@shop.lt"
