"""A queued message made ready to send: its language, text and HTML, its links and headers."""

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent
from django.conf import settings
from django.core import signing
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.html import urlize
from django.utils.safestring import mark_safe
from mjml import mjml2html

from patron.culture.grammar import address_form, vocative
from patron.customers.models import Customer
from patron.feedback import tokens as survey_tokens
from patron.feedback.models import CSAT_SCALE, NPS_SCALE
from patron.loyalty.models import PaidPlan, Reward, Tier
from patron.messaging import brand, content, products
from patron.messaging.models import Message, Purpose

LINK_SALT = "patron.messaging.link"
# Where CLDR's long date is in the nominative but the texts need it after a preposition
# ("līdz ...", "...-მდე"), the numeric form reads naturally instead.
DATE_PATTERNS = {"lv": "dd.MM.yyyy.", "ka": "dd.MM.yyyy"}


@dataclass
class Rendered:
    language: str
    subject: str
    text: str
    html: str
    sms: str
    headers: dict[str, str]


def customer_zone(customer: Customer) -> zoneinfo.ZoneInfo:
    """The customer's time zone; else their country's main one; else the shop's default."""
    for name in (customer.timezone, _country_zone(customer.country), settings.PATRON_DEFAULT_TIMEZONE):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def _country_zone(country: str) -> str:
    zones = get_global("territory_zones").get((country or "").upper())
    return zones[0] if zones else ""


def link_token(customer_id: int, channel: str) -> str:
    return signing.dumps({"c": customer_id, "ch": channel}, salt=LINK_SALT, compress=True)


def read_token(token: str) -> tuple[int, str]:
    """(customer id, channel) of a link; raises signing.BadSignature when it was not made here."""
    data = signing.loads(token, salt=LINK_SALT)
    return int(data["c"]), str(data["ch"])


def unsubscribe_url(customer_id: int, channel: str) -> str:
    return settings.PATRON_BASE_URL + reverse("messaging:unsubscribe", args=[link_token(customer_id, channel)])


def preferences_url(customer_id: int, channel: str = "email") -> str:
    return settings.PATRON_BASE_URL + reverse("messaging:preferences", args=[link_token(customer_id, channel)])


