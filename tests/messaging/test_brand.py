"""The Brand page's values over the settings': checked, audited, and in every email from the moment they are saved."""

import pytest

from patron.core.errors import InvalidInput
from patron.core.models import AuditEvent
from patron.messaging import brand, texts

pytestmark = pytest.mark.django_db


def test_a_saved_brand_is_in_the_next_email_and_a_blank_field_keeps_the_setting(settings):
    settings.PATRON_SHOP_ADDRESS = "Gedimino pr. 1, Vilnius"
    brand.save({"colour": "#B91C1C", "reply_to": "pagalba@arbatine.lt", "shop_url": "https://arbatine.lt"}, actor="cli:ona")
    shown = texts.preview("winback", "lt")
    assert "#b91c1c" in shown.html and "Gedimino pr. 1, Vilnius" in shown.html
    assert shown.headers["Reply-To"] == "pagalba@arbatine.lt" and "https://arbatine.lt" in shown.html
    event = AuditEvent.objects.get(action="brand.change")
    assert event.detail["changed"] == ["colour", "reply_to", "shop_url"]
    brand.save({**brand.saved(), "colour": ""})
    assert brand.current()["colour"] == settings.PATRON_BRAND_COLOUR


@pytest.mark.parametrize("values, field", [
    ({"colour": "red"}, "colour"), ({"logo_url": "http://plain.example/logo.png"}, "logo_url"),
    ({"reply_to": "not an address"}, "reply_to"), ({"fonts": "Arial; } body { x"}, "fonts"),
])
def test_a_bad_value_is_refused_naming_the_field(values, field):
    with pytest.raises(InvalidInput) as refused:
        brand.save(values)
    assert refused.value.details["field"] == field
    assert brand.saved() == dict.fromkeys(brand.FIELDS, "")
