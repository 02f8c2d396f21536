"""Checks Django runs before its commands (registered by CoreConfig.ready): what the store must offer."""

import sqlite3

from django.core import checks
from django.db import connections

SQLITE_NEEDED = (3, 35)  # RETURNING, which the ledger's and the orders' hand-written statements use


def sqlite_version(app_configs=None, **kwargs):
    uses_sqlite = any(connections[alias].vendor == "sqlite" for alias in connections)
    if uses_sqlite and sqlite3.sqlite_version_info < SQLITE_NEEDED:
        return [checks.Error(f"SQLite {sqlite3.sqlite_version} is too old: Patron needs {'.'.join(map(str, SQLITE_NEEDED))} or later",
                             hint="use a Python built with a newer SQLite, or PostgreSQL (DATABASE_URL)", id="patron.E001")]
    return []
