"""A Lithuanian customer buys, gets the NPS survey in Lithuanian, answers with one click, changes her mind,
adds a comment; a detractor's answer starts the follow-up; the feedback bonus is given once."""

import datetime as dt
import re
from urllib.parse import urlparse

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from patron.campaigns import services as journeys
from patron.campaigns.models import Task
from patron.commerce import services as commerce
from patron.core.errors import InvalidInput
from patron.customers import services as customers
from patron.customers.models import Interaction
from patron.customers.queries import export_customer, timeline
from patron.feedback import services, tokens
from patron.feedback.models import Response
from patron.loyalty.models import EarningRule, Movement, Program
from patron.messaging.delivery import deliver_due
from patron.messaging.render import link_token

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)  # 12:00 in Vilnius: outside quiet hours


def customer(external_id, language="lt"):
    person, _ = customers.upsert_customer(external_id, language=language, email=f"{external_id}@example.lt",
                                          email_consent="true", country="LT")
    return person


def path_of(url: str) -> str:
    parsed = urlparse(url)
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


def test_nps_survey_by_email_one_click_then_comment(mail_to, settings):
    program = Program.objects.create(name="Patron Rewards", currency="EUR")
    EarningRule.objects.create(program=program, kind=EarningRule.Kind.FEEDBACK_BONUS, bonus_points=50,
                               valid_from=NOW - dt.timedelta(days=30))
    ona = customer("ona")
    commerce.record_order(ona, "o-1", placed_at=NOW, total="40", currency="EUR")
    journeys.enable("nps_survey", now=NOW)
    journeys.enable("detractor_followup", now=NOW)
    journeys.run(NOW)
    week = NOW + dt.timedelta(days=7, minutes=1)
    journeys.run(week)
    assert deliver_due(week).sent == 1
    [mail] = mail_to.to("ona@example.lt")
    assert mail["Subject"] == "Vienas Patron Shop klausimas" and mail["Content-Language"] == "lt"
    html = mail.get_body(("html",)).get_content()
    scale = re.findall(r'href="([^"]+\?score=(\d+))"', html)
    assert [int(n) for _, n in scale] == list(range(11))  # 0 to 10, one link each
    assert "0: Visiškai netikėtina" in html and "10: Labai tikėtina" in html
    text = mail.get_body(("plain",)).get_content()
    assert re.search(r"atsakykite čia: (\S+/f/survey/\S+/)", text)

    client = Client(enforce_csrf_checks=True)
    click = path_of(scale[3][0].replace("&amp;", "&"))
    page = client.get(click)  # one click on 3 in the email
    assert page.status_code == 200 and '<html lang="lt">' in page.content.decode()
    assert "Ačiū! Jūsų atsakymas išsaugotas." in page.content.decode()
    answer = Response.objects.get(customer=ona)
    assert (answer.kind, answer.score, answer.source, answer.language) == ("nps", 3, "email", "lt")
    assert answer.ref.startswith("m:")
    detractor = Interaction.objects.get(customer=ona, kind="nps_detractor")
    assert detractor.payload == {"response": answer.pk, "score": 3}

    client.get(path_of(scale[5][0].replace("&amp;", "&")))  # a second click changes the answer, never adds one
    assert Response.objects.filter(customer=ona).count() == 1 and Response.objects.get(customer=ona).score == 5
    assert Interaction.objects.filter(customer=ona, kind="nps_detractor").count() == 1

    # The comment form is a normal POST with the CSRF token the page carries.
    form = client.get(path_of(scale[5][0]).split("?")[0])
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode()).group(1)
    posted = client.post(path_of(scale[5][0]).split("?")[0], {"score": "2", "comment": "Pristatymas vėlavo dvi savaites",
                                                               "csrfmiddlewaretoken": csrf})
    assert posted.status_code == 200
    answer.refresh_from_db()
    assert (answer.score, answer.comment) == (2, "Pristatymas vėlavo dvi savaites")
    assert client.post(path_of(scale[5][0]).split("?")[0], {"score": "11", "csrfmiddlewaretoken": csrf}).status_code == 422
    answer.refresh_from_db()
    assert answer.score == 2  # a bad score changes nothing

    # The feedback bonus: once per survey, however many times it is answered.
    bonus = Movement.objects.filter(customer=ona, reference__startswith="survey:").values_list("points", flat=True)
    assert list(bonus) == [50]
    assert Movement.objects.filter(customer=ona, reference=f"survey:{answer.pk}").count() == 1

    # The detractor follow-up journey: a task for a person now.
    journeys.run(week + dt.timedelta(minutes=5))
    assert Task.objects.filter(customer=ona, title="Call back an NPS detractor").count() == 1

    # The answer is on her record.
    assert any(e["kind"] == "survey_nps" and e["payload"]["score"] == 2 for e in timeline(ona))
    assert export_customer(ona)["survey_responses"][0]["comment"] == "Pristatymas vėlavo dvi savaites"


def test_the_nps_survey_goes_at_most_once_in_90_days(settings):
    jonas = customer("jonas")
    journeys.enable("nps_survey", now=NOW)
    for day in (0, 10, 95):
        commerce.record_order(jonas, f"j-{day}", placed_at=NOW + dt.timedelta(days=day), total="10", currency="EUR")
        journeys.run(NOW + dt.timedelta(days=day, hours=1))
    entered = journeys.Enrollment.objects.filter(journey__key="nps_survey", customer=jonas)
    assert entered.count() == 2  # day 0 and day 95; the order on day 10 came too soon after


def test_a_survey_token_cannot_be_forged_or_used_for_another_customer():
    ona, jonas = customer("ona"), customer("jonas")
    client = Client()
    good = tokens.make(ona.pk, "nps", tokens.new_link_ref())
    assert client.get(f"/f/survey/{good}/?score=9").status_code == 200
    assert Response.objects.get().customer_id == ona.pk

    # The customer id inside the token is signed: changing it breaks the signature.
    forged = signing.dumps({"c": jonas.pk, "k": "nps", "r": "l:x"}, salt="another.salt", compress=True)
    for token in (forged, good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "nonsense",
                  link_token(jonas.pk, "email")):  # an unsubscribe link's token is not a survey token
        page = client.get(f"/f/survey/{token}/?score=0")
        assert page.status_code == 400, token
    assert Response.objects.count() == 1 and not Response.objects.filter(customer=jonas).exists()

    # An erased customer's link no longer works.
    customers.erase_customer(ona)
    assert client.get(f"/f/survey/{good}/?score=9").status_code == 400
    assert Response.objects.get().comment == ""


def test_answers_are_checked_against_their_scale():
    ona = customer("ona")
    for kind, score in (("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6), ("nps", "x"), ("ces", 3)):
        with pytest.raises(InvalidInput) as failure:
            services.record_answer(ona, kind, score, ref=f"l:{kind}{score}", source="link")
        assert failure.value.details["field"] in ("kind", "score")
    services.record_answer(ona, "csat", 1, ref="l:a", source="link", at=timezone.now())
    assert Response.objects.count() == 1


def test_a_bad_answer_is_explained_in_the_customers_language():
    ona = customer("ona")
    token = tokens.make(ona.pk, "nps", tokens.new_link_ref())
    page = Client().get(f"/f/survey/{token}/?score=12")
    assert page.status_code == 422 and "Pasirinkite vieną iš skaičių." in page.content.decode()
    assert not Response.objects.exists()
