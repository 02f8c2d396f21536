"""The shop's signed token for a customer it has signed in: ?customer=<external id>&expires=<unix time>
&signature=<hex HMAC-SHA256 of "<external id>:<expires>" under PATRON_PORTAL_SHOP_SECRET>, living at most an
hour. The portal signs in with it; the storefront script records what the customer does with it."""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings

from patron.core.errors import InvalidLink
from patron.customers.models import Customer

MAX_SECONDS = 3600


def signature(external_id: str, expires: int, secret: str | None = None) -> str:
    """What the shop computes: hex HMAC-SHA256 of "<external id>:<expires>"."""
    key = (secret if secret is not None else settings.PATRON_PORTAL_SHOP_SECRET).encode()
    return hmac.new(key, f"{external_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def read(params, *, now: float | None = None) -> tuple[Customer, str, int]:
    """(customer, signature, expires) of a valid token in `params`; InvalidLink otherwise. Does not spend it."""
    if not settings.PATRON_PORTAL_SHOP_SECRET:
        raise InvalidLink("this shop does not sign its customers in (PATRON_PORTAL_SHOP_SECRET is not set)")
    external_id = str(params.get("customer") or "")
    expires, given = params.get("expires") or "", str(params.get("signature") or "")
    now = time.time() if now is None else now
    try:
        expires = int(expires)
    except (TypeError, ValueError):
        raise InvalidLink("this shop link is not valid") from None
    if not hmac.compare_digest(signature(external_id, expires), given.lower()):
        raise InvalidLink("this shop link is not valid")
    if expires <= now or expires > now + MAX_SECONDS:
        raise InvalidLink("this shop link has expired")
    customer = Customer.objects.filter(external_id=external_id, erased_at__isnull=True).first()
    if customer is None:
        raise InvalidLink("this shop link is not valid")
    return customer, given.lower(), expires
