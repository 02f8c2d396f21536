"""The message designer's service: each language's text and where it comes from, the warnings, saving and
resetting one language, and a draft's preview as a chosen customer would get it."""

import pytest

from patron.core.errors import InvalidInput, NotFound
from patron.core.models import AuditEvent
from patron.customers.models import Customer
from patron.messaging import texts
from patron.messaging.models import MessageTemplate

pytestmark = pytest.mark.django_db


def test_every_language_says_where_its_text_comes_from():
    found = texts.versions("winback")
    assert {v.source for v in found.values()} == {"builtin"}
    texts.save("winback", "lv", {"subject": "Atgriezieties", "text": "Labdien!\n\nKods: {{ coupon }}."}, actor="cli:ona")
    found = texts.versions("winback")
    assert found["lv"].source == "edited" and found["lv"].subject == "Atgriezieties"
    assert found["lv"].builtin["subject"] == "Mums Jūs pietrūkst"  # what "reset" brings back
    event = AuditEvent.objects.get(action="message.change")
    assert event.target == "message:winback" and event.detail["language"] == "lv"


def test_reset_brings_the_built_in_text_back():
    texts.save("winback", "lt", {"subject": "Sugrįžkite", "text": "Labas. {{ coupon }} {{ discount }}"})
    assert texts.reset("winback", "lt", actor="cli:ona") is True
    assert texts.versions("winback")["lt"].source == "builtin"
    assert texts.preview("winback", "lt").subject == "Pasiilgome Jūsų"
    assert texts.reset("winback", "lt") is False  # nothing to reset: nothing audited
    assert AuditEvent.objects.filter(action="message.reset").count() == 1


def test_a_new_message_warns_of_the_languages_it_lacks_and_of_a_placeholder_left_out():
    texts.save("spring_sale", "en", {"subject": "Spring", "text": "Hello {{ first_name }}, your code {{ coupon }}."})
    texts.save("spring_sale", "lt", {"subject": "Pavasaris", "text": "Sveiki, {{ first_name_vocative }}, kodas {{ coupon }}."})
    texts.save("spring_sale", "lv", {"subject": "Pavasaris", "text": "Labdien, {{ first_name_vocative }}!"})
    problems = texts.warnings("spring_sale")
    assert ("lv", "placeholder", "coupon") in problems
    assert {lang for lang, kind, _ in problems if kind == "missing"} == {"et", "ka"}
    # The vocative counts as the name: no warning that Lithuanian lacks first_name.
    assert not [p for p in problems if p[0] == "lt"]


def test_a_draft_is_previewed_in_the_tab_language_as_the_chosen_customer():
    jonas = Customer.objects.create(external_id="c-1", first_name="Jonas", language="en")
    shown = texts.preview("winback", "lt", {"subject": "Sveiki, {{ first_name_vocative }}", "preheader": "Tik {{ shop }}",
                                            "text": "Sveiki!\n\nKodas {{ coupon }}."}, jonas)
    assert shown.language == "lt" and shown.subject == "Sveiki, Jonai"
    assert "Tik Patron Shop" in shown.html and "ABCD-EFGH-JKLM-NPQR" in shown.html
    assert not MessageTemplate.objects.exists()  # a preview saves nothing


def test_the_saved_text_is_previewed_once_saved():
    texts.save("winback", "lv", {"subject": "Atgriezieties", "text": "Labdien!\n\nKods: {{ coupon }}."})
    assert texts.preview("winback", "lv").subject == "Atgriezieties"
    assert texts.preview("winback", "lt").subject == "Pasiilgome Jūsų"  # other languages keep theirs


@pytest.mark.parametrize("values, field", [
    ({"text": ""}, "text"), ({"text": "{% if %}"}, "text"), ({"text": "ok", "sms": "x" * 481}, "sms"),
    ({"text": "ok", "subject": "{{ coupon|nosuchfilter }}"}, "subject"),
])
def test_a_bad_text_is_refused_naming_the_field(values, field):
    with pytest.raises(InvalidInput) as refused:
        texts.save("winback", "lt", values)
    assert refused.value.details["field"] == field
    assert not MessageTemplate.objects.exists()


def test_a_bad_name_or_language_is_refused():
    with pytest.raises(InvalidInput, match="language"):
        texts.save("winback", "xx", {"text": "ok"})
    with pytest.raises(InvalidInput, match="name"):
        texts.save("Spring Sale!", "en", {"text": "ok"})
    with pytest.raises(NotFound):
        texts.versions("never_written")


def test_a_paragraph_opening_with_a_hash_is_a_heading():
    shown = texts.preview("winback", "lt", {"subject": "Pavasaris", "text": "# Pavasario išpardavimas\n\nSveiki!\n\nKodas {{ coupon }}."})
    assert "font-size:22px" in shown.html.split("Pavasario išpardavimas")[0][-400:]
    assert "# " not in shown.text and shown.text.startswith("Pavasario išpardavimas\n\nSveiki!")


def test_an_sms_is_counted_in_the_parts_a_gateway_sends():
    assert texts.sms_parts("Hello Ieva, your code ABCD") == (26, 1, False)
    assert texts.sms_parts("x" * 161) == (161, 2, False)
    assert texts.sms_parts("Price 5€") == (9, 1, False)  # € counts twice
    assert texts.sms_parts("Sveiki, Jonai! Jūsų kodas") == (25, 1, True)  # ū: the whole message is UCS-2
    assert texts.sms_parts("ė" * 71) == (71, 2, True)