def message_id(message: Message) -> str:
    """The same for every attempt at one message, so that a resend is recognised as one."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "localhost"
    tag = salted_hmac("patron.messaging.message-id", str(message.pk), algorithm="sha256").hexdigest()[:12]
    return f"<patron.{message.pk}.{tag}@{domain}>"


def message_pk(header: str) -> int | None:
    """The message a Message-ID of ours names (its tag checked), or None for any other."""
    parts = (header or "").strip().strip("<>").partition("@")[0].split(".")
    if len(parts) != 3 or parts[0] != "patron" or not parts[1].isdigit():
        return None
    tag = salted_hmac("patron.messaging.message-id", parts[1], algorithm="sha256").hexdigest()[:12]
    return int(parts[1]) if constant_time_compare(tag, parts[2]) else None


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language or "en")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def localize(values: dict, locale: Locale) -> dict:
    """The context's dates, money, numbers and lists written as the customer's locale writes them."""
    out = {}
    for name, value in values.items():
        if name in ("points",) and isinstance(value, int):
            out[name] = format_decimal(value, locale=locale)
        elif name in ("expires_on", "valid_until", "renews_on") and value:
            out[name] = format_date(dt.date.fromisoformat(str(value)[:10]), format=DATE_PATTERNS.get(locale.language, "long"),
                                    locale=locale)
        elif name in ("order_total", "fee") and isinstance(value, dict):
            out[name] = format_currency(Decimal(value["amount"]), value["currency"], locale=locale)
        elif name == "discount" and isinstance(value, dict):
            out[name] = _discount(value, locale)
        elif name == "offers" and isinstance(value, list):
            out[name] = format_list([str(v) for v in value], locale=locale) if value else ""
        elif name == "items" and isinstance(value, list):
            out[name] = [_item(v, values.get("currency"), locale) for v in value if isinstance(v, dict)]
        else:
            out[name] = value
    return out


def _item(item: dict, currency: str | None, locale: Locale) -> dict:
    """A cart's or a viewed product's line, with `line` as the message writes it: "Black tea × 2, €10.00"."""
    line = str(item.get("name") or item.get("sku") or "")
    if (item.get("quantity") or 1) > 1:
        line += f" × {item['quantity']}"
    try:
        price = format_currency(Decimal(str(item["price"])), currency or settings.PATRON_DEFAULT_CURRENCY, locale=locale)
    except (InvalidOperation, KeyError, ValueError):
        price = ""
    return {**item, "line": f"{line}, {price}" if price else line, "price_text": price}


def _discount(value: dict, locale: Locale) -> str:
    try:
        amount = Decimal(str(value["value"]))
    except (InvalidOperation, KeyError):
        return ""
    if value.get("kind") == "percent":
        return format_percent(amount / 100, locale=locale)
    return format_currency(amount, value.get("currency") or settings.PATRON_DEFAULT_CURRENCY, locale=locale)


def _paragraph(text: str) -> str:
    """One paragraph as HTML: escaped, line breaks kept, addresses made links (only where there are any:
    finding them is the slowest part of writing an email)."""
    if "://" in text or "www." in text or "@" in text:
        return linebreaksbr(mark_safe(urlize(text, nofollow=True, autoescape=True)), autoescape=True)  # noqa: S308 - escaped by urlize
    return linebreaksbr(text, autoescape=True)


@functools.lru_cache(maxsize=64)
def email_strings(language: str, shop: str) -> dict[str, str]:
    """The footer and link labels of an email: the same for every message in one language."""
    return {name: content.fill(s, {"shop": shop, "channel": ""}) for name, s in content.page_strings(language).items()}


def render(message: Message, customer: Customer, edits=None) -> Rendered | None:
    """None when there is no text for the message's template in any language."""
    text = content.choose(message.template, customer.language, edits)
    if text is None:
        return None
    locale = _locale(text.language)
    context = _context(message, customer, text.language, locale)
    survey = _survey(message, customer, text.language)
    if survey:
        context["survey_url"] = survey["url"]
    subject = " ".join(content.fill(text.subject, context).split())
    body = content.fill(text.text, context)
    sms = content.fill(text.sms, context) if text.sms else ""
    marketing = message.purpose == Purpose.MARKETING
    strings = email_strings(text.language, settings.PATRON_SHOP_NAME)
    links = {"preferences_url": preferences_url(customer.pk)}
    headers = {"Content-Language": text.language}
    if marketing:
        links["unsubscribe_url"] = unsubscribe_url(customer.pk, message.channel)
        headers["List-Unsubscribe"] = f"<{links['unsubscribe_url']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    look = brand.current()
    # A ticket's reply names its own Reply-To (the desk's address with the ticket's secret).
    reply_to = (message.context or {}).get("reply_to") or look["reply_to"]
    if reply_to:
        headers["Reply-To"] = reply_to
    footer = strings["footer_marketing" if marketing else "footer_transactional"]
    recommended, products_text = _recommended(message, customer, strings, locale)
    text_body = "\n\n".join(p[2:].strip() if p.startswith("# ") else p for p in body.split("\n\n")) + products_text + "\n\n-- \n" + footer + "\n" + \
        (look["shop_address"] + "\n" if look["shop_address"] else "") + \
        "\n".join(f"{strings[name[:-4]]}: {url}" for name, url in links.items())
    blocks = [(p.strip()[2:].strip(), True) if p.strip().startswith("# ") else (p.strip(), False)
              for p in body.split("\n\n") if p.strip()]  # a paragraph opening with "# " is a heading
    paragraphs = [p for p, heading in blocks if not heading]
    preheader = " ".join(content.fill(text.preheader, context).split()) if text.preheader else _preheader(paragraphs)
    mjml = render_to_string("messaging/email.mjml", {
        "lang": text.language, "subject": subject, "preheader": preheader,
        "blocks": [(_paragraph(p), heading) for p, heading in blocks], "footer": footer, "strings": strings, "survey": survey,
        "shop": settings.PATRON_SHOP_NAME, "brand": _brand(look), "coupon": _coupon(context, text.language),
        "button": None if survey else _button(context, strings, marketing, look["shop_url"]), "recommended": recommended, **links,
    })
    return Rendered(text.language, subject, text_body, mjml2html(mjml), sms, headers)


def _context(message: Message, customer: Customer, language: str, locale: Locale) -> dict:
    """What a text's placeholders are filled with: the shop, the customer's name and the message's own values."""
    return {"shop": settings.PATRON_SHOP_NAME, "first_name": customer.first_name,
            # The name as a greeting addresses it (Jonai, Jāni), and the form of address the text should take.
            "first_name_vocative": vocative(customer.first_name, language),
            "formal": address_form(language, settings.PATRON_ADDRESS_FORMS) == "formal",
            **localize(message.context or {}, locale), **_names(message.context or {}, language)}


NAMED = {"tier": Tier, "plan": PaidPlan, "reward": Reward}


def _names(context: dict, language: str) -> dict:
    """A tier, plan or reward the message names (by the shop's own name), in the customer's language."""
    found = {}
    for key, model in NAMED.items():
        name = context.get(key)
        if isinstance(name, str) and name:
            names = model.objects.filter(name=name).values_list("names", flat=True).first()
            found[key] = (names or {}).get(language) or name
    return found


