"""PostgreSQL prepares the statements a connection runs again (PATRON_DB_PREPARED), unless told not to."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from patron.customers.models import Customer


def options(tmp_path, **env) -> dict:
    """The database OPTIONS that settings make from this environment (PATRON_DB_PREPARED unset unless given)."""
    code = ("import django, json; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))")
    base = {k: v for k, v in os.environ.items() if k != "PATRON_DB_PREPARED"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=base | {"DJANGO_SETTINGS_MODULE": "patron.settings", "PATRON_HOME": str(tmp_path)} | env)
    if result.returncode:
        raise ValueError(result.stderr.strip().splitlines()[-1])
    return json.loads(result.stdout)


def test_postgresql_prepares_unless_turned_off(tmp_path):
    url = "postgresql://shop:secret@db.example:5432/patron"
    assert options(tmp_path, DATABASE_URL=url) == {"server_side_binding": True, "prepare_threshold": 2}
    assert "prepare_threshold" not in options(tmp_path, DATABASE_URL=url, PATRON_DB_PREPARED="false")
    sqlite = options(tmp_path, DATABASE_URL="", PATRON_DB_PREPARED="true")
    assert "prepare_threshold" not in sqlite and sqlite["transaction_mode"] == "IMMEDIATE"


def test_a_switch_that_is_neither_true_nor_false_is_refused_naming_it(tmp_path):
    with pytest.raises(ValueError, match="PATRON_DB_PREPARED must be true or false, not 'ture'"):
        options(tmp_path, DATABASE_URL="postgresql://shop:secret@db.example:5432/patron", PATRON_DB_PREPARED="ture")


@pytest.mark.django_db
def test_a_statement_run_again_is_prepared_once_and_reused():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's; SQLite has none to check")
    Customer.objects.create(external_id="p-1")
    for _ in range(4):
        assert Customer.objects.get(external_id="p-1").external_id == "p-1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%FROM \"customers_customer\"%"])
        assert cursor.fetchone()[0] == 1  # prepared on this connection, once, and run from there
