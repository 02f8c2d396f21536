"""What the dashboard keeps per staff member."""

from django.conf import settings
from django.db import models


class StaffProfile(models.Model):
    """A staff member's own choices: the language of their dashboard."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="staff_profile")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"
