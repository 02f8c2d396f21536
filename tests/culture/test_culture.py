"""Holidays, name days, the vocative and the form of address, and business calendars that know them."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from patron.campaigns import services as journeys
from patron.campaigns.models import Enrollment, Journey
from patron.culture import calendars, grammar, namedays
from patron.customers.services import upsert_customer
from patron.messaging import delivery
from patron.messaging.models import Message
from patron.messaging.render import render
from patron.service.hours import BusinessCalendar

RIGA = zoneinfo.ZoneInfo("Europe/Riga")
MIDSUMMER = dt.datetime(2026, 6, 24, 10, tzinfo=RIGA)  # Jāņi: a Latvian public holiday and Jānis's name day

# Vocatives of common first names, from the grammars' declension tables (Ambrazas (ed.), Lithuanian
# Grammar, Baltos lankos 1997: -as -> -ai, -is -> -i, -ys -> -y, -ius -> -iau, -ė -> -e, -a unchanged;
# Nītiņa and Grigorjevs (eds.), Latviešu valodas gramatika, LU LaVI 2013: -s dropped, -is -> -i,
# -us -> -u, feminine -a and -e unchanged). The names are among the most given in each country.
LITHUANIAN = {"Jonas": "Jonai", "Petras": "Petrai", "Antanas": "Antanai", "Tomas": "Tomai", "Vytautas": "Vytautai",
              "Mindaugas": "Mindaugai", "Jurgis": "Jurgi", "Kęstutis": "Kęstuti", "Kazys": "Kazy", "Stasys": "Stasy",
              "Paulius": "Pauliau", "Darius": "Dariau", "Marius": "Mariau", "Elijas": "Elijau", "Ona": "Ona",
              "Rūta": "Rūta", "Greta": "Greta", "Eglė": "Egle", "Jūratė": "Jūrate", "Austėja": "Austėja"}
LATVIAN = {"Jānis": "Jāni", "Pēteris": "Pēteri", "Andris": "Andri", "Kārlis": "Kārli", "Juris": "Juri",
           "Edgars": "Edgar", "Oskars": "Oskar", "Andrejs": "Andrej", "Ingus": "Ingu", "Markus": "Marku",
           "Anna": "Anna", "Laura": "Laura", "Ilze": "Ilze", "Kristīne": "Kristīne", "Līga": "Līga"}


@pytest.mark.parametrize(("language", "table"), [("lt", LITHUANIAN), ("lv", LATVIAN)])
def test_vocatives_of_common_first_names(language, table):
    assert {name: grammar.vocative(name, language) for name in table} == table


def test_vocative_of_double_names_and_other_languages():
    assert grammar.vocative("Jonas Petras", "lt") == "Jonai Petrai"
    assert grammar.vocative("Anna-Marija", "lv-LV") == "Anna-Marija"
    assert grammar.vocative("JĀNIS", "lv") == "JĀNI"
    assert grammar.vocative("Giorgi", "ka") == "Giorgi" and grammar.vocative("Jonas", "en") == "Jonas"
    assert grammar.vocative("", "lt") == ""


def test_name_days_match_spellings_a_person_would_expect():
    assert "Jānis" in namedays.names_on("lv", dt.date(2026, 6, 24))
    assert "06-24" in namedays.name_days("lv", "janis") and "06-24" in namedays.name_days("lv", "JĀNIS")
    assert namedays.name_days("lt", "Jonas") == ["06-24"] and namedays.name_days("et", "Jaan") == ["06-24"]
    assert namedays.name_days("lt", "Ona Marija")[:1] == ["07-26"]
    assert namedays.name_days("ka", "Giorgi") == [] and namedays.name_days("lv", "") == []


def test_holidays_per_country():
    day = dt.date(2026, 6, 24)
    assert calendars.day_off("LV", day) and calendars.day_off("EE", day) and not calendars.day_off("GE", day)
    assert calendars.celebration("LV", day, "lv") == "Jāņu diena"
    assert calendars.celebration("LV", dt.date(2026, 6, 22)) is None and calendars.day_off("LV", dt.date(2026, 6, 22))  # a moved day off
    assert calendars.celebration("LV", day, only=["Christmas Day"]) is None
    assert not calendars.day_off("", day) and not calendars.day_off("XX", day)


def enable(key: str, at: dt.datetime) -> Journey:
    journeys.ensure_builtin()
    journey = journeys.enable(key, now=at - dt.timedelta(days=1))
    Journey.objects.filter(pk=journey.pk).update(holdout_share=0)  # everyone receives: the test checks who enters
    return journey


@pytest.fixture
def people(db):
    return {
        "janis": upsert_customer("lv-1", first_name="Jānis", language="lv", country="LV", email="janis@example.lv", email_consent=True)[0],
        "janis_plain": upsert_customer("lv-2", first_name="JANIS", language="lv", country="LV", email="j2@example.lv", email_consent=True)[0],
        "anna": upsert_customer("lv-3", first_name="Anna", language="lv", country="LV", email="anna@example.lv", email_consent=True)[0],
        "jonas": upsert_customer("lt-1", first_name="Jonas", language="lt", country="LT", email="jonas@example.lt", email_consent=True)[0],
        "jaan": upsert_customer("ee-1", first_name="Jaan", language="", country="EE", email="jaan@example.ee", email_consent=True)[0],
        "giorgi": upsert_customer("ge-1", first_name="Jānis", language="ka", country="GE", email="giorgi@example.ge", email_consent=True)[0],
    }


def test_a_latvian_janis_gets_the_name_day_greeting_on_24_june(people, mail_to):
    enable("name_day", MIDSUMMER)
    journeys.run(MIDSUMMER.astimezone(dt.UTC))
    entered = set(Enrollment.objects.filter(journey__key="name_day").values_list("customer__external_id", flat=True))
    # Jānis (and JANIS, as written), Jonas by the Lithuanian calendar, Jaan by Estonia's (no language: his country's).
    assert entered == {"lv-1", "lv-2", "lt-1", "ee-1"}
    message = Message.objects.get(customer=people["janis"], template="name_day")
    rendered = render(message, people["janis"])
    assert rendered.language == "lv" and "Labdien, Jāni!" in rendered.text and "Jūs" in rendered.text
    jonas = render(Message.objects.get(customer=people["jonas"]), people["jonas"])
    assert "Sveiki, Jonai!" in jonas.text
    # 24 June is a holiday in Latvia: marketing waits, but a greeting made for the day goes out on it.
    outcome = delivery.deliver_due(MIDSUMMER.astimezone(dt.UTC))
    assert outcome.sent == 4 and outcome.deferred == 0
    assert "Jāni" in mail_to.to("janis@example.lv")[0]["Subject"]
    journeys.run(MIDSUMMER.astimezone(dt.UTC) + dt.timedelta(hours=2))  # again the same day: nobody twice
    assert Enrollment.objects.filter(journey__key="name_day").count() == 4


def test_the_shop_may_address_its_customers_informally(people, settings):
    settings.PATRON_ADDRESS_FORMS = "lv=informal"
    enable("name_day", MIDSUMMER)
    journeys.run(MIDSUMMER.astimezone(dt.UTC))
    latvian = render(Message.objects.get(customer=people["janis"]), people["janis"])
    lithuanian = render(Message.objects.get(customer=people["jonas"]), people["jonas"])
    body = latvian.text.split("\n-- \n")[0]  # the footer is the shop's, formal in any case
    assert "tevi" in body and "Jūs" not in body and body.startswith("Sveiks, Jāni!")
    assert "Jus" in lithuanian.text.split("\n-- \n")[0]  # Lithuanian keeps its formal default


def test_no_greeting_for_georgians_on_a_latvian_holiday(people):
    enable("holiday_greeting", MIDSUMMER)
    journeys.run(MIDSUMMER.astimezone(dt.UTC))
    entered = dict(Enrollment.objects.filter(journey__key="holiday_greeting").values_list("customer__external_id", "context"))
    assert "ge-1" not in entered and {"lv-1", "lt-1", "ee-1"} <= set(entered)
    assert entered["lv-1"]["holiday"] == "Jāņu diena" and entered["ee-1"]["holiday"] == "Midsummer Day"  # Jaan wrote no language
    new_year = dt.datetime(2027, 1, 1, 10, tzinfo=dt.UTC)
    journeys.run(new_year)
    assert Enrollment.objects.filter(journey__key="holiday_greeting", customer=people["giorgi"]).count() == 1  # Georgia's New Year


def test_other_marketing_waits_out_the_customers_holiday(people):
    for person in (people["anna"], people["giorgi"]):
        Message.objects.create(customer=person, template="welcome", channel="email", purpose="marketing",
                               created_at=MIDSUMMER, due_at=MIDSUMMER)
    outcome = delivery.deliver_due(MIDSUMMER.astimezone(dt.UTC))
    assert outcome.sent == 1 and outcome.deferred == 1  # the Georgian gets it; in Latvia it is a holiday
    waiting = Message.objects.get(customer=people["anna"])
    assert waiting.status == "queued" and waiting.due_at == dt.datetime(2026, 6, 25, 8, tzinfo=RIGA)


def test_the_sla_clock_skips_24_june_for_a_latvian_team():
    hours = {str(d): [["09:00", "17:00"]] for d in range(1, 6)}
    plain = BusinessCalendar.from_config("Europe/Riga", hours)
    latvian = BusinessCalendar.from_config("Europe/Riga", hours, country="LV")
    opened = dt.datetime(2026, 6, 22, 16, tzinfo=RIGA)  # Monday; the 22nd is a moved day off, 23-24 Līgo and Jāņi
    assert plain.add(opened, 120) == dt.datetime(2026, 6, 23, 10, tzinfo=RIGA)
    assert latvian.add(dt.datetime(2026, 6, 19, 16, tzinfo=RIGA), 120) == dt.datetime(2026, 6, 25, 10, tzinfo=RIGA)
    assert not latvian.is_open(dt.datetime(2026, 6, 24, 12, tzinfo=RIGA)) and plain.is_open(dt.datetime(2026, 6, 24, 12, tzinfo=RIGA))
    with pytest.raises(Exception, match="holiday_country"):
        BusinessCalendar.from_config("Europe/Riga", hours, country="XX")


def test_a_policy_names_its_country(db):
    from patron.service.models import SlaPolicy
    from patron.service.services import calendar_of

    policy = SlaPolicy.objects.create(name="Riga desk", timezone="Europe/Riga", holiday_country="LV")
    assert not calendar_of(policy).is_open(dt.datetime(2026, 6, 24, 12, tzinfo=RIGA))
    assert timezone.now()
