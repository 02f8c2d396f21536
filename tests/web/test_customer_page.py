"""The customer page in all five languages, on a desktop and a phone: no element is clipped by its container (a
long email, the Georgian predictions, the points table), the timeline is sentences (no `total: 42.410`, no
`granted: False`), axe-core finds nothing serious. Screenshots go to test-artifacts/customer/."""

from pathlib import Path

import pytest

from patron.customers.models import Customer
from patron.dashboard import roles
from patron.dashboard.services import add_staff
from patron.insights.models import CustomerScore
from tests.web.test_dashboard_walk import PASSWORD, shop, sign_in, watched  # noqa: F401 - fixtures
from tests.web.test_journey_designer import Checked

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "customer"
# Elements whose text overflows their own box (scrollWidth beyond clientWidth) inside the page's content.
CLIPPED = """() => Array.from(document.querySelectorAll('main *, .customer-page *')).filter(e => {
  const style = getComputedStyle(e);
  return e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1 && style.overflowX !== 'auto' && style.overflowX !== 'scroll'
    && e.tagName !== 'SELECT' && e.tagName !== 'INPUT';
}).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))"""


def test_the_customer_page_clips_nothing_in_any_language(shop, watched, browser, live_server):
    person = CustomerScore.objects.order_by("-frequency").first().customer
    Customer.objects.filter(pk=person.pk).update(email="aleksandra.vaitkeviciute-kazlauskiene@example-parduotuve.lt")
    add_staff("ieva", roles.ADMIN, password=PASSWORD)
    base = live_server.url
    for width in (1440, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.errors = []
        page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
        sign_in(page, base, "ieva")
        page.wait_for_url(lambda url: "/login/" not in url)
        page.goto(f"{base}/customers/{person.pk}/")
        for language in ("lt", "lv", "et", "ka", "en"):
            with page.expect_navigation():
                page.select_option("#language-choice", language)  # the menu sends itself and comes back here
            check = Checked(page, language, ARTIFACTS / f"{width}")
            check(f"customer-{language}")
            assert page.evaluate(CLIPPED) == [], (language, width)
            shown = page.locator(".customer-page").inner_text()
            assert "total:" not in shown and "granted:" not in shown and "currency:" not in shown
        assert page.errors == []
        context.close()
