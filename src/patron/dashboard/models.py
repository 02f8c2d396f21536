"""What the dashboard keeps: each staff member's choices, and the aggregates its pages show."""

from django.conf import settings
from django.db import models


class StaffProfile(models.Model):
    """A staff member's own choices: the language of their dashboard."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="staff_profile")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


class Snapshot(models.Model):
    """An aggregate the dashboard shows, computed by `patron score` and the daily loyalty run, so no page scans the store."""

    name = models.CharField(max_length=40, primary_key=True)  # overview, cohorts, segments, loyalty, journeys, feedback
    computed_at = models.DateTimeField()
    data = models.JSONField()

    def __str__(self) -> str:
        return f"{self.name} at {self.computed_at:%Y-%m-%d %H:%M}"
