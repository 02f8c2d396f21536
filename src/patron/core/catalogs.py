"""The dashboard's gettext catalogs, kept with Babel alone (no GNU gettext needed):

    python -m patron.core.catalogs update    # add new strings to every catalog, drop obsolete ones
    python -m patron.core.catalogs compile   # .po -> .mo (`make install` runs this)
    python -m patron.core.catalogs check     # exit 1 naming every string a catalog lacks

Strings are found in the Python and template sources of SOURCES: templates go through Django's own
templatize() (what makemessages does) and then Babel's Python extractor.
"""

import io
import os
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(__file__).resolve().parent.parent
LOCALE = PACKAGE / "locale"
SOURCES = [PACKAGE / name for name in ("dashboard", "portal", "connectors", "loyalty", "api", "campaigns", "commerce", "core", "customers",
                                        "feedback", "insights", "messaging", "ops", "segments", "service")]
LANGUAGES = ("en", "lt", "lv", "et", "ka")
KEYWORDS = {"_": None, "gettext": None, "gettext_lazy": None, "ngettext": (1, 2), "ngettext_lazy": (1, 2),
            "pgettext": ((1, "c"), 2), "pgettext_lazy": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}


def messages() -> dict[str, list[str]]:
    """Every translatable string in SOURCES, with the files it appears in (`plurals()` names the plural forms of
    those that count something)."""
    return _extract()[0]


def plurals() -> dict[str, str]:
    """The English plural of each string that has one ({% blocktranslate count %}, ngettext), by its singular."""
    return _extract()[1]


def _extract() -> tuple[dict[str, list[str]], dict[str, str]]:
    from django.utils.translation.template import templatize

    found: dict[str, list[str]] = {}
    plural: dict[str, str] = {}
    for root in SOURCES:
        for path in sorted(root.rglob("*")):
            if path.suffix == ".py":
                code = path.read_bytes()
            elif path.suffix == ".html":
                code = templatize(path.read_text(encoding="utf-8"), origin=str(path)).encode()
            else:
                continue
            for _line, message, _comments, context in extract("python", io.BytesIO(code), keywords=KEYWORDS):
                key = message if isinstance(message, str) else message[0]
                if context:
                    key = f"{context}\x04{key}"
                found.setdefault(key, []).append(str(path.relative_to(PACKAGE)))
                if not isinstance(message, str) and len(message) > 1 and message[1]:
                    plural[key] = message[1]
    return found, plural


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def load(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, domain="django", project="Patron")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def update() -> None:
    found, plural = _extract()
    for language in LANGUAGES:
        old = load(language)
        new = Catalog(locale=language, domain="django", project="Patron", fuzzy=False)
        for msgid, places in sorted(found.items()):
            existing = old.get(msgid)
            if msgid in plural:  # every plural form of the language, the English ones as written
                forms = tuple(existing.string) if existing is not None and isinstance(existing.string, (tuple, list)) else ()
                if len(forms) != new.num_plurals:
                    forms = (msgid, plural[msgid]) if language == "en" else ("",) * new.num_plurals
                new.add((msgid, plural[msgid]), forms, locations=[(place, None) for place in sorted(set(places))])
                continue
            text = existing.string if existing is not None and existing.string else (msgid if language == "en" else "")
            new.add(msgid, text, locations=[(place, None) for place in sorted(set(places))])
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, new, width=120, omit_header=False, include_lineno=False)


def compile_all() -> None:
    for language in LANGUAGES:
        catalog = load(language)
        with po_path(language).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


def missing() -> dict[str, list[str]]:
    """Per language, the strings in the sources its catalog does not translate (absent, empty or fuzzy)."""
    found = messages()
    gaps = {}
    for language in LANGUAGES:
        catalog = load(language)
        lacking = [m for m in found if (entry := catalog.get(m)) is None or not entry.string or entry.fuzzy
                   or (isinstance(entry.string, tuple) and not all(entry.string))]
        if lacking:
            gaps[language] = sorted(lacking)
    return gaps


def main(argv: list[str]) -> int:
    import django

    if not argv or argv[0] not in ("update", "compile", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "compile":  # compiling needs no Django: it runs at install
        compile_all()
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    django.setup()
    if argv[0] == "update":
        update()
        return 0
    gaps = missing()
    for language, lacking in gaps.items():
        print(f"{language}: {len(lacking)} untranslated: " + "; ".join(repr(m) for m in lacking[:20]), file=sys.stderr)
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
