"""A marketer builds a journey from scratch in Lithuanian: the trigger, an audience counted live as it is edited,
a coupon step and a message with the product block; sends a test to an SMTP server, switches it on "from now"
and sees nobody enter, switches it off and sees it off at once. Then edits a message's Latvian text with its live
preview and resets it. No console error, no English string from the catalogue on a Lithuanian page, and axe-core
finds no serious or critical violation on any page visited. Screenshots go to test-artifacts/designer/."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from babel.messages.pofile import read_po
from playwright.sync_api import expect

import patron
from patron.campaigns import services as journeys
from patron.campaigns.models import Journey
from patron.commerce.models import Product
from patron.core.models import AuditEvent
from patron.customers.models import Customer
from patron.dashboard import roles
from patron.dashboard.services import add_staff
from patron.messaging.models import MessageTemplate
from tests.web.test_dashboard_walk import PASSWORD, shop, sign_in, watched  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "designer"
LOCALE = Path(patron.__file__).parent / "locale"


def english_strings(language: str = "lt") -> list[str]:
    """The catalogue's English sentences that have a translation of their own in `language`: none may be on a page
    in that language (single words are left out: a code or a name may read the same in both)."""
    with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as handle:
        catalogue = read_po(handle, locale=language)
    return [m.id for m in catalogue if isinstance(m.id, str) and m.string and m.string != m.id and " " in m.id
            and "%(" not in m.id and len(m.id) > 12]


class Checked:
    """Each page visited: axe-core finds nothing serious or critical, and no English sentence of the catalogue."""

    def __init__(self, page, language: str = "lt", folder: Path | None = None):
        self.page, self.axe, self.english, self.seen = page, Axe(), english_strings(language), 0
        self.folder = folder or ARTIFACTS

    def __call__(self, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        results = self.axe.run(self.page)
        bad = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, (name, bad)
        shown = self.page.evaluate("document.body.innerText")
        left = [s for s in self.english if s in shown]
        assert not left, (name, left)
        self.seen += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.folder / f"{self.seen:02d}-{name}.png"), full_page=True)


def marketer_in_lithuanian(page, base: str) -> None:
    """Rasa, a marketer, signed in with the dashboard in Lithuanian."""
    add_staff("rasa", roles.MARKETER, email="rasa@arbatine.lt", password=PASSWORD)
    sign_in(page, base, "rasa")
    page.wait_for_url(f"{base}/overview/")
    page.select_option("#language-choice", "lt")
    page.wait_for_load_state("networkidle")


def test_a_marketer_builds_a_journey_from_scratch_in_lithuanian_tests_it_and_switches_it_on_and_off(
        shop, watched, live_server, mail_to, settings):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings.PATRON_QUIET_HOURS = ""
    for n, product in enumerate(Product.objects.order_by("pk")[:6]):  # the connected store's catalogue
        product.url, product.image_url = f"https://arbatine.lt/p/{n}", f"https://arbatine.lt/img/{n}.jpg"
        product.name, product.price, product.currency = f"Arbata nr. {n}", "7.50", "EUR"
        product.save()
    page, base, check = watched, live_server.url, Checked(watched)
    marketer_in_lithuanian(page, base)
    page.goto(f"{base}/journeys/")
    page.get_by_role("link", name="Nauja kelionė").click()
    page.wait_for_url(f"{base}/journeys/new/")

    # The trigger, with its settings as fields: an interaction shows its kind, a join shows none.
    page.get_by_label("Pavadinimas", exact=True).fill("Sveiki atvykę, lietuviai")
    page.get_by_label("Prasideda, kai").select_option("interaction")
    assert page.get_by_label("Kas įvyksta").is_visible()
    page.get_by_label("Prasideda, kai").select_option("signed_up")
    assert not page.get_by_label("Kas įvyksta").is_visible()

    # The audience: one condition, counted on the server as it is edited.
    everyone = Customer.objects.filter(erased_at__isnull=True).count()
    count = page.locator("#audience-count")
    expect(count).to_have_attribute("data-count", str(everyone))
    page.get_by_role("button", name="Pridėti sąlygą").click()
    row = page.locator("li.condition").first
    row.get_by_label("Laukas").select_option("language")
    row.get_by_label("Operatorius").select_option("eq")
    row.get_by_label("Reikšmė").fill("lt")
    lithuanians = Customer.objects.filter(erased_at__isnull=True, language__startswith="lt").count()
    assert 0 < lithuanians < everyone
    expect(count).to_have_attribute("data-count", str(lithuanians))
    assert "klientų atitinka dabar" in count.inner_text()

    # The steps: a coupon first, then the message with the product block.
    first = page.locator("li.step").first
    first.get_by_label("Veiksmas").select_option("coupon")
    first.get_by_label("Prizas", exact=True).select_option("Win-back discount")
    page.get_by_role("button", name="Pridėti žingsnį").click()
    second = page.locator("li.step").nth(1)
    second.get_by_label("Veiksmas").select_option("send")
    second.get_by_label("Žinutė", exact=True).select_option("welcome")
    second.get_by_label("Su trimis rekomenduojamomis prekėmis").check()
    # A test of two versions: variant B writes the thank-you message and gives the birthday gift.
    second.get_by_label("B variantas: žinutė").select_option("thank_you")
    first.get_by_label("B variantas: prizas").select_option("Birthday gift")
    page.get_by_label("Laimėjusį variantą pasirinkti automatiškai").check()
    page.get_by_label("ir kiekvienas variantas pasiekė (klientų)").fill("150")
    check("designer-new")
    page.get_by_role("button", name="Išsaugoti").click()
    page.wait_for_url(re.compile(r"/journeys/sveiki-atvyke-lietuviai/edit/$"))
    journey = Journey.objects.get(key="sveiki-atvyke-lietuviai")
    assert not journey.enabled and journey.audience == {"all": [{"field": "language", "op": "eq", "value": "lt"}]}
    assert [(s.action, s.config) for s in journey.steps.order_by("position")] == [
        ("coupon", {"reward": "Win-back discount", "valid_days": 30, "variants": ["Birthday gift"]}),
        ("send", {"template": "welcome", "products": True, "variants": ["thank_you"]})]
    assert (journey.auto_winner, journey.winner_probability, journey.winner_minimum) == (True, Decimal("0.950"), 150)
    assert AuditEvent.objects.get(action="journey.create").actor_name == "rasa"
    check("designer-saved")

    # A test of the message to the marketer's own address, as a Lithuanian customer would get it.
    ona = Customer.objects.filter(language__startswith="lt", erased_at__isnull=True).exclude(email="").first()
    page.get_by_role("link", name="Išbandyti…").click()
    page.get_by_label("Kaip klientas").fill(ona.email)
    check("test")
    page.get_by_role("button", name="Siųsti bandymą man").click()
    page.wait_for_load_state("networkidle")
    [mail] = mail_to.to("rasa@arbatine.lt")
    assert mail["Subject"].startswith("[TEST] ") and mail["Content-Language"] == "lt"
    html = mail.get_body(("html",)).get_content()
    assert "Jums taip pat gali patikti" in html and "https://arbatine.lt/p/" in html

    # Switched on from now: the number is shown, nobody enters; switched off at once.
    page.goto(f"{base}/journeys/{journey.key}/edit/")
    page.get_by_role("link", name="Įjungti…").click()
    assert page.get_by_label("Tik klientai, kurie atitiks nuo dabar").is_checked()
    check("switch-on")
    page.get_by_role("button", name="Įjungti").click()
    page.wait_for_url(f"{base}/journeys/{journey.key}/edit/")  # back on the journey's page, on
    assert page.locator("h1 [data-state]").inner_text() == "Įjungta"
    assert page.locator("[data-locked]").is_visible()  # its trigger and steps wait until it is off
    assert journeys.run().entered[journey.key] == 0
    page.goto(f"{base}/journeys/")
    assert page.locator(f"tr[data-journey='{journey.key}'] [data-state]").inner_text() == "Įjungta"
    check("journeys-on")
    page.locator(f"tr[data-journey='{journey.key}']").get_by_role("link", name="Sveiki atvykę, lietuviai").click()
    page.get_by_role("button", name="Išjungti").click()
    page.wait_for_url(f"{base}/journeys/{journey.key}/edit/")
    assert page.locator("h1 [data-state]").inner_text() == "Išjungta" and not Journey.objects.get(pk=journey.pk).enabled
    assert page.errors == []


def test_a_marketer_edits_a_latvian_text_with_its_live_preview_and_resets_it(shop, watched, live_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, base, check = watched, live_server.url, Checked(watched)
    marketer_in_lithuanian(page, base)
    page.goto(f"{base}/messages/")
    check("messages")
    page.locator("tr[data-message='winback']").get_by_role("link", name="lv", exact=True).click()
    assert page.locator(".tabs [aria-current=page]").inner_text() == "Latvių"
    page.get_by_label("Tema").fill("Atgriezieties, {{ first_name_vocative }}!")
    expect(page.locator("#preview-subject")).to_have_text("Atgriezieties, Ieva!")
    page.get_by_label("Tekstas").fill("Labdien!\n\nJūsu atlaide: {{ discount }}.")
    check("message-draft")
    page.get_by_role("button", name="Išsaugoti").click()
    page.wait_for_load_state("networkidle")
    edit = MessageTemplate.objects.get(key="winback", language="lv")
    assert edit.subject == "Atgriezieties, {{ first_name_vocative }}!"
    expect(page.locator("#preview-subject")).to_have_text("Atgriezieties, Ieva!")  # the saved text, previewed
    # The Latvian text now lacks the coupon code the other languages carry: the page says so.
    assert "Latvių kalbai trūksta {{ coupon }}" in page.locator(".warnings").inner_text()
    check("message-warned")
    page.get_by_role("button", name="Grąžinti įdiegtą tekstą").click()
    page.wait_for_load_state("networkidle")
    assert not MessageTemplate.objects.filter(key="winback").exists()
    assert page.get_by_label("Tema").input_value() == "Mums Jūs pietrūkst"
    page.goto(f"{base}/messages/brand/")
    check("brand")
    assert page.errors == []
