"""What the member portal keeps: single-use sign-in tokens, the requests for them (rate limits), and
the redemptions made from the portal (so that a double tap redeems once)."""

from django.db import models

from patron.customers.models import Customer
from patron.loyalty.models import Coupon


class SignInToken(models.Model):
    """A sign-in link sent by email, or a shop's signed token once used. Only a digest is kept."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Link by email"
        SHOP = "shop", "Token signed by the shop"

    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the token
    kind = models.CharField(max_length=5, choices=Kind.choices)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="sign_in_token_expiry")]


class SignInRequest(models.Model):
    """One request for a sign-in link, by address and by client: what the rate limits count."""

    key = models.CharField(max_length=80)  # "email:<digest>" or "ip:<address>"
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="sign_in_request_key_time")]


class PortalRedemption(models.Model):
    """A redemption asked for from the portal, by the key its confirmation form carried."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    coupon = models.OneToOneField(Coupon, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "key"], name="portal_redemption_once")]
