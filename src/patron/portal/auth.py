"""Signing customers in to the portal, and keeping them signed in.

Two ways in, neither with a password:
- a link by email: a random token, single use, valid PATRON_PORTAL_LINK_MINUTES; only its SHA-256 is
  stored. Opening the link shows a button; the POST behind it signs in, so a mail scanner that
  fetches links does not spend it. Requests are rate-limited per address and per client, and an
  address nobody has gets the same answer as a known one.
- a shop's token: the shop, where the customer is already signed in, links to
  /portal/shop/?customer=<external id>&expires=<unix time>&signature=<hex HMAC-SHA256 of
  "<external id>:<expires>" under PATRON_PORTAL_SHOP_SECRET>; it may live at most an hour and
  signs in once.

The session holds the customer's id and the time of their last request; every portal query is
scoped to that customer (PortalSession.customer), never to an id taken from the URL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from patron.core import sql
from patron.core.errors import InvalidInput, InvalidLink, PatronError
from patron.customers import shop_tokens
from patron.customers.models import Customer
from patron.messaging import services as messaging
from patron.messaging.delivery import deliver_soon
from patron.portal.models import SignInRequest, SignInToken

SESSION_CUSTOMER = "portal_customer"
SESSION_SEEN = "portal_seen"
SHOP_TOKEN_MAX_SECONDS = shop_tokens.MAX_SECONDS


class TooManyRequests(PatronError):
    code = "too_many_requests"
    status = 429


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def normalise_email(value: str) -> str:
    value = (value or "").strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or len(value) > 254 or any(c.isspace() for c in value):
        raise InvalidInput("enter an email address, e.g. name@example.com", field="email")
    return value


def _limit(keys_and_limits: list[tuple[str, int]], now: dt.datetime) -> None:
    """Count and record one request per key, atomically: concurrent requests queue on the keys' locks,
    so twenty at once still get exactly the limit."""
    hour_ago = now - dt.timedelta(hours=1)
    sql.lock(*(f"portal.sign_in:{key}" for key, _ in keys_and_limits))
    for key, most in keys_and_limits:
        if SignInRequest.objects.filter(key=key, at__gt=hour_ago).count() >= most:
            raise TooManyRequests("too many sign-in links asked for; try again in an hour")
    SignInRequest.objects.bulk_create([SignInRequest(key=key, at=now) for key, _ in keys_and_limits])


def sign_in_link(customer: Customer, *, now: dt.datetime | None = None) -> str:
    """A one-use link that signs the customer in to the portal for PATRON_PORTAL_LINK_MINUTES, at the address
    Patron is served on."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    SignInToken.objects.create(digest=_digest(token), kind=SignInToken.Kind.EMAIL, customer=customer, created_at=now,
                               expires_at=now + dt.timedelta(minutes=settings.PATRON_PORTAL_LINK_MINUTES))
    return settings.PATRON_BASE_URL + reverse("portal:link", args=[token])


def request_link(email: str, client: str, *, now: dt.datetime | None = None) -> Customer | None:
    """Email a sign-in link to the customer with this address (the most recent, if several share it).
    Returns that customer, or None when nobody has the address (the caller answers the same either way)."""
    now = now or timezone.now()
    email = normalise_email(email)
    with transaction.atomic():
        _limit([(f"email:{_digest(email)[:40]}", settings.PATRON_PORTAL_LINKS_PER_HOUR),
                (f"ip:{client[:60]}", settings.PATRON_PORTAL_LINKS_PER_HOUR_PER_CLIENT)], now)
        customer = (Customer.objects.filter(email=email, erased_at__isnull=True).order_by("-created_at", "-pk").first())
        if customer is None:
            return None
        url = sign_in_link(customer, now=now)
        minutes = settings.PATRON_PORTAL_LINK_MINUTES
        message = messaging.queue(customer, "portal_sign_in", context={"sign_in_url": url, "minutes": minutes})
        # The customer is waiting for it, so not the next worker round; but the page never waits on the
        # mail server: it answers at once, as for an address nobody has.
        deliver_soon(message)
    return customer


def _spend(digest: str, kind: str, customer: Customer | None, now: dt.datetime, expires_at: dt.datetime | None = None) -> Customer:
    """Mark a token used, once: the conditional update makes a second use (even at the same moment) fail."""
    if kind == SignInToken.Kind.EMAIL:
        token = SignInToken.objects.select_related("customer").filter(digest=digest, kind=kind).first()
        if token is None or token.expires_at <= now:
            raise InvalidLink("this sign-in link is not valid or has expired")
        if not SignInToken.objects.filter(pk=token.pk, used_at__isnull=True).update(used_at=now):
            raise InvalidLink("this sign-in link was already used")
        customer = token.customer
    else:
        try:
            with transaction.atomic():
                SignInToken.objects.create(digest=digest, kind=kind, customer=customer, created_at=now, expires_at=expires_at, used_at=now)
        except IntegrityError:
            raise InvalidLink("this shop link was already used") from None
    if customer.is_erased:
        raise InvalidLink("this account is closed")
    return customer


def use_link(token: str, *, now: dt.datetime | None = None) -> Customer:
    return _spend(_digest(token or ""), SignInToken.Kind.EMAIL, None, now or timezone.now())


def check_link(token: str, *, now: dt.datetime | None = None) -> bool:
    """Whether the link would sign in now (the page before the button says so without spending it)."""
    now = now or timezone.now()
    return SignInToken.objects.filter(digest=_digest(token or ""), kind=SignInToken.Kind.EMAIL, used_at__isnull=True,
                                      expires_at__gt=now).exists()


shop_signature = shop_tokens.signature
read_shop_token = shop_tokens.read


def use_shop_token(params, *, now: dt.datetime | None = None) -> Customer:
    now = now or timezone.now()
    customer, signature, expires = read_shop_token(params, now=now.timestamp())
    return _spend(_digest("shop:" + signature), SignInToken.Kind.SHOP, customer, now,
                  dt.datetime.fromtimestamp(expires, tz=dt.timezone.utc))


def sign_in(request: HttpRequest, customer: Customer) -> None:
    """A new session key (no fixation), holding only the customer's id and the time."""
    for key in (SESSION_CUSTOMER, SESSION_SEEN):
        request.session.pop(key, None)
    request.session.cycle_key()
    request.session[SESSION_CUSTOMER] = customer.pk
    request.session[SESSION_SEEN] = int(time.time())


def sign_out(request: HttpRequest) -> None:
    for key in (SESSION_CUSTOMER, SESSION_SEEN):
        request.session.pop(key, None)
    request.session.cycle_key()


def signed_in(request: HttpRequest) -> Customer | None:
    """The session's customer, or None (never signed in, idle too long, or erased since)."""
    customer_id, seen = request.session.get(SESSION_CUSTOMER), request.session.get(SESSION_SEEN)
    if customer_id is None or seen is None:
        return None
    now = int(time.time())
    if now - int(seen) > settings.PATRON_PORTAL_SESSION_MINUTES * 60:
        sign_out(request)
        return None
    customer = Customer.objects.filter(pk=customer_id, erased_at__isnull=True).first()
    if customer is None:
        sign_out(request)
        return None
    if now - int(seen) > 60:  # a write per minute at most, not per request
        request.session[SESSION_SEEN] = now
    return customer


def purge(now: dt.datetime | None = None) -> int:
    """Forget expired tokens and rate-limit records older than a day (the daily run)."""
    now = now or timezone.now()
    gone, _ = SignInToken.objects.filter(expires_at__lt=now - dt.timedelta(days=1)).delete()
    old, _ = SignInRequest.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    return gone + old
