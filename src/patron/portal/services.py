"""Redemptions from the portal, once per confirmation. (A customer's language and consent change through
customers.services.upsert_customer, like every other source's.)"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from patron.core.errors import InvalidInput
from patron.customers.models import Customer
from patron.loyalty import services as loyalty
from patron.loyalty.models import Coupon, Reward
from patron.portal.models import PortalRedemption

KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def redeem(customer: Customer, reward: Reward, key: str) -> tuple[Coupon, bool]:
    """Redeem once per confirmation key: the same key again (a double tap, a resent form) returns the
    first coupon. Returns (coupon, issued now)."""
    if not KEY.match(key or ""):
        raise InvalidInput("the confirmation is missing; open the reward again", field="key")
    done = PortalRedemption.objects.select_related("coupon__reward").filter(customer=customer, key=key).first()
    if done is not None:
        return done.coupon, False
    try:
        with transaction.atomic():
            coupon = loyalty.redeem_reward(customer, reward)
            PortalRedemption.objects.create(customer=customer, key=key, coupon=coupon, created_at=timezone.now())
    except IntegrityError:  # the same key at the same moment: the other request's redemption stands, this one rolled back
        done = PortalRedemption.objects.select_related("coupon__reward").get(customer=customer, key=key)
        return done.coupon, False
    return coupon, True
