"""What the worker has run and how it went: the status `patron worker --health` reports."""

from django.db import models


class Job(models.Model):
    """One kind of the worker's work (delivery, journeys, the SLA sweep, the daily runs): its last run."""

    name = models.CharField(max_length=40, primary_key=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    ok_at = models.DateTimeField(null=True)  # the last run that ended well
    failed = models.BooleanField(default=False)  # whether the last run failed
    error = models.TextField(blank=True)  # why it failed
    running = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name
