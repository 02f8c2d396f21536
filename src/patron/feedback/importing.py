"""What a survey-responses file means: history of NPS and CSAT answers, upserted by customer, kind and time."""

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from patron.core.errors import InvalidInput
from patron.customers.models import Customer
from patron.feedback.models import Response
from patron.feedback.services import COMMENT_LIMIT, check_answer, check_kind
from patron.imports import checks
from patron.imports.checks import Checked
from patron.imports.stage import STAGE, Stage

CUSTOMERS = Customer._meta.db_table
RESPONSES = Response._meta.db_table


def _answer(pair: str) -> int:
    kind, _, score = pair.partition("\x1f")
    try:
        return check_answer(kind, score)[1]
    except InvalidInput as exc:
        raise InvalidInput(f"{exc.message} for {kind}") from None


class SurveyResponseImport:
    name = "survey-responses"
    required = ("customer_external_id", "kind", "score", "answered_at")
    optional = ("comment",)
    stage_columns = [
        ("customer_external_id", "text"), ("kind", "text"), ("score", "int"), ("comment", "text"),
        ("answered_at", "ts"), ("ref", "text"),
    ]
    key = ["customer_external_id", "ref"]
    key_label = "customer_external_id, kind and answered_at"
    models = [Response]
    exists = (f"EXISTS (SELECT 1 FROM {RESPONSES} r JOIN {CUSTOMERS} c ON c.id = r.customer_id "
              f"WHERE c.external_id = s.customer_external_id AND r.ref = s.ref)")

    def check(self, c: Checked, now: dt.datetime) -> dict[str, pa.Array]:
        customer = checks.required(c, "customer_external_id")
        kind = checks.each_distinct(c, checks.required(c, "kind"), check_kind)
        score_text = checks.required(c, "score")
        # The scale depends on the kind: each distinct (kind, score) pair is checked once.
        pairs = pc.binary_join_element_wise(kind, score_text, "\x1f")
        score = checks.each_distinct(c, pairs, _answer, pa.int64())
        comment = c.column("comment")
        too_long = checks.present(comment) & (pc.fill_null(pc.utf8_length(comment), 0).to_numpy(zero_copy_only=False) > COMMENT_LIMIT)
        if too_long.any():
            c.reject(too_long, f"comment is longer than {COMMENT_LIMIT} characters")
        answered_at = checks.timestamps(c, "answered_at", checks.required(c, "answered_at"), latest=now + dt.timedelta(days=1))
        # What was asked, for imported history: the kind and the moment (the file's key).
        when = pc.strftime(answered_at, format="%Y-%m-%dT%H:%M:%S", locale="C") if len(answered_at) else pa.array([], pa.string())
        ref = pc.binary_join_element_wise(pa.array(["import"] * len(kind), pa.string()), kind, when, ":")
        return {"customer_external_id": customer, "kind": kind, "score": score,
                "comment": pc.utf8_trim_whitespace(comment), "answered_at": answered_at, "ref": ref}

    def reject_unknown(self, stage: Stage) -> None:
        stage.reject_where(
            f"NOT EXISTS (SELECT 1 FROM {CUSTOMERS} c WHERE c.external_id = s.customer_external_id AND c.erased_at IS NULL)",
            "%s || s.customer_external_id",
            ["unknown or erased customer "],
        )

    def merge(self, stage: Stage, now: dt.datetime) -> tuple[int, int]:
        stamp = stage.param(now)
        changed = f"{stage.differs('s.score', 'r.score')} OR (s.comment IS NOT NULL AND {stage.differs('s.comment', 'r.comment')})"
        updated = stage.execute(
            f"UPDATE {RESPONSES} AS r SET score = s.score, comment = COALESCE(s.comment, r.comment), updated_at = %s "
            f"FROM {STAGE} s JOIN {CUSTOMERS} c ON c.external_id = s.customer_external_id "
            f"WHERE r.customer_id = c.id AND r.ref = s.ref AND ({changed})",
            [stamp],
        )
        imported = stage.execute(
            f"INSERT INTO {RESPONSES} (customer_id, kind, score, comment, language, ref, source, answered_at, updated_at) "
            f"SELECT c.id, s.kind, s.score, COALESCE(s.comment, ''), c.language, s.ref, %s, s.answered_at, %s "
            f"FROM {STAGE} s JOIN {CUSTOMERS} c ON c.external_id = s.customer_external_id "
            f"WHERE NOT EXISTS (SELECT 1 FROM {RESPONSES} r WHERE r.customer_id = c.id AND r.ref = s.ref)",
            [Response.Source.IMPORT, stamp],
        )
        return updated, imported


KIND = SurveyResponseImport()
