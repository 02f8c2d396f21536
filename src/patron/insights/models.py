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
    last_order_at = models.DateTimeField(null=True)
    rhythm_days = models.FloatField(null=True)  # mean days between the customer's orders (null below two)
    # From the models (null when the store's history cannot support a fit yet).
    p_alive = models.FloatField(null=True)
    expected_purchases_90 = models.FloatField(null=True)
    expected_purchases_365 = models.FloatField(null=True)
    clv_12m = models.DecimalField(max_digits=18, decimal_places=2, null=True)  # discounted, in the shop's currency
    churn_risk = models.FloatField(null=True)  # P(no purchase in the next 90 days), for customers active in the last year
    next_best_offers = models.JSONField(null=True)  # the categories they are likeliest to buy next, best first
    model_fit = models.ForeignKey("ModelFit", on_delete=models.SET_NULL, null=True, related_name="+")
    scored_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["segment"], name="score_segment"),
                   models.Index(fields=["quadrant"], name="score_quadrant"),
                   models.Index(fields=["clv_12m", "customer"], name="score_clv")]  # customers worth saving, by value

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


class ModelFit(models.Model):
    """One fit of the models by `patron score`: the version a customer's predictions came from."""

    fitted_at = models.DateTimeField()
    customers = models.PositiveIntegerField()
    purchases = models.JSONField()  # BetaGeo.to_dict()
    spend = models.JSONField(null=True)  # GammaGamma.to_dict(), when there were repeat buyers to fit it on
    note = models.CharField(max_length=300, blank=True)
    clv_top_decile = models.FloatField(null=True, blank=True)  # the 90th percentile of 12-month CLV (high value starts here)
    # Which forecast and which churn score the shop's own backtests chose, and by how much (analytics.forecast.Choice,
    # and the churn backtest's AUCs); null when there was too little history for a backtest.
    forecast = models.JSONField(null=True, blank=True)
    churn = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"fit #{self.pk} at {self.fitted_at:%Y-%m-%d %H:%M}"
