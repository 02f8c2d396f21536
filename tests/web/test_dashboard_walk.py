"""The dashboard in chromium over a demo shop: sign in, walk every page, open a customer, grant goodwill
points, switch to Lithuanian and to Georgian. No console errors (a blocked inline script or style would
show as one); a screenshot of every page is kept in test-artifacts/dashboard/."""

import re
from pathlib import Path

import pytest

from patron.customers.models import Customer
from patron.dashboard import roles
from patron.dashboard.services import add_staff
from patron.demo.shop import load, loyalty_program
from patron.demo.voices import voices
from patron.insights.models import CustomerScore
from patron.ops.scoring import score_everything as refresh_scores
from patron.loyalty import services as loyalty
from patron.service import services as service

pytestmark = pytest.mark.django_db(transaction=True)  # the live server is another thread with its own connection

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
PASSWORD = "a long enough password"


@pytest.fixture
def shop(db):
    load(300, seed=11)
    program, _awarded = loyalty_program()
    voices(11)
    refresh_scores()
    person = CustomerScore.objects.order_by("-frequency").first().customer
    service.open_ticket(subject="Parcel arrived late", channel="email", customer=person, body="Two weeks late", kind="complaint")
    return program


@pytest.fixture
def watched(page):
    """The page, with every console error and uncaught exception collected."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return page


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_an_admin_walks_every_page_grants_points_and_switches_language(shop, watched, live_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    add_staff("ieva", roles.ADMIN, password=PASSWORD)
    page, base = watched, live_server.url
    sign_in(page, base, "ieva")
    page.wait_for_url(f"{base}/overview/")
    assert page.locator("canvas[data-chart='chart-activity'][data-drawn='1']").count() == 1  # Chart.js drew it
    for name in roles.NAVIGATION:
        page.click(f"header nav a[href='/{'at-risk' if name == 'at_risk' else name}/']")
        page.wait_for_load_state("load")
        assert page.locator("h1").inner_text().strip(), name
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        if name == "feedback":  # the demo's customers answered surveys: NPS by month is drawn
            assert page.locator("canvas[data-chart='chart-feedback'][data-drawn='1']").count() == 1

    # The customer page, from the list.
    page.click("header nav a[href='/customers/']")
    person = Customer.objects.order_by("-id").first()
    page.click(f"a[href='/customers/{person.pk}/']")
    page.wait_for_url(f"{base}/customers/{person.pk}/")
    before = loyalty.balance(shop, person)
    form = page.locator(f"#grant-{person.pk}")
    form.locator("input[name=points]").fill("120")
    form.locator("input[name=reason]").fill("late parcel")
    form.locator("button[type=submit]").click()
    page.locator(f"#grant-{person.pk} .success").wait_for()  # swapped in by htmx, no reload
    assert loyalty.balance(shop, person) == before + 120
    page.screenshot(path=str(ARTIFACTS / "customer.png"), full_page=True)

    # Lithuanian, then Georgian: the menu applies on change.
    page.select_option("#language-choice", "lt")
    page.wait_for_load_state("load")
    page.locator("header nav a", has_text="Apžvalga").wait_for()
    assert page.locator("html").get_attribute("lang") == "lt"
    page.screenshot(path=str(ARTIFACTS / "customer-lt.png"), full_page=True)
    page.select_option("#language-choice", "ka")
    page.wait_for_load_state("load")
    page.locator("header nav a", has_text="მიმოხილვა").wait_for()
    page.goto(f"{base}/overview/")
    assert re.search("შენარჩუნების მაჩვენებელი", page.content())
    page.screenshot(path=str(ARTIFACTS / "overview-ka.png"), full_page=True)
    assert page.errors == []


def test_a_support_agent_sees_the_queue_and_not_the_analytics(shop, watched, live_server):
    add_staff("agent", roles.SUPPORT, password=PASSWORD)
    page, base = watched, live_server.url
    sign_in(page, base, "agent")
    page.wait_for_url(f"{base}/at-risk/")
    links = page.locator("header nav a").all_inner_texts()
    assert links == [str(roles.PAGES[n][0]) for n in roles.NAVIGATION if roles.SUPPORT in roles.PAGES[n][1]]
    page.click("header nav a[href='/service/']")
    page.locator("td", has_text="Parcel arrived late").wait_for()
    page.screenshot(path=str(ARTIFACTS / "service-support.png"), full_page=True)
    response = page.goto(f"{base}/overview/")
    assert response.status == 403
    assert page.errors == [] or all("403" in e for e in page.errors)
