"""A marketer switches the built-in Win-back on in Lithuanian over a demo shop: the page asks with the number
of customers who qualify today, "from now on" is chosen, the next run enters nobody; pause and switch off
act at once; its design opens on the designer, which passes axe-core. No console error; screenshots kept in
test-artifacts/journeys/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from patron.campaigns import services as journeys
from patron.campaigns.models import Enrollment, Journey
from patron.customers.models import Customer
from patron.dashboard import roles
from patron.dashboard.services import add_staff
from patron.messaging.models import Message
from tests.web.test_dashboard_walk import PASSWORD, shop, sign_in, watched  # noqa: F401 - fixtures
from tests.web.test_journey_designer import Checked

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "journeys"


def test_a_marketer_switches_win_back_on_from_now_in_lithuanian_then_pauses_and_switches_it_off(shop, watched, live_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    add_staff("rasa", roles.MARKETER, password=PASSWORD)
    page, base = watched, live_server.url
    sign_in(page, base, "rasa")
    page.wait_for_url(f"{base}/overview/")
    page.select_option("#language-choice", "lt")
    page.wait_for_load_state("networkidle")
    page.goto(f"{base}/journeys/")
    row = page.locator("tr[data-journey='winback']")
    assert row.locator("[data-state]").inner_text() == "Išjungta"
    row.get_by_role("link", name="Įjungti…").click()
    today = journeys.qualifying("winback")
    assert today > 0 and page.locator("[data-qualifying]").get_attribute("data-qualifying") == str(today)
    assert page.get_by_label("Tik klientai, kurie atitiks nuo dabar").is_checked()
    page.screenshot(path=str(ARTIFACTS / "switch-on-lt.png"), full_page=True)
    page.get_by_role("button", name="Įjungti").click()
    page.wait_for_url(f"{base}/journeys/")
    assert row.locator("[data-state]").inner_text() == "Įjungta"
    assert journeys.run().entered["winback"] == 0 and not Message.objects.filter(journey__key="winback").exists()
    row.get_by_role("button", name="Pristabdyti").click()
    page.wait_for_url(f"{base}/journeys/")
    assert row.locator("[data-state]").inner_text() == "Pristabdyta"
    row.get_by_role("button", name="Išjungti").click()
    page.wait_for_url(f"{base}/journeys/")
    assert row.locator("[data-state]").inner_text() == "Išjungta"
    assert not Journey.objects.get(key="winback").enabled and not Enrollment.objects.exists()
    page.screenshot(path=str(ARTIFACTS / "journeys-lt.png"), full_page=True)
    # Its design, on the designer: the lapse explained, the audience counted, the coupon and the message as steps.
    row.get_by_role("link", name="Sugrąžinimas").click()  # the built-in journey, named in Lithuanian
    page.wait_for_url(f"{base}/journeys/winback/edit/")
    expect(page.locator("#audience-count")).to_have_attribute("data-count", str(Customer.objects.filter(erased_at__isnull=True).count()))
    assert page.locator("li.step").count() == 2 and page.get_by_text("Klientas laikomas nutolusiu").is_visible()
    (ARTIFACTS.parent / "designer").mkdir(parents=True, exist_ok=True)
    Checked(page)("winback-designer")
    assert page.errors == []
