"""Message texts: a staff edit (MessageTemplate) first, else the built-in text shipped in content/*.toml."""

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template import engines

from patron.culture.grammar import address_form, primary

CONTENT = Path(__file__).parent / "content"
LANGUAGES = ("en", "lt", "lv", "et", "ka")


@dataclass(frozen=True)
class Text:
    key: str
    language: str
    subject: str
    text: str
    sms: str = ""
    preheader: str = ""


@functools.cache
def builtin(key: str) -> dict:
    path = CONTENT / f"{key}.toml"
    if not key.replace("_", "").isalnum() or not path.exists():
        return {}
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def builtin_keys() -> list[str]:
    return sorted(p.stem for p in CONTENT.glob("*.toml") if not p.stem.startswith("_"))


def has_sms(key: str) -> bool:
    """Whether any language of the message has an SMS text (built in or written by staff)."""
    from patron.messaging.models import MessageTemplate

    shipped = builtin(key)
    return any(isinstance(t, dict) and t.get("sms") for t in shipped.values()) or \
        MessageTemplate.objects.filter(key=key).exclude(sms="").exists()


def purpose_of(key: str) -> str:
    return builtin(key).get("purpose", "marketing")


def made_for_holidays(key: str) -> bool:
    """A greeting meant for the day itself (a holiday, a name day): not held back by the holiday pause."""
    return bool(builtin(key).get("holiday_ok"))


def choose(key: str, language: str, edits: dict[tuple[str, str], Text] | None = None) -> Text | None:
    """The text of `key` in the customer's language, else the shop's default language, else English."""
    from patron.messaging.models import MessageTemplate

    for lang in dict.fromkeys([primary(language), primary(settings.PATRON_DEFAULT_LANGUAGE), "en"]):
        if not lang:
            continue
        if edits is not None:
            found = edits.get((key, lang))
        else:
            row = MessageTemplate.objects.filter(key=key, language=lang).first()
            found = row and Text(key, lang, row.subject, row.text, row.sms, row.preheader)
        if found:
            return found
        table = builtin(key).get(lang)
        if table:
            # A text may have an informal version ([lt.informal]) for shops that address customers so.
            if address_form(lang, settings.PATRON_ADDRESS_FORMS) == "informal" and isinstance(table.get("informal"), dict):
                table = {**table, **table["informal"]}
            return Text(key, lang, table.get("subject", ""), table["text"], table.get("sms", ""), table.get("preheader", ""))
    return None


def page_strings(language: str) -> dict[str, str]:
    pages = builtin("_pages")
    return pages.get(primary(language)) or pages.get(primary(settings.PATRON_DEFAULT_LANGUAGE)) or pages["en"]


def page_language(language: str) -> str:
    pages = builtin("_pages")
    for lang in (primary(language), primary(settings.PATRON_DEFAULT_LANGUAGE), "en"):
        if lang in pages:
            return lang
    return "en"


@functools.lru_cache(maxsize=512)
def compiled(source: str, autoescape: bool = False):
    """A Django template from text, compiled once per process (texts are few; customers are many)."""
    body = source if autoescape else "{% autoescape off %}" + source + "{% endautoescape %}"
    return engines["django"].from_string(body)


def fill(source: str, context: dict) -> str:
    return compiled(source).render(context).strip()
