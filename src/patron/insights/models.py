"""Scores computed by patron.analytics and kept per customer, with the moves between segments."""

from django.db import models

from patron.customers.models import Customer


class CustomerScore(models.Model):
    """The latest scores of one customer, refreshed by `patron score`."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="score")
    recency_days = models.PositiveIntegerField()
    frequency = models.PositiveIntegerField()
    monetary = models.DecimalField(max_digits=18, decimal_places=3)
    r_score = models.PositiveSmallIntegerField()
    f_score = models.PositiveSmallIntegerField()
    m_score = models.PositiveSmallIntegerField()
    segment = models.CharField(max_length=32)
    segment_since = models.DateTimeField()
    quadrant = models.CharField(max_length=16)  # the loyalty matrix: loyal, latent, spurious, none
    scored_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["segment"], name="score_segment"),
                   models.Index(fields=["quadrant"], name="score_quadrant")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.segment} ({self.r_score}{self.f_score}{self.m_score})"


class SegmentMove(models.Model):
    """A customer entering an RFM segment (from_segment is blank the first time): what a journey can start on."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="segment_moves", db_index=False)
    from_segment = models.CharField(max_length=32, blank=True)
    to_segment = models.CharField(max_length=32, blank=True)  # blank: no longer scored (no orders left)
    moved_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["customer", "moved_at"], name="segment_move_customer"),
                   models.Index(fields=["moved_at"], name="segment_move_time")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_segment or '-'} -> {self.to_segment or '-'}"
