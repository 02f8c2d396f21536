"""API keys (only a hash is kept) and the stored answers that make POST requests safe to retry."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    SCOPES = ("customers:read", "customers:write", "orders:write", "loyalty:read", "loyalty:write", "tickets:read",
              "tickets:write", "feedback:write", "events:write")
    PUBLISHABLE = "events:write"  # a key with only this scope goes into the shop's pages: it can write events, no more

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)  # shown in listings, finds the key
    key_hash = models.CharField(_("key hash"), max_length=64)  # SHA-256 of the whole key
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"

    class Meta:
        verbose_name, verbose_name_plural = _("API key"), _("API keys")


class IdempotentRequest(models.Model):
    """The answer given to one Idempotency-Key, stored in the same transaction as the request's effects."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="requests")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)  # method, path and body
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="one_answer_per_idempotency_key")]
