import datetime as dt
import re

from django.test import Client
from django.utils import timezone

from patron.customers.models import ConsentEvent
from patron.feedback import services as feedback
from patron.feedback.models import Ask, Idea, Response
from patron.loyalty import services as loyalty, tiers
from patron.loyalty.models import Coupon, EarningRule, Lot
from patron.loyalty.services import balance
from patron.messaging.models import Message
from patron.portal.models import PortalRedemption


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_home_shows_balance_expiry_tier_progress_and_rewards(shop, signed_in):
    Lot.objects.filter(wallet__customer=shop["ieva"]).update(expires_at=timezone.now() + dt.timedelta(days=10))
    client = signed_in(shop["ieva"])
    client.post("/portal/language/", {"language": "en"})
    page = text(client.get("/portal/"))
    assert "Hello, Ieva" in page and ">820</span> points" in page
    assert "820 points expire on" in page
    # 820 qualifies for Silver (500) before the daily run gives it; Gold (2,000) is 1,180 away: 21 % of the way.
    assert "You have reached Silver" in page and "1,180 points to Gold" in page and 'value="21"' in page
    assert "Free coffee" in page and "10 EUR voucher" not in page
    tiers.evaluate(shop["program"])
    page = text(client.get("/portal/"))
    assert "Your tier: <strong>Silver</strong>" in page and "You have reached" not in page and 'value="21"' in page
    client.post("/portal/language/", {"language": "lt"})
    page = text(client.get("/portal/"))
    assert "Hello" not in page and "1 180" in page.replace("\xa0", " ")  # Lithuanian words and numbers


def test_rewards_are_split_into_affordable_out_of_reach_and_locked(shop, signed_in):
    client = signed_in(shop["jonas"])
    page = text(client.get("/portal/rewards/"))
    now, soon, locked = page.partition("Almost there")[0], "", page.partition("For higher tiers and members")[2]
    assert "Free coffee" in now and "10 EUR voucher" in now  # 5,000 points
    assert "Tasting evening" in locked and "from Gold" in locked and "mug" in locked and "for paid members" in locked
    client = signed_in(shop["ieva"])
    client.post("/portal/language/", {"language": "en"})
    page = text(client.get("/portal/rewards/"))
    soon = page.partition("Almost there")[2].partition("For higher tiers")[0]
    assert "10 EUR voucher" in soon and "180 points to go" in soon
    assert "Free coffee" in page.partition("Almost there")[0]


def test_redeeming_twice_with_one_confirmation_spends_once(shop, signed_in):
    client = signed_in(shop["ieva"])
    form = text(client.get(f"/portal/rewards/{shop['coffee'].pk}/"))
    key = re.search(r'name="key" value="([^"]+)"', form).group(1)
    first = client.post(f"/portal/rewards/{shop['coffee'].pk}/", {"key": key})
    second = client.post(f"/portal/rewards/{shop['coffee'].pk}/", {"key": key})
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert Coupon.objects.filter(customer=shop["ieva"]).count() == 1 == PortalRedemption.objects.count()
    assert loyalty.balance(shop["program"], shop["ieva"]) == 520 and loyalty.verify() == []
    wallet = text(client.get("/portal/wallet/"))
    assert Coupon.objects.get().code in wallet and "Free coffee" in wallet
    # A new confirmation is a new redemption.
    key2 = re.search(r'name="key" value="([^"]+)"', text(client.get(f"/portal/rewards/{shop['coffee'].pk}/"))).group(1)
    assert key2 != key
    client.post(f"/portal/rewards/{shop['coffee'].pk}/", {"key": key2})
    assert loyalty.balance(shop["program"], shop["ieva"]) == 220


def test_redeeming_what_one_cannot_have_says_why_and_spends_nothing(shop, signed_in):
    client = signed_in(shop["ieva"])
    key = "k" * 24
    assert client.post(f"/portal/rewards/{shop['voucher'].pk}/", {"key": key}).status_code == 409  # 820 < 1,000
    assert client.post(f"/portal/rewards/{shop['golden'].pk}/", {"key": key}).status_code == 409  # Gold only
    assert client.post(f"/portal/rewards/{shop['members'].pk}/", {"key": key}).status_code == 409  # paid members only
    assert client.post(f"/portal/rewards/{shop['coffee'].pk}/", {"key": "short"}).status_code == 422
    assert client.get("/portal/rewards/999999/").status_code == 404
    assert loyalty.balance(shop["program"], shop["ieva"]) == 820 and not Coupon.objects.exists()


def test_history_pages_by_keyset(shop, signed_in):
    for n in range(30):
        loyalty.earn(shop["program"], shop["ieva"], 1, reference=f"h-{n}")
    client = signed_in(shop["ieva"])
    first = text(client.get("/portal/history/"))
    more = re.search(r'\?before=(\d+)', first).group(1)
    second = text(client.get(f"/portal/history/?before={more}"))
    assert "h-29" in first and "h-29" not in second and "o-1" in second and 'href="?before=' not in second
    assert client.get("/portal/history/?before=nonsense").status_code == 200


