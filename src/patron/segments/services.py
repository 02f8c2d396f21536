"""Segments evaluated set-wise in the database: counts, members, and the entered/left log."""

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from patron.core import sql
from patron.core.errors import SegmentNotFound
from patron.segments.models import Segment, SegmentChange, SegmentMember
from patron.segments.rules import base_from, compile_rules

# Tables read or written by the SQL below, by their models.
SEGMENT_CHANGES = SegmentChange._meta.db_table
SEGMENT_MEMBERS = SegmentMember._meta.db_table


def get_segment(name: str) -> Segment:
    try:
        return Segment.objects.get(name=name)
    except Segment.DoesNotExist:
        raise SegmentNotFound(f"no segment {name!r}") from None


def member_sql(rules, now: dt.datetime | None = None) -> tuple[str, list]:
    """SELECT c.id of the customers the rules describe (to nest in INSERT ... SELECT)."""
    where, params = compile_rules(rules, now)
    return f"SELECT c.id FROM {base_from()} WHERE {where}", params


def count(rules, now: dt.datetime | None = None) -> int:
    where, params = compile_rules(rules, now)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {base_from()} WHERE {where}", params)
        return cursor.fetchone()[0]


def customer_ids(rules, now: dt.datetime | None = None) -> list[int]:
    query, params = member_sql(rules, now)
    with connection.cursor() as cursor:
        cursor.execute(query + " ORDER BY c.id", params)
        return [row[0] for row in cursor.fetchall()]


@transaction.atomic
def refresh(segment: Segment, now: dt.datetime | None = None) -> tuple[int, int]:
    """Bring the stored members up to date; log who entered and who left. Returns (entered, left)."""
    now = now or timezone.now()
    Segment.objects.select_for_update().filter(pk=segment.pk).first()  # one refresh of a segment at a time
    query, params = member_sql(segment.rules, now)
    stamp = sql.timestamp(now)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE segment_now (customer_id BIGINT PRIMARY KEY)", [])
        try:
            cursor.execute(f"INSERT INTO segment_now (customer_id) {query}", params)
            cursor.execute(
                f"INSERT INTO {SEGMENT_CHANGES} (segment_id, customer_id, entered, at) "
                "SELECT %s, n.customer_id, %s, %s FROM segment_now n WHERE NOT EXISTS "
                f"(SELECT 1 FROM {SEGMENT_MEMBERS} m WHERE m.segment_id = %s AND m.customer_id = n.customer_id)",
                [segment.pk, True, stamp, segment.pk])
            entered = cursor.rowcount
            cursor.execute(
                f"INSERT INTO {SEGMENT_CHANGES} (segment_id, customer_id, entered, at) "
                f"SELECT %s, m.customer_id, %s, %s FROM {SEGMENT_MEMBERS} m WHERE m.segment_id = %s AND NOT EXISTS "
                "(SELECT 1 FROM segment_now n WHERE n.customer_id = m.customer_id)",
                [segment.pk, False, stamp, segment.pk])
            left = cursor.rowcount
            cursor.execute(
                f"DELETE FROM {SEGMENT_MEMBERS} WHERE segment_id = %s AND NOT EXISTS "
                f"(SELECT 1 FROM segment_now n WHERE n.customer_id = {SEGMENT_MEMBERS}.customer_id)", [segment.pk])
            cursor.execute(
                f"INSERT INTO {SEGMENT_MEMBERS} (segment_id, customer_id, entered_at) "
                "SELECT %s, n.customer_id, %s FROM segment_now n WHERE NOT EXISTS "
                f"(SELECT 1 FROM {SEGMENT_MEMBERS} m WHERE m.segment_id = %s AND m.customer_id = n.customer_id)",
                [segment.pk, stamp, segment.pk])
        finally:
            cursor.execute("DROP TABLE segment_now", [])
    Segment.objects.filter(pk=segment.pk).update(refreshed_at=now)
    return entered, left
