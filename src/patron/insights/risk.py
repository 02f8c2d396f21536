"""What "at risk" and "valuable" mean, defined once for every context that asks: the service desk's
priority, the dashboard's "Worth saving" list, and the audience rules of journeys (segments' fields)."""

from decimal import Decimal

from django.db.models import Q

from patron.analytics import forecast as analytics_forecast
from patron.analytics import rfm
from patron.insights.models import CustomerScore, ModelFit

# A customer is at risk of leaving when any of these holds at the last scoring.
AT_RISK_SEGMENTS = (rfm.AT_RISK, rfm.CANT_LOSE)  # RFM: good customers gone quiet
AT_RISK_CHURN = 0.5  # the churn classifier thinks leaving more likely than not
AT_RISK_P_ALIVE = 0.5  # BG/NBD: more likely gone than still buying


def clv_threshold() -> Decimal | None:
    """High value starts at the 90th percentile of 12-month CLV in the latest model fit (None before any fit)."""
    fit = ModelFit.objects.exclude(clv_top_decile=None).order_by("-fitted_at", "-id").values_list("clv_top_decile", flat=True).first()
    return Decimal(str(round(fit, 2))) if fit is not None else None


def at_risk_q(prefix: str = "") -> Q:
    """At risk, as a filter on CustomerScore (or on a model that reaches it through `prefix`, e.g. "score__")."""
    return (Q(**{f"{prefix}segment__in": AT_RISK_SEGMENTS}) | Q(**{f"{prefix}churn_risk__gte": AT_RISK_CHURN})
            | Q(**{f"{prefix}p_alive__lt": AT_RISK_P_ALIVE}))


def is_at_risk(score: CustomerScore | None) -> bool:
    if score is None:
        return False
    return (score.segment in AT_RISK_SEGMENTS or (score.churn_risk is not None and score.churn_risk >= AT_RISK_CHURN)
            or (score.p_alive is not None and score.p_alive < AT_RISK_P_ALIVE))


def is_valuable(score: CustomerScore | None, threshold: Decimal | None) -> bool:
    return score is not None and threshold is not None and score.clv_12m is not None and Decimal(str(score.clv_12m)) >= threshold


def backtest_choices() -> dict | None:
    """What the latest scoring took, from the shop's own backtests: the churn score (with its AUC and the runner-up's)
    and the forecast (with how much lower its RMSE was than the runner-up's). None before any scoring chose."""
    fit = ModelFit.objects.order_by("-fitted_at", "-id").values("forecast", "churn").first()
    if not fit or not (fit["forecast"] or fit["churn"]):
        return None
    out = {"forecast": fit["forecast"] and {**fit["forecast"], "level": analytics_forecast.level(fit["forecast"])}}
    churn = fit["churn"]
    if churn:
        ranked = sorted(churn["auc"].items(), key=lambda pair: -pair[1])
        out["churn"] = {"score": churn["score"], "auc": ranked[0][1],
                        "runner_up": ranked[1][0] if len(ranked) > 1 else None, "runner_up_auc": ranked[1][1] if len(ranked) > 1 else None}
    return out

