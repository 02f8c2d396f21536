"""Closing the loop: comments become an idea; when it ships, everyone who asked hears it in their language."""

import datetime as dt
import json

import pytest
from django.core.management import call_command

from patron.campaigns import services as journeys
from patron.core.errors import Conflict
from patron.customers import services as customers
from patron.customers.models import Interaction
from patron.feedback import queries, services
from patron.feedback.models import Idea
from patron.messaging.delivery import deliver_due
from patron.segments.services import count as count_rules
from tests.feedback.comments import labelled_comments

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)


def person(external_id, language):
    found, _ = customers.upsert_customer(external_id, language=language, email=f"{external_id}@example.com",
                                         email_consent="true")
    return found


def test_an_idea_shipped_reaches_everyone_who_asked(mail_to):
    ieva, maris, tom = person("ieva", "lt"), person("maris", "lv"), person("tom", "en")
    asked = [services.record_answer(ieva, "nps", 8, ref="l:1", source="link", comment="Norėčiau dovanų pakavimo", at=NOW),
             services.record_answer(maris, "nps", 7, ref="l:2", source="link", comment="Lūdzu, dāvanu iesaiņošanu", at=NOW)]
    services.record_answer(tom, "nps", 10, ref="l:3", source="link", comment="Great shop", at=NOW)
    idea = services.create_idea("Gift wrapping", responses=asked, by="staff")
    journeys.enable("idea_shipped", now=NOW)
    assert services.implement_idea(idea, at=NOW + dt.timedelta(hours=1)) == 2
    with pytest.raises(Conflict):
        services.implement_idea(idea)  # nobody is told twice
    assert Interaction.objects.filter(kind="suggestion_implemented").count() == 2
    later = NOW + dt.timedelta(hours=2)
    journeys.run(later)
    assert deliver_due(later).sent == 2
    [lt] = mail_to.to("ieva@example.com")
    [lv] = mail_to.to("maris@example.com")
    assert lt["Content-Language"] == "lt" and lv["Content-Language"] == "lv"
    assert "Gift wrapping" in lt.get_body(("plain",)).get_content()
    assert not mail_to.to("tom@example.com")
    assert Idea.objects.get().status == Idea.Status.IMPLEMENTED


def test_similar_comments_are_suggested_for_an_idea():
    shopper = person("s", "en")
    texts = ["Please add gift wrapping", "Gift wrapping would be lovely", "I would like gift wrapping for presents",
             "Delivery was slow", "Prices are high", "The staff were rude"]
    answers = [services.record_answer(shopper, "nps", 8, ref=f"l:{i}", source="link", comment=t, at=NOW)
               for i, t in enumerate(texts)]
    idea = services.create_idea("Gift wrapping", responses=answers[:1])
    similar = [r.comment for r, _ in queries.similar_comments(idea)]
    assert similar[:2] and set(similar) == {"Gift wrapping would be lovely", "I would like gift wrapping for presents"}


def test_segments_select_on_the_latest_answer():
    a, b, c = person("a", "en"), person("b", "en"), person("c", "en")
    services.record_answer(a, "nps", 9, ref="l:a1", source="link", at=NOW - dt.timedelta(days=30))
    services.record_answer(a, "nps", 3, ref="l:a2", source="link", at=NOW)  # a is a detractor now
    services.record_answer(b, "nps", 10, ref="l:b", source="link", at=NOW)
    services.record_answer(c, "csat", 2, ref="l:c", source="link", at=NOW)
    assert count_rules({"field": "nps", "op": "lte", "value": 6}) == 1
    assert count_rules({"field": "nps", "op": "gte", "value": 9}) == 1
    assert count_rules({"field": "csat", "op": "lt", "value": 3}) == 1
    assert count_rules({"not": {"field": "nps", "op": "gte", "value": 0}}) == 1  # c never answered NPS


def test_feedback_themes_command(capsys):
    comments = labelled_comments(per_topic=8)
    people = {lang: person(f"p-{lang}", lang) for lang in comments["language"].unique()}
    for i, row in comments.iterrows():
        services.record_answer(people[row["language"]], "nps", 5, ref=f"l:{i}", source="link", comment=row["comment"],
                               at=NOW - dt.timedelta(days=i % 60))
    call_command("feedback", "themes", "--k", "4", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["comments"] == len(comments) and len(report["themes"]) == 20
    assert all(t["trend"] and t["nps"] == -100.0 for t in report["themes"])
    call_command("feedback", "themes", "--k", "4")
    text = capsys.readouterr().out
    assert "[lt]" in text and "[ka]" in text and "terms:" in text
