"""What a signed-in customer changes from the portal: redemptions (once per confirmation), their
language and their consent."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from patron.core.errors import InvalidInput
from patron.customers.models import Channel, ConsentEvent, Customer
from patron.customers.services import record_consent
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


def set_language(customer: Customer, language: str) -> None:
    Customer.objects.filter(pk=customer.pk).update(language=language)
    customer.language = language


@transaction.atomic
def set_consent(customer: Customer, choices: dict[str, bool]) -> None:
    for channel, granted in choices.items():
        if channel in Channel.values:
            record_consent(customer, channel, bool(granted), source=ConsentEvent.Source.PORTAL)
