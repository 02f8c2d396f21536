"""An administrator sets the program up in Latvian on Patron's pages: a tier and a reward (with a picture) named in
Latvian and Estonian, previewed as the portal shows them in each language before saving. Then a Latvian and an
Estonian customer see them on the portal, each in their language, the picture loaded. axe-core, no English sentence
of the catalogue on a Latvian page, no console error. Screenshots go to test-artifacts/program/."""

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from patron.core.models import AuditEvent
from patron.customers.services import upsert_customer
from patron.dashboard import roles
from patron.dashboard.services import add_staff
from patron.loyalty import services as loyalty
from patron.loyalty.models import Program, Reward, Tier
from patron.portal import auth
from tests.web.test_dashboard_walk import sign_in, watched  # noqa: F401 - fixtures
from tests.web.test_journey_designer import Checked
from tests.web.test_portal import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "program"


def _picture() -> dict:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 110, 70)).save(out, "JPEG")
    return {"name": "soma.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def _portal(browser, live_server, customer, path: str):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(auth.sign_in_link(customer))
    page.get_by_role("button").last.click()
    page.wait_for_url(f"{live_server.url}/portal/")
    page.goto(f"{live_server.url}{path}")
    return context, page


def test_an_admin_sets_up_a_tier_and_a_reward_in_latvian_and_estonian_and_customers_see_them(
        watched, browser, live_server, settings):
    settings.PATRON_BASE_URL = live_server.url
    program = Program.objects.create(name="Patron Rewards", currency="EUR")
    liga, _ = upsert_customer("lv-1", first_name="Līga", language="lv", email="liga@example.lv")
    kadri, _ = upsert_customer("et-1", first_name="Kadri", language="et", email="kadri@example.ee")
    loyalty.earn(program, liga, 400, reason="welcome")
    loyalty.earn(program, kadri, 100, reason="welcome")
    add_staff("anna", roles.ADMIN, password="a long enough password")
    page, base, check = watched, live_server.url, Checked(watched, "lv", ARTIFACTS)
    sign_in(page, base, "anna")
    page.wait_for_url(lambda url: "/login/" not in url)
    with page.expect_navigation():
        page.select_option("#language-choice", "lv")
    page.goto(f"{base}/program/")
    check("program")

    page.get_by_role("link", name="Pievienot līmeni").click()
    page.fill("#id_name", "Gold")
    page.fill("#id_name_lv", "Zelts")
    page.fill("#id_name_et", "Kuld")
    page.fill("#id_rank", "1")
    page.fill("#id_threshold", "300")
    page.get_by_role("button", name="Priekšskatījums").click()
    expect(page.frame_locator("iframe[lang=lv]").locator("strong")).to_have_text("Zelts")
    expect(page.frame_locator("iframe[lang=et]").locator("strong")).to_have_text("Kuld")
    assert not Tier.objects.exists()  # a preview saves nothing
    check("tier-preview")
    page.get_by_role("button", name="Saglabāt").click()
    page.wait_for_url(f"{base}/program/{program.pk}/#tiers")
    assert Tier.objects.get().names == {"lv": "Zelts", "et": "Kuld"}

    page.get_by_role("link", name="Pievienot balvu").click()
    page.fill("#id_name", "Tote bag")
    page.fill("#id_name_lv", "Auduma soma")
    page.fill("#id_name_et", "Riidest kott")
    page.fill("#id_description_lv", "No bioloģiskas kokvilnas")
    page.fill("#id_description_et", "Mahepuuvillast")
    page.select_option("#id_kind", "gift")
    page.fill("#id_cost", "200")
    page.set_input_files("#id_picture", _picture())
    page.get_by_role("button", name="Saglabāt").click()
    page.wait_for_url(f"{base}/program/{program.pk}/#rewards")
    reward = Reward.objects.get()
    assert reward.image_hash and reward.description_in("et") == "Mahepuuvillast"
    check("program-set-up")
    page.goto(f"{base}/program/{program.pk}/reward/{reward.pk}/")
    expect(page.frame_locator("iframe[lang=lv]").locator(".reward-name strong")).to_have_text("Auduma soma")
    check("reward")
    page.goto(f"{base}/audit/")
    assert "izveidoja: balva Tote bag" in page.locator("main").inner_text()
    assert AuditEvent.objects.filter(action="program.setup").count() == 2
    assert page.errors == []

    context, portal = _portal(browser, live_server, liga, "/portal/rewards/")
    card = portal.locator("li.reward", has_text="Auduma soma")
    expect(card).to_contain_text("No bioloģiskas kokvilnas")
    expect(card.locator("img")).to_have_attribute("src", f"/portal/rewards/{reward.pk}/picture/{reward.image_hash}.webp")
    expect(card.locator("img")).to_have_js_property("naturalWidth", 800)  # loaded, at the size Patron wrote it
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    portal.screenshot(path=str(ARTIFACTS / "portal-lv-rewards.png"), full_page=True)
    context.close()

    context, portal = _portal(browser, live_server, kadri, "/portal/")
    expect(portal.locator(".tier")).to_contain_text("Kuld")
    portal.goto(f"{live_server.url}/portal/rewards/")
    expect(portal.locator("li.reward", has_text="Riidest kott")).to_contain_text("Mahepuuvillast")
    portal.screenshot(path=str(ARTIFACTS / "portal-et-rewards.png"), full_page=True)
    context.close()
