"""Scores from patron.analytics written back to the store: set-wise, in one transaction."""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from django.db import transaction
from django.utils import timezone

from patron import analytics
from patron.analytics.frames import materialize
from patron.imports.stage import STAGE, Stage
from patron.insights import store

SCORES = "insights_customerscore"
MOVES = "insights_segmentmove"
SCORE_COLUMNS = [
    ("customer_id", "int"), ("recency_days", "int"), ("frequency", "int"), ("monetary", "num"),
    ("r_score", "int"), ("f_score", "int"), ("m_score", "int"), ("segment", "text"), ("quadrant", "text"),
]


@dataclass
class ScoreResult:
    customers: int
    moved: int  # customers whose segment changed (or who got their first)
    segments: dict[str, int]
    quadrants: dict[str, int]

    def as_dict(self) -> dict:
        return {"customers": self.customers, "moved": self.moved, "segments": self.segments, "quadrants": self.quadrants}


def refresh_scores(now: dt.datetime | None = None) -> ScoreResult:
    """RFM scores, segments and loyalty quadrants of every customer with a purchase before `now`.

    A customer whose segment changes gets a SegmentMove dated `now`, and segment_since moves with it.
    """
    now = now or timezone.now()
    purchases = materialize(store.orders())
    rfm = analytics.rfm_scores(purchases, "customer_id", "placed_at", "value", as_of=now)
    matrix = analytics.loyalty_matrix(purchases, "customer_id", "placed_at", as_of=now)
    rfm["quadrant"] = matrix["quadrant"].reindex(rfm.index).fillna("none")
    values = {"customer_id": pa.array(rfm.index.to_numpy(), pa.int64())}
    for name, kind in SCORE_COLUMNS[1:]:
        column = rfm[name].round(3) if name == "monetary" else rfm[name]
        values[name] = pa.array(column.to_numpy(), pa.string() if kind == "text" else None)
    stage = Stage(SCORE_COLUMNS)
    try:
        with transaction.atomic():
            stage.create()
            stage.insert(values, np.arange(len(rfm)))
            moved = _merge(stage, now)
    finally:
        stage.drop()
    return ScoreResult(
        customers=len(rfm), moved=moved,
        segments={k: int(v) for k, v in rfm["segment"].value_counts().sort_index().items()},
        quadrants={k: int(v) for k, v in rfm["quadrant"].value_counts().sort_index().items()},
    )


def _merge(stage: Stage, now: dt.datetime) -> int:
    stamp = stage.param(now)
    fields = [name for name, _ in SCORE_COLUMNS[1:]]
    stage.execute(f"CREATE INDEX {STAGE}_customer ON {STAGE} (customer_id)")
    moved = stage.execute(
        f"INSERT INTO {MOVES} (customer_id, from_segment, to_segment, moved_at) "
        f"SELECT s.customer_id, COALESCE(c.segment, ''), s.segment, %s FROM {STAGE} s "
        f"LEFT JOIN {SCORES} c ON c.customer_id = s.customer_id WHERE c.segment IS NULL OR c.segment <> s.segment",
        [stamp],
    )
    # Customers no longer scored (their purchases were cancelled or refunded) leave their segment.
    stage.execute(
        f"INSERT INTO {MOVES} (customer_id, from_segment, to_segment, moved_at) "
        f"SELECT c.customer_id, c.segment, '', %s FROM {SCORES} c "
        f"WHERE NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s.customer_id = c.customer_id)",
        [stamp],
    )
    stage.execute(f"DELETE FROM {SCORES} WHERE customer_id NOT IN (SELECT customer_id FROM {STAGE})")
    # SET reads the row's old values on both databases, so segment_since compares with the old segment.
    stage.execute(
        f"UPDATE {SCORES} AS c SET {', '.join(f'{f} = s.{f}' for f in fields)}, scored_at = %s, "
        f"segment_since = CASE WHEN c.segment <> s.segment THEN %s ELSE c.segment_since END "
        f"FROM {STAGE} s WHERE c.customer_id = s.customer_id",
        [stamp, stamp],
    )
    stage.execute(
        f"INSERT INTO {SCORES} (customer_id, {', '.join(fields)}, segment_since, scored_at) "
        f"SELECT s.customer_id, {', '.join(f's.{f}' for f in fields)}, %s, %s FROM {STAGE} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {SCORES} c WHERE c.customer_id = s.customer_id)",
        [stamp, stamp],
    )
    return moved
