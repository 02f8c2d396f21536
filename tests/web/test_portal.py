"""The member portal in chromium at a phone's size: sign in by a link read from a real SMTP server, redeem,
copy the coupon, change preferences, sign out; axe-core on every page. Screenshots go to test-artifacts/."""

import re
import time
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from patron.customers.models import ConsentEvent
from patron.loyalty import services as loyalty
from patron.loyalty.models import Coupon
from patron.portal import auth
from tests.conftest import PORTAL_LINK as LINK

pytestmark = pytest.mark.django_db(transaction=True)  # the live server is another thread with its own connection

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "portal"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


# Everything a thumb presses, at least 44 px tall (a link inside a sentence is read, not aimed at: left out).
SMALL_TARGETS = """() => Array.from(document.querySelectorAll('a, button, select, input:not([type=hidden]), summary'))
  .filter(e => e.offsetParent !== null && !(e.tagName === 'A' && e.closest('p, li') && e.closest('p, li').textContent.trim()
    !== e.textContent.trim()) && !(e.type === 'checkbox' || e.type === 'radio'))
  .filter(e => e.getBoundingClientRect().height < 44)
  .map(e => e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 30) + ' ' + Math.round(e.getBoundingClientRect().height))"""


class Checked:
    """axe-core on each page visited: no serious or critical violation anywhere, and no tap target under 44 px."""

    def __init__(self, page, prefix: str):
        self.page, self.prefix, self.axe, self.seen = page, prefix, Axe(), []

    def __call__(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        results = self.axe.run(self.page)
        bad = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, (name, bad)
        assert self.page.evaluate(SMALL_TARGETS) == [], name
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.prefix}-{len(self.seen):02d}-{name}.png"), full_page=True)
        self.seen.append(name)


def test_a_customer_signs_in_redeems_copies_the_code_changes_preferences_and_signs_out(phone, live_server, shop, mail_to, settings):
    settings.PATRON_BASE_URL = live_server.url
    settings.PATRON_REFERRAL_URL = "https://shop.example/join?ref={code}"
    page, check = phone, Checked(phone, "walk")
    page.goto(f"{live_server.url}/portal/")
    page.wait_for_url(re.compile(r"/portal/sign-in/$"))
    page.select_option("#portal-language", "en")  # the menu applies itself
    page.get_by_role("heading", name="Your points and rewards").wait_for()
    check("sign-in")
    page.get_by_label("Email address").fill("ieva@example.com")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    check("link-sent")
    for _ in range(50):  # the SMTP server runs in its own thread
        if mail_to.to("ieva@example.com"):
            break
        time.sleep(0.1)
    [mail] = mail_to.to("ieva@example.com")
    url = LINK.search(mail.get_body(preferencelist=("plain",)).get_content()).group(1)
    page.goto(url)
    check("link")
    page.get_by_role("button").last.click()
    page.wait_for_url(f"{live_server.url}/portal/")
    # Ieva's language is Lithuanian; she switches to English from any page.
    page.select_option("#portal-language", "en")
    page.get_by_role("heading", name="Hello, Ieva").wait_for()
    assert page.locator("progress").count() == 1
    check("home")
    page.get_by_role("link", name="All rewards").click()
    check("rewards")
    page.get_by_role("link", name="Free coffee").click()
    check("redeem")
    button = page.get_by_role("button", name="Redeem for 300 points")
    button.dblclick()  # a double tap redeems once
    page.wait_for_url(re.compile(r"/portal/wallet/"))
    coupon = Coupon.objects.get(customer=shop["ieva"])
    assert Coupon.objects.count() == 1 and loyalty.balance(shop["program"], shop["ieva"]) == 520
    assert page.locator(f"text={coupon.code}").count() >= 1
    check("wallet")
    page.get_by_role("button", name="Copy code").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == coupon.code
    page.get_by_role("link", name="History").click()
    page.get_by_role("cell", name="-300").wait_for()
    check("history")
    page.get_by_role("link", name="Invite friends").click()
    check("refer")
    page.get_by_role("link", name="Membership").click()
    # The tab bar scrolled to the current tab, the last ones being off a phone's screen otherwise.
    tab = page.locator(".tabs [aria-current=page]").bounding_box()
    assert tab["x"] >= 0 and tab["x"] + tab["width"] <= page.viewport_size["width"]
    check("membership")
    page.get_by_role("link", name="Join Stars Plus").click()
    page.get_by_role("heading", name="Join Stars Plus").wait_for()  # the price and renewal before anything is made
    assert "€49.00 a year" in page.locator("[data-price]").inner_text()
    check("membership-confirm")
    page.get_by_role("button", name="Order with obligation to pay").click()
    page.get_by_text("Welcome to Stars Plus!").wait_for()
    page.get_by_role("button", name="Cancel membership").click()
    page.get_by_role("heading", name="Before you go").wait_for()
    check("save-offer")
    page.get_by_role("button", name="Cancel anyway").click()
    page.get_by_role("button", name="Keep my membership").wait_for()
    page.get_by_role("link", name="Your say").click()
    check("surveys")
    page.get_by_role("link", name="Settings").click()
    check("preferences")
    page.get_by_label("By email").uncheck()
    page.get_by_label("By SMS").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your preferences are saved.").wait_for()
    assert set(ConsentEvent.objects.filter(customer=shop["ieva"], source="portal").values_list("channel", "granted")) == {
        ("email", False), ("sms", True)}
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="You are signed out").wait_for()
    check("signed-out")
    page.goto(f"{live_server.url}/portal/wallet/")
    page.wait_for_url(re.compile(r"/portal/sign-in/$"))
    page.goto(url)  # the link was spent
    check("link-invalid")
    assert len(check.seen) == 16


def test_the_widget_and_every_language_pass_axe(phone, live_server, shop, settings):
    settings.PATRON_PORTAL_SHOP_SECRET = "s3cret"
    page, check = phone, Checked(phone, "languages")
    expires = int(time.time()) + 600
    query = f"customer=jonas&expires={expires}&signature={auth.shop_signature('jonas', expires)}"
    page.goto(f"{live_server.url}/portal/widget/?{query}")
    page.get_by_text("5,000").wait_for()
    check("widget")
    page.get_by_role("link").click()
    page.wait_for_timeout(500)
    page = page.context.pages[-1]  # the portal opens in a new tab
    page.wait_for_url(f"{live_server.url}/portal/")
    check = Checked(page, "languages-portal")
    for language in ("lt", "lv", "et", "ka"):
        page.select_option("#portal-language", language)
        page.locator(f"html[lang={language}]").wait_for(state="attached")
        check(f"home-{language}")
        page.goto(f"{live_server.url}/portal/membership/")
        check(f"membership-{language}")
    page.goto(f"{live_server.url}/portal/rewards/987654/")
    check("not-found")
