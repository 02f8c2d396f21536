import sqlite3

from django.db import connection

from patron.core import checks


def test_the_sqlite_in_use_is_new_enough_and_an_older_one_is_refused(monkeypatch):
    assert sqlite3.sqlite_version_info >= checks.SQLITE_NEEDED and checks.sqlite_version() == []
    monkeypatch.setattr(checks, "SQLITE_NEEDED", (99, 0))
    found = checks.sqlite_version()
    if connection.vendor == "sqlite":
        assert [e.id for e in found] == ["patron.E001"] and "99.0 or later" in found[0].msg
    else:  # on PostgreSQL SQLite's version does not matter
        assert found == []
