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
            for pattern in (r"%\(\w+\)s", r"</?code>"):
                assert sorted(re.findall(pattern, message.id)) == sorted(re.findall(pattern, message.string)), (language, message.id)


def test_the_compiled_catalogs_match_their_sources():
    for language in catalogs.LANGUAGES:
        source = {m.id: m.string for m in catalogs.load(language) if m.id}
        with catalogs.po_path(language).with_suffix(".mo").open("rb") as handle:
            compiled = {m.id: m.string for m in read_mo(handle) if m.id}
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
