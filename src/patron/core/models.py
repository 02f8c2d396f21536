"""What every context shares in the store: the audit log of staff actions."""

from django.conf import settings
from django.db import models
from django.utils.timezone import now


class AuditEvent(models.Model):
    """One staff action that touched a customer or the books: a grant, an adjustment, an erasure, an export."""

    at = models.DateTimeField(default=now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_name = models.CharField(max_length=150)  # kept when the account is deleted; "cli:<user>" from the command line
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=200, blank=True)  # e.g. "customer:c-1042"
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["target", "at"], name="audit_target")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target}"
