"""The profiling Patron keeps about one customer, for the export (registered in InsightsConfig.ready)."""

from patron.customers.privacy import exports
from patron.insights.models import CustomerScore


@exports("scores_and_predictions")
def scores(customer) -> dict:
    score = CustomerScore.objects.filter(customer=customer).values().first() or {}
    score.pop("customer_id", None)
    score.pop("model_fit_id", None)
    return {"latest": score,
            "segment_history": list(customer.segment_moves.order_by("pk").values("from_segment", "to_segment", "moved_at"))}
