"""What a customers file means: its columns, their checks, and the set-wise merge.

Blank cells leave what the store holds as it is; consent given in the file is recorded as a
consent event (source "import") only where it changes the customer's current consent.
"""

import datetime as dt

import pyarrow as pa
from django.db import connection

from patron.customers import validation
from patron.customers.models import ConsentEvent, Customer
from patron.imports import checks
from patron.imports.checks import Checked
from patron.imports.stage import STAGE, Stage

TABLE = Customer._meta.db_table
EVENTS = ConsentEvent._meta.db_table
PROFILE = ("email", "phone", "first_name", "last_name", "language", "country", "timezone", "birth_date", "created_at")


class CustomerImport:
    name = "customers"
    required = ("external_id",)
    optional = PROFILE + ("email_consent", "sms_consent")
    stage_columns = [
        ("external_id", "text"), ("email", "text"), ("phone", "text"), ("first_name", "text"), ("last_name", "text"),
        ("language", "text"), ("country", "text"), ("timezone", "text"), ("birth_date", "date"),
        ("created_at", "ts"), ("email_consent", "bool"), ("sms_consent", "bool"),
    ]
    key = ["external_id"]
    key_label = "external_id"
    exists = f"EXISTS (SELECT 1 FROM {TABLE} c WHERE c.external_id = s.external_id)"

    @property
    def models(self):
        from patron.customers.models import ConsentEvent, Customer

        return [Customer, ConsentEvent]

    def check(self, c: Checked, now: dt.datetime) -> dict[str, pa.Array]:
        external_id = checks.max_length(c, "external_id", checks.required(c, "external_id"), 100)
        email = pa.compute.utf8_lower(c.column("email"))
        checks.pattern(c, "email", email, validation.EMAIL_PATTERN, "bad email")
        checks.max_length(c, "email", email, 254)
        phone = checks.pattern(c, "phone", c.column("phone"), validation.PHONE_PATTERN, "bad phone number")
        names = {n: checks.max_length(c, n, c.column(n), 100) for n in ("first_name", "last_name")}
        return {
            "external_id": external_id,
            "email": email,
            "phone": phone,
            **names,
            "language": checks.each_distinct(c, c.column("language"), validation.normalize_language),
            "country": checks.each_distinct(c, c.column("country"), validation.normalize_country),
            "timezone": checks.each_distinct(c, c.column("timezone"), validation.check_timezone),
            "birth_date": checks.dates(c, "birth_date", c.column("birth_date"), latest=now.date()),
            "created_at": checks.timestamps(c, "created_at", c.column("created_at"), latest=now + dt.timedelta(days=1)),
            "email_consent": checks.boolean(c, "email_consent", c.column("email_consent")),
            "sms_consent": checks.boolean(c, "sms_consent", c.column("sms_consent")),
        }

    def reject_unknown(self, stage: Stage) -> None:
        """Customers reference nothing else."""

    def merge(self, stage: Stage, now: dt.datetime) -> tuple[int, int]:
        stamp = stage.param(now)
        text_fields = PROFILE[:-2]
        consents = ("email_consent", "sms_consent")
        # Consent that the file changes becomes an event first, while the customer still holds the old value.
        _consent_events(stage, stamp, lambda field: stage.differs(f"s.{field}", f"c.{field}"), [])
        changed = " OR ".join(
            f"(s.{f} IS NOT NULL AND {stage.differs(f's.{f}', f'c.{f}')})" for f in (*PROFILE, *consents)
        )
        assign = ", ".join(f"{f} = COALESCE(s.{f}, c.{f})" for f in (*text_fields, "birth_date", "created_at", *consents))
        updated = stage.execute(
            f"UPDATE {TABLE} AS c SET {assign}, updated_at = %s FROM {STAGE} s "
            f"WHERE c.external_id = s.external_id AND ({changed})",
            [stamp],
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {TABLE}")
            last_id = cursor.fetchone()[0]
        blanks = ", ".join(f"COALESCE(s.{f}, '')" for f in text_fields)
        imported = stage.execute(
            f"INSERT INTO {TABLE} (external_id, {', '.join(text_fields)}, birth_date, created_at, {', '.join(consents)}, "
            f"attributes, updated_at) "
            f"SELECT s.external_id, {blanks}, s.birth_date, COALESCE(s.created_at, %s), {', '.join(f's.{f}' for f in consents)}, "
            f"{stage.empty_json}, %s "
            f"FROM {STAGE} s WHERE NOT EXISTS (SELECT 1 FROM {TABLE} c WHERE c.external_id = s.external_id) "
            f"ORDER BY s.external_id",  # the unique index then grows at its right edge
            [stamp, stamp],
        )
        if imported:
            # A new customer's consent from the file is its first event (ids above last_id are the rows just added).
            _consent_events(stage, stamp, lambda field: "c.id > %s", [last_id])
        return updated, imported


def _consent_events(stage: Stage, stamp, condition, params: list) -> None:
    """A consent event (source import) per channel for each staged customer with a consent in the file
    for which `condition(field)` (SQL on staged row s and stored customer c, with `params`) holds."""
    for channel in ("email", "sms"):
        field = f"{channel}_consent"
        stage.execute(
            f"INSERT INTO {EVENTS} (customer_id, channel, granted, source, recorded_at, note) "
            f"SELECT c.id, %s, s.{field}, 'import', %s, %s FROM {STAGE} s JOIN {TABLE} c ON c.external_id = s.external_id "
            f"WHERE s.{field} IS NOT NULL AND {condition(field)}",
            [channel, stamp, "bulk import", *params],
        )


KIND = CustomerImport()
