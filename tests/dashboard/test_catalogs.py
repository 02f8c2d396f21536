"""The dashboard speaks en, lt, lv, et and ka: every string in its sources is translated in every catalog,
placeholders survive translation, and the compiled catalogs are the ones Django reads."""

import re

import pytest
from babel.messages.mofile import read_mo
from django.urls import reverse
from django.utils import translation

from patron.core import catalogs


def test_every_string_is_translated_in_every_language():
    gaps = catalogs.missing()
    assert gaps == {}, "untranslated (run `python -m patron.core.catalogs update` and translate): " + repr(gaps)


def test_translations_keep_their_placeholders_and_markup():
    for language in catalogs.LANGUAGES:
        for message in catalogs.load(language):
            if not message.id:
                continue
            original = message.id[0] if message.pluralizable else message.id
            forms = message.string if message.pluralizable else (message.string,)
            for pattern in (r"%\(\w+\)s", r"</?code>"):
                for form in forms:
                    assert sorted(re.findall(pattern, original)) == sorted(re.findall(pattern, form)), (language, message.id)


@pytest.mark.parametrize("language, counted", [
    ("en", ["0 clicks", "1 click", "5 clicks", "21 clicks"]), ("lt", ["0 paspaudimų", "1 paspaudimas", "5 paspaudimai", "21 paspaudimas"]),
    ("lv", ["0 klikšķu", "1 klikšķis", "5 klikšķi", "21 klikšķis"]), ("et", ["0 klõpsu", "1 klõps", "5 klõpsu", "21 klõpsu"]),
    ("ka", ["0 დაწკაპუნება", "1 დაწკაპუნება", "5 დაწკაპუნება", "21 დაწკაპუნება"])])
def test_a_count_takes_every_plural_form_of_the_language(language, counted):
    from django.template import Context, Template

    page = Template("{% load i18n %}{% blocktranslate count n=n %}{{ n }} click{% plural %}{{ n }} clicks{% endblocktranslate %}")
    with translation.override(language):
        assert [page.render(Context({"n": n})) for n in (0, 1, 5, 21)] == counted
    entry = catalogs.load(language).get("%(n)s click")
    assert entry.pluralizable and len(entry.string) == catalogs.load(language).num_plurals


def test_the_compiled_catalogs_match_their_sources():
    for language in catalogs.LANGUAGES:
        def plain(value):
            return tuple(value) if isinstance(value, (list, tuple)) else value

        source = {plain(m.id): plain(m.string) for m in catalogs.load(language) if m.id}
        with catalogs.po_path(language).with_suffix(".mo").open("rb") as handle:
            compiled = {plain(m.id): plain(m.string) for m in read_mo(handle) if m.id}
        assert compiled == source, f"{language}: the .mo is stale; run make install"


@pytest.mark.parametrize("language, overview, customers", [
    ("en", "Overview", "Customers"), ("lt", "Apžvalga", "Klientai"), ("lv", "Pārskats", "Klienti"),
    ("et", "Ülevaade", "Kliendid"), ("ka", "მიმოხილვა", "მომხმარებლები")])
def test_django_reads_the_catalogs(language, overview, customers):
    with translation.override(language):
        assert translation.gettext("Overview") == overview
        assert translation.gettext("Customers") == customers


@pytest.mark.django_db
def test_a_page_renders_in_the_staff_members_language(staff):
    client = staff("marketer")
    client.post(reverse("dashboard:language"), {"language": "lv"})
    html = client.get(reverse("dashboard:overview")).content.decode()
    assert '<html lang="lv">' in html and "Pārskats" in html and "Overview" not in html
