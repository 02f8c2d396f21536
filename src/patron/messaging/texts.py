"""The message designer's service: every message's text in every language (the staff edit, else the built-in
text), what each language lacks, saving and resetting one language, and a preview of a draft as a chosen
customer would get it."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template import TemplateSyntaxError

from patron.core import audit
from patron.core.errors import InvalidInput, NotFound
from patron.customers.models import Customer
from patron.messaging import content
from patron.messaging.models import ChannelKind, Message, MessageTemplate
from patron.messaging.render import Rendered, render, sample

FIELDS = ("subject", "preheader", "text", "sms")
LIMITS = {"subject": 200, "preheader": 200, "text": 20_000, "sms": 480}
KEY = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
PLACEHOLDER = re.compile(r"{{\s*([a-z_][a-z0-9_]*)")
# Names that stand for one another: a greeting may use the name as it is or in the vocative.
SAME = {"first_name_vocative": "first_name"}


# GSM 03.38: the characters an SMS carries 160 to a part (the extension's count twice); any other character (ė, ā,
# Georgian) makes the whole message UCS-2, 70 to a part. A long message is sent in parts of 153 or 67.
GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
          "¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = set("^{}\\[~]|€\f")


def sms_parts(text: str) -> tuple[int, int, bool]:
    """(characters, parts, unicode) of an SMS as a gateway sends it."""
    if not text:
        return 0, 0, False
    if all(c in GSM or c in GSM_EXTENSION for c in text):
        length = sum(2 if c in GSM_EXTENSION else 1 for c in text)
        return length, 1 if length <= 160 else -(-length // 153), False
    length = len(text.encode("utf-16-le")) // 2
    return length, 1 if length <= 70 else -(-length // 67), True


@dataclass
class Version:
    language: str
    subject: str
    preheader: str
    text: str
    sms: str
    source: str  # "edited", "builtin", or "missing" (the customer gets the fallback language)
    builtin: dict  # the built-in text of this language, for "reset"; {} when there is none


def keys() -> list[str]:
    custom = MessageTemplate.objects.order_by().values_list("key", flat=True).distinct()
    return sorted(set(content.builtin_keys()) | set(custom))


def languages() -> list[str]:
    return list(dict.fromkeys([*content.LANGUAGES, content.primary(settings.PATRON_DEFAULT_LANGUAGE)]))


def _exists(key: str) -> None:
    if not content.builtin(key) and not MessageTemplate.objects.filter(key=key).exists():
        raise NotFound(f"no message {key!r}")


def versions(key: str) -> dict[str, Version]:
    """Each language's text of the message: the staff edit, the built-in text, or nothing yet."""
    _exists(key)
    edits = {t.language: t for t in MessageTemplate.objects.filter(key=key)}
    shipped = content.builtin(key)
    found = {}
    for language in dict.fromkeys([*languages(), *edits]):
        table = shipped.get(language) or {}
        builtin = {name: table.get(name, "") for name in FIELDS} if table else {}
        if language in edits:
            edit = edits[language]
            found[language] = Version(language, edit.subject, edit.preheader, edit.text, edit.sms, "edited", builtin)
        elif builtin:
            found[language] = Version(language, **builtin, source="builtin", builtin=builtin)
        else:
            found[language] = Version(language, "", "", "", "", "missing", {})
    return found


def placeholders(text: str) -> set[str]:
    return {SAME.get(name, name) for name in PLACEHOLDER.findall(text or "")}


def warnings(key: str, found: dict[str, Version] | None = None) -> list[tuple[str, str, str]]:
    """(language, problem, detail): a language with no text (its customers get another language), and a
    placeholder that the other languages use and this one lacks (a coupon code left out of a translation)."""
    found = found or versions(key)
    written = {lang: v for lang, v in found.items() if v.source != "missing"}
    problems = [(lang, "missing", "") for lang, v in found.items() if v.source == "missing"]
    used = {lang: placeholders(v.subject + " " + v.preheader + " " + v.text) for lang, v in written.items()}
    everywhere = set.union(*used.values()) if used else set()
    for lang, names in used.items():
        # A placeholder most languages use and this one lacks (a coupon code left out of a translation).
        others = [n for other, n in used.items() if other != lang]
        for name in sorted(everywhere - names):
            if others and sum(name in n for n in others) * 2 > len(others):
                problems.append((lang, "placeholder", name))
    return problems


def _check(key: str, language: str, values: dict) -> dict:
    if not KEY.match(key or ""):
        raise InvalidInput(f"a message's name is 2 to 60 small letters, digits or _, starting with a letter: {key!r}",
                           field="key")
    if language not in languages():
        raise InvalidInput(f"unknown language {language!r}; known: {', '.join(languages())}", field="language")
    cleaned = {}
    for name in FIELDS:
        value = (values.get(name) or "").replace("\r\n", "\n").strip()
        if len(value) > LIMITS[name]:
            raise InvalidInput(f"{name}: at most {LIMITS[name]} characters, not {len(value)}", field=name)
        try:
            content.compiled(value)
        except TemplateSyntaxError as exc:
            raise InvalidInput(f"{name}: not a valid template: {exc}", field=name) from None
        cleaned[name] = value
    if not cleaned["text"]:
        raise InvalidInput("the text of the message is empty", field="text")
    return cleaned


@transaction.atomic
def save(key: str, language: str, values: dict, *, actor=None) -> MessageTemplate:
    """Keep a staff edit of one language of the message (a new message when `key` is new); other languages
    keep theirs, or the built-in text."""
    cleaned = _check(key, language, values)
    edit, created = MessageTemplate.objects.update_or_create(key=key, language=language, defaults=cleaned)
    audit.record(actor, audit.MESSAGE_CHANGED, f"message:{key}", language=language, new=created,
                 **{name: cleaned[name] for name in FIELDS})
    return edit


@transaction.atomic
def reset(key: str, language: str, *, actor=None) -> bool:
    """Drop the staff edit of one language: the built-in text (or the fallback language) is used again."""
    _exists(key)
    removed, _ = MessageTemplate.objects.filter(key=key, language=language).delete()
    if removed:
        audit.record(actor, audit.MESSAGE_RESET, f"message:{key}", language=language)
    return bool(removed)


def preview(key: str, language: str, values: dict | None = None, customer: Customer | None = None) -> Rendered:
    """The message in `language` as `customer` would get it (their name; sample values where a journey gives its
    own), from the draft `values` when given, else the saved text."""
    edits = {}
    if values is not None:
        cleaned = _check(key, language, values)
        edits[(key, language)] = content.Text(key, language, cleaned["subject"], cleaned["text"], cleaned["sms"],
                                              cleaned["preheader"])
    else:
        _exists(key)
    for edit in MessageTemplate.objects.filter(key=key):
        edits.setdefault((key, edit.language), content.Text(key, edit.language, edit.subject, edit.text, edit.sms,
                                                            edit.preheader))
    person = customer or Customer(first_name="Ieva")
    stand_in = Customer(pk=0, external_id=person.external_id or "preview", first_name=person.first_name,
                        last_name=person.last_name, language=language, country=person.country, timezone=person.timezone)
    message = Message(pk=0, template=key, channel=ChannelKind.EMAIL, purpose=content.purpose_of(key), context=sample(key))
    rendered = render(message, stand_in, edits)
    if rendered is None:
        raise InvalidInput(f"the message {key!r} has no text in any language yet", field="text")
    return rendered
