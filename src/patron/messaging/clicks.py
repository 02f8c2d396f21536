"""Clicks: every link of a message that leads to the shop goes through a short, signed address on Patron
(/r/<token>), which records the click (once per message and link, with a count) and sends the customer on.

The token names the message and the link's place in it, and carries a signature: the address the customer is sent
to is read from the message as it was sent, never from the token, so /r/ cannot send anyone anywhere else (no open
redirect), and a token changed by one character is refused. Links to Patron itself (unsubscribe, preferences,
surveys, the portal) are left as they are.

Opens are counted only where the shop switches it on (PATRON_TRACK_OPENS): a 1x1 image at /o/<token>.gif, signed
like a click's token, records when the email was first loaded and how often. It is off by default because it says
little and costs trust: Apple Mail loads every image when the mail arrives (so the open is the phone's, not the
reader's), Gmail loads them through its proxy once, clients that block images never count, and in the EU reading
from the reader's device that way needs their consent (ePrivacy Directive, article 5(3)), which is the shop's to
judge. Clicks and the held-out uplift do not have these faults.
"""

from __future__ import annotations

import base64
import re
from dataclasses import replace

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from patron.messaging.models import Click, Message
from patron.messaging.render import Rendered

SALT = "patron.messaging.click"
OPEN = 0xFFFF  # the place an open takes in a token: never a link's
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # a transparent 1x1 GIF
HREF = re.compile(r'href="(https?://[^"]+)"')
URL = re.compile(r"https?://[^\s<>\"')]+")


def _mac(message_pk: int, link: int) -> str:
    digest = salted_hmac(SALT, f"{message_pk}.{link}", algorithm="sha256").digest()[:9]
    return base64.urlsafe_b64encode(digest).decode()


def token(message_pk: int, link: int) -> str:
    return f"{message_pk:x}-{link:x}-{_mac(message_pk, link)}"


def read(value: str) -> tuple[int, int] | None:
    """(message id, link place) of a genuine token, else None."""
    parts = (value or "").split("-", 2)
    if len(parts) != 3:
        return None
    try:
        message_pk, link = int(parts[0], 16), int(parts[1], 16)
    except ValueError:
        return None
    return (message_pk, link) if constant_time_compare(_mac(message_pk, link), parts[2]) else None


def _ours(url: str) -> bool:
    return url.startswith(settings.PATRON_BASE_URL + "/") or url == settings.PATRON_BASE_URL


def track(message: Message, rendered: Rendered) -> tuple[Rendered, list[str]]:
    """The rendered message with its shop links through /r/, and those links in order (kept on the message)."""
    links: list[str] = []

    def place(url: str) -> str:
        url = url.replace("&amp;", "&")
        if url not in links:
            links.append(url)
        return f"{settings.PATRON_BASE_URL}/r/{token(message.pk, links.index(url))}"

    def in_html(found: re.Match) -> str:
        url = found.group(1)
        return found.group(0) if _ours(url.replace("&amp;", "&")) else f'href="{place(url)}"'

    def in_text(found: re.Match) -> str:
        url = found.group(0)
        trail = len(url) - len(url.rstrip(".,;:!?"))  # a sentence's full stop is not part of the address
        url, after = (url[:-trail], url[-trail:]) if trail else (url, "")
        return url + after if _ours(url) else place(url) + after

    html = HREF.sub(in_html, rendered.html)
    if settings.PATRON_TRACK_OPENS and html:
        image = (f'<img src="{settings.PATRON_BASE_URL}/o/{token(message.pk, OPEN)}.gif" width="1" height="1" alt="" '
                 'style="display:block;border:0;width:1px;height:1px">')
        html = html.replace("</body>", image + "</body>", 1) if "</body>" in html else html + image
    text = URL.sub(in_text, rendered.text)
    sms = URL.sub(in_text, rendered.sms) if rendered.sms else rendered.sms
    return replace(rendered, html=html, text=text, sms=sms), links


def opened(value: str, *, at=None) -> bool:
    """Record the open a pixel's token names: the first time, and a count after; False for a token not genuine."""
    found = read(value)
    if found is None or found[1] != OPEN:
        return False
    at = at or timezone.now()
    Message.objects.filter(pk=found[0], opened_at__isnull=True).update(opened_at=at)
    return bool(Message.objects.filter(pk=found[0]).update(opens=F("opens") + 1))


def follow(value: str, *, at=None) -> str | None:
    """Record the click of a token and give the address it leads to; None for a token that is not genuine or names
    no link. The first click of a message's link is recorded once; later ones count."""
    found = read(value)
    if found is None:
        return None
    message_pk, link = found
    if link == OPEN:
        return None
    links = Message.objects.filter(pk=message_pk).values_list("links", flat=True).first()
    if not links or link >= len(links):
        return None
    at = at or timezone.now()
    if not Click.objects.filter(message_id=message_pk, link=link).update(count=F("count") + 1):
        try:
            with transaction.atomic():
                Click.objects.create(message_id=message_pk, link=link, first_at=at)
        except IntegrityError:  # clicked twice at once: the other request recorded it
            Click.objects.filter(message_id=message_pk, link=link).update(count=F("count") + 1)
    return links[link]