def test_referral_code_and_link(shop, signed_in, settings):
    settings.PATRON_REFERRAL_URL = "https://shop.example/join?ref={code}"
    page = text(signed_in(shop["ieva"]).get("/portal/refer/"))
    code = shop["ieva"].referral_codes.get().code
    assert code in page and f"https://shop.example/join?ref={code}" in page


def test_preferences_record_consent_from_the_portal(shop, signed_in):
    client = signed_in(shop["ieva"])
    assert client.post("/portal/preferences/", {"sms": "on"}).status_code == 302
    shop["ieva"].refresh_from_db()
    assert shop["ieva"].email_consent is False and shop["ieva"].sms_consent is True
    assert set(ConsentEvent.objects.filter(customer=shop["ieva"], source="portal").values_list("channel", "granted")) == {
        ("email", False), ("sms", True)}


def test_language_switch_changes_the_page_and_the_customer(shop, signed_in):
    client = signed_in(shop["ieva"])
    assert client.get("/portal/")["Content-Language"] == "lt"
    assert client.post("/portal/language/", {"language": "ka", "next": "/portal/wallet/"}).url == "/portal/wallet/"
    shop["ieva"].refresh_from_db()
    assert shop["ieva"].language == "ka" and client.get("/portal/")["Content-Language"] == "ka"
    assert client.post("/portal/language/", {"language": "xx"}).status_code == 422
    assert client.post("/portal/language/", {"language": "et", "next": "https://evil.example/"}).url == "/portal/"


def test_surveys_and_ideas(shop, signed_in):
    client = signed_in(shop["ieva"])
    page = text(client.get("/portal/surveys/"))
    assert "/f/survey/" in page  # no NPS answer lately: a fresh survey
    message = Message.objects.create(customer=shop["ieva"], template="survey_csat", channel="email", purpose="transactional",
                                     status="sent", created_at=timezone.now(), due_at=timezone.now(), sent_at=timezone.now())
    response = feedback.record_answer(shop["ieva"], "nps", 9, ref="l:x", source="link", comment="Please add gift wrapping")
    idea = feedback.create_idea("Gift wrapping", responses=[response])
    page = text(client.get("/portal/surveys/"))
    assert page.count("/f/survey/") == 1 and "Gift wrapping" in page
    feedback.implement_idea(idea)
    assert Idea.objects.get().status == "implemented"
    assert message.pk and "Gift wrapping" in text(client.get("/portal/surveys/"))


def test_every_page_answers_in_every_language(shop, signed_in):
    from patron.portal.views import NAVIGATION

    client = signed_in(shop["ieva"])
    for language in ("en", "lt", "lv", "et", "ka"):
        client.post("/portal/language/", {"language": language})
        for name, _label in NAVIGATION:
            response = client.get(f"/portal/{'' if name == 'home' else name + '/'}")
            assert response.status_code == 200 and response["Content-Language"] == language, (name, language)
            assert response["Cache-Control"] == "no-store"


def test_your_say_cannot_be_farmed_for_the_feedback_bonus(shop, signed_in):
    EarningRule.objects.create(program=shop["program"], kind=EarningRule.Kind.FEEDBACK_BONUS, bonus_points=50,
                               valid_from=timezone.now() - dt.timedelta(days=1))
    client = signed_in(shop["ieva"])
    before = balance(shop["program"], shop["ieva"])
    links = []
    for _view in range(5):  # five views of "Your say", then each link answered: one ask, one answer, one bonus
        links += re.findall(r'href="(?:https?://testserver)?(/f/survey/[^"]+/)"', client.get("/portal/surveys/").content.decode())
    assert len(links) == 5
    for link in links:
        assert Client().get(f"{link}?score=10").status_code == 200
    assert Ask.objects.filter(customer=shop["ieva"]).count() == 1
    assert Response.objects.filter(customer=shop["ieva"]).count() == 1
    assert balance(shop["program"], shop["ieva"]) - before == 50
    assert "/f/survey/" not in client.get("/portal/surveys/").content.decode()  # answered: nothing more to ask


def test_an_answer_to_a_link_nobody_made_earns_nothing(shop):
    EarningRule.objects.create(program=shop["program"], kind=EarningRule.Kind.FEEDBACK_BONUS, bonus_points=50,
                               valid_from=timezone.now() - dt.timedelta(days=1))
    before = balance(shop["program"], shop["ieva"])
    feedback.record_answer(shop["ieva"], "nps", 9, ref="l:never-made", source="link")
    assert balance(shop["program"], shop["ieva"]) == before
    link = feedback.answer_link(shop["ieva"], "csat")  # a link staff made is an ask: its answer earns once
    path = link.split("testserver", 1)[1]
    for score in (4, 5):
        assert Client().get(f"{path}?score={score}").status_code == 200
    assert balance(shop["program"], shop["ieva"]) - before == 50
