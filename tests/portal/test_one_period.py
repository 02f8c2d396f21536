"""A Latvian sentence that ends on a date ends with one period: the date's own ("2026. gada 10. jūl.")."""

import datetime as dt

from django.template import Context, Template
from django.utils import translation

from patron.portal.templatetags.portal import day, one_period


def test_a_latvian_date_at_the_end_of_a_sentence_takes_one_period():
    with translation.override("lv"):
        written = day(dt.date(2026, 7, 10))
        assert written.endswith(".")
        assert one_period(f"Priekšrocības ir spēkā līdz {written}.") == "Priekšrocības ir spēkā līdz 2026. gada 10. jūl."
        shown = Template("{% load portal %}<p>{% filter one_period %}Līdz {{ when }}.{% endfilter %}</p>").render(
            Context({"when": written}))
        assert shown == "<p>Līdz 2026. gada 10. jūl.</p>"
    with translation.override("en"):
        assert one_period(f"Until {day(dt.date(2026, 7, 10))}.") == "Until Jul 10, 2026."
    assert one_period("Wait...") == "Wait..."
