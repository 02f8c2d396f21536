"""`patron score` as a whole: every customer's scores (insights), then the dashboard's figures from the
same data, so the pages agree with the scores they show."""

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from patron.dashboard import snapshots
from patron.insights.services import ScoreResult, refresh_scores


def score_everything(now: dt.datetime | None = None, progress: Callable[[str], None] | None = None) -> ScoreResult:
    now = now or timezone.now()
    result = refresh_scores(now, progress)
    (progress or (lambda phase: None))("refreshing the dashboard's aggregates")
    snapshots.refresh(now, result.frames["orders"], result.frames["surveys"], result.frames["rfm"], result.money)
    return result
