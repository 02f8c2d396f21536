"""Patron's retention analytics: a pure library (no Django), frame in and frame out.

Analysts call it directly, the way they call lifetimes; the app feeds it from the operational store
(patron.insights). Everything runs on DuckDB embedded, or with engine="spark" on a Spark session.
"""

from patron.analytics.cohorts import cohort_retention, cohort_table
from patron.analytics import forecast
from patron.analytics.evaluation import cumulative_tracking, evaluate, plot_evaluation
from patron.analytics.frames import AnalyticsError, StoreQuery
from patron.analytics.kpi import kpis
from patron.analytics.matrix import QUADRANTS, loyalty_matrix
from patron.analytics.rfm import SEGMENTS, rfm_scores, segment_of
from patron.analytics.summary import calibration_and_holdout, rfm_summary

__all__ = [
    "AnalyticsError", "SEGMENTS", "StoreQuery", "calibration_and_holdout", "cohort_retention", "cohort_table", "cumulative_tracking", "evaluate",
    "QUADRANTS", "forecast", "kpis", "loyalty_matrix", "plot_evaluation", "rfm_scores", "rfm_summary", "segment_of",
]
