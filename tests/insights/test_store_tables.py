"""insights.store is the one reader of several contexts' tables for analytics; the tables it names as
text (those of contexts above insights) must exist, with the columns it reads."""

import re

import pytest
from django.db import connection

from patron.insights import store
from patron.service.models import Ticket


@pytest.mark.django_db
def test_every_table_the_store_names_exists_with_its_columns():
    source = open(store.__file__, encoding="utf-8").read()
    named = set(re.findall(r'^[A-Z_]+ = "([a-z]+_[a-z]+)"', source, flags=re.M))
    assert store.TICKETS in named
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        assert named <= tables, named - tables
        columns = {c.name for c in connection.introspection.get_table_description(cursor, store.TICKETS)}
    assert {"customer_id", "created_at", "kind"} <= columns
    assert store.COMPLAINT in Ticket.Kind.values and Ticket._meta.db_table == store.TICKETS
