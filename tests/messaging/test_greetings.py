"""Every built-in message greets the customer by name, in the form the language addresses a name in: the
Lithuanian Jonas as "Jonai", the Latvian Jānis as "Jāni", the Estonian Mari and the Georgian Nino as given."""

import pytest

from patron.customers.services import upsert_customer
from patron.messaging import content
from patron.messaging.models import Message
from patron.messaging.render import render

pytestmark = pytest.mark.django_db

PEOPLE = {"en": ("Ieva", "Hello Ieva"), "lt": ("Jonas", "Sveiki, Jonai!"), "lv": ("Jānis", "Labdien, Jāni!"),
          "et": ("Mari", "Tere, Mari!"), "ka": ("ნინო", "გამარჯობა, ნინო!")}
# Messages whose first words are not a greeting to the person (a survey's question, a page's text).
UNGREETED = {"_pages"}


@pytest.mark.parametrize("language", sorted(PEOPLE))
def test_every_builtin_message_greets_by_name_in_the_form_of_the_language(language):
    name, greeting = PEOPLE[language]
    person, _ = upsert_customer(f"g-{language}", first_name=name, language=language, email=f"{language}@example.lt",
                                email_consent="true")
    greeted, missing = 0, []
    for key in content.builtin_keys():
        if key in UNGREETED or language not in content.builtin(key):
            continue
        rendered = render(Message(customer=person, template=key, channel="email", purpose="marketing",
                                  context={"coupon": "ABCD-EFGH", "discount": "15 %", "points": 100}), person)
        first_words = (rendered.text or "").strip()[:40]
        if first_words.startswith(greeting.split(",")[0].split(" ")[0]):  # the message opens with a greeting
            greeted += 1
            if not first_words.startswith(greeting):
                missing.append(f"{key}: {first_words!r}")
    assert greeted >= 10 and missing == []


def test_a_customer_without_a_first_name_is_greeted_without_one():
    person, _ = upsert_customer("nameless", language="lt", email="x@example.lt", email_consent="true")
    rendered = render(Message(customer=person, template="winback", channel="email", purpose="marketing",
                              context={"coupon": "ABCD", "discount": "15 %"}), person)
    assert rendered.text.startswith("Sveiki!")