def _recommended(message: Message, customer: Customer, strings: dict, locale: Locale) -> tuple[dict | None, str]:
    """The product block (for a send step that asks for it) and its lines in the plain-text part."""
    if not (message.context or {}).get("products"):
        return None, ""
    found = products.recommended(customer.pk or None, (message.context or {}).get("offers"), locale)
    if not found:
        return None, ""
    heading = strings["products_heading"]
    if found.get("products"):
        lines = [f"- {p['name']}{', ' + p['price'] if p['price'] else ''}: {p['url']}" for p in found["products"]]
        return found, "\n\n" + heading + ":\n" + "\n".join(lines)
    names = format_list(found["categories"], locale=locale)
    return {"categories": names}, f"\n\n{heading}: {names}"


def _brand(look: dict) -> dict:
    """The shop's look in its emails (the Brand page's, else the settings')."""
    return {"logo": look["logo_url"], "accent": look["colour"], "background": look["background"], "font": look["fonts"],
            "text": "#1f2328", "address": look["shop_address"], "shop_url": look["shop_url"]}


PREHEADER = 110  # characters of the text a mail client shows beside the subject


def _preheader(paragraphs: list[str]) -> str:
    """What the inbox shows after the subject: the message's opening after its greeting."""
    rest = paragraphs[1:] or paragraphs
    words = " ".join(" ".join(rest).split())
    return words if len(words) <= PREHEADER else words[:PREHEADER].rsplit(" ", 1)[0] + "…"


def _coupon(context: dict, language: str) -> dict | None:
    """The coupon block: the code large, its value and until when it holds."""
    code = context.get("coupon")
    if not code:
        return None
    until = context.get("valid_until")
    return {"code": code, "value": context.get("discount") or "",
            "until": content.fill(content.page_strings(language)["coupon_until"], {"date": until}) if until else ""}


def _button(context: dict, strings: dict, marketing: bool, shop_url: str) -> dict | None:
    """One button: back to the cart, signing in, or (for an offer) to the shop."""
    if context.get("checkout_url"):
        return {"url": context["checkout_url"], "label": strings["button_cart"]}
    if context.get("sign_in_url"):
        return {"url": context["sign_in_url"], "label": strings["button_sign_in"]}
    if marketing and shop_url:
        return {"url": shop_url, "label": strings["button_shop"]}
    return None


def _survey(message: Message, customer: Customer, language: str) -> dict | None:
    """A survey template's links: the page, and one link per score for the one-click scale in the email."""
    kind = content.builtin(message.template).get("survey")
    if kind not in ("nps", "csat"):
        return None
    ref = survey_tokens.message_ref(message.pk)
    address = survey_tokens.url(customer.pk, kind, ref)
    low, high = NPS_SCALE if kind == "nps" else CSAT_SCALE
    strings = content.page_strings(language)
    return {"url": address, "scores": [(n, f"{address}?score={n}") for n in range(low, high + 1)],
            "low": strings[f"survey_{kind}_low"], "high": strings[f"survey_{kind}_high"]}


SAMPLE = {"tier": "Gold", "points": 1500, "expires_on": "2026-07-10", "coupon": "ABCD-EFGH-JKLM-NPQR",
          "discount": {"kind": "percent", "value": "15"}, "valid_until": "2026-07-10", "idea": "Gift wrapping",
          "order_total": {"amount": "1234.50", "currency": "EUR"}, "offers": ["Green tea", "Honey"],
          "items": [{"sku": "TEA-1", "name": "Green tea", "quantity": 2, "price": "6.50", "url": "https://shop.example/green-tea"}],
          "checkout_url": "https://shop.example/checkout/recover", "currency": "EUR",
          "plan": "Plus", "renews_on": "2026-07-10", "fee": {"amount": "49.00", "currency": "EUR"},
          "sign_in_url": "https://shop.example/portal/in/sample", "minutes": 15, "holiday": "Midsummer Day"}


# Sample links that decide the email's button: given only to the messages whose texts speak of them (the cart of
# an abandoned checkout, a sign-in link), so a preview shows the button the customer would get.
LINK_SAMPLES = ("checkout_url", "sign_in_url")


def sample(key: str) -> dict:
    """The sample values a staff preview or test of `key` fills its placeholders with."""
    shipped = repr(content.builtin(key))
    return {name: value for name, value in SAMPLE.items() if name not in LINK_SAMPLES or name in shipped}


def preview_subject(key: str, language: str) -> str:
    """A message's subject as a customer speaking `language` would read it, with sample values: how staff know a
    message in a list, without laying the whole email out."""
    text = content.choose(key, language)
    if text is None:
        return ""
    customer = Customer(pk=0, external_id="preview", first_name="Ieva", language=language)
    message = Message(pk=0, template=key, channel="email", purpose=content.purpose_of(key), context=sample(key))
    return " ".join(content.fill(text.subject, _context(message, customer, text.language, _locale(text.language))).split())


def preview(key: str, language: str, edits=None) -> Rendered | None:
    """A message as a customer speaking `language` would get it, with sample values (for staff)."""
    customer = Customer(pk=0, external_id="preview", first_name="Ieva", language=language)
    message = Message(pk=0, template=key, channel="email", purpose=content.purpose_of(key), context=sample(key))
    return render(message, customer, edits)
