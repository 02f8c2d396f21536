"""patron.core.memo: API keys and programs memoised per process, dropped the moment they change."""

import time

import pytest
from django.db import connection
from django.utils import timezone

from patron.api.services import check_key, create_key
from patron.core import memo, sql
from patron.customers.models import Customer
from patron.loyalty.models import Program


def programs(currency="EUR"):
    return sql.select(Program, "currency = %s", [currency], memo=True)


def listening() -> bool:
    for _ in range(100):
        if memo._listening():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_from_anywhere_drops_the_memo(django_assert_num_queries):
    if connection.vendor != "postgresql":
        assert not listening()  # SQLite cannot notify: every read goes to the store
        Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
        programs()
        with django_assert_num_queries(1):
            assert programs()[0].points_per_unit == 1
        return
    assert listening()
    before = memo._generation
    Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
    for _ in range(100):  # the save dropped the memos at once; the store's notice of its commit follows
        if memo._generation >= before + 2:
            break
        time.sleep(0.05)
    assert memo._generation >= before + 2
    assert programs()[0].points_per_unit == 1
    with django_assert_num_queries(0):  # memoised
        first, again = programs(), programs()
    assert first[0] is not again[0]  # rows are kept, each read builds its own instances
    Program.objects.filter(name="Stars").update(points_per_unit=3)  # no Django signal: only the trigger's notice tells
    for _ in range(100):
        if programs()[0].points_per_unit == 3:
            break
        time.sleep(0.05)
    assert programs()[0].points_per_unit == 3


@pytest.mark.django_db
def test_a_key_revoked_is_refused_at_once():
    key, secret = create_key("shop", ["orders:write"])
    assert check_key(secret).pk == key.pk
    assert check_key(secret).pk == key.pk  # from the memo, where the store notifies
    key.revoked_at = timezone.now()
    key.save()
    assert check_key(secret) is None
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert check_key(wrong) is None  # a wrong secret never passes, memoised prefix or not


@pytest.mark.django_db
def test_misses_are_not_memoised():
    assert programs("GBP") == [] and memo._rows == {}
    with pytest.raises(ValueError, match="not memoised"):  # a table no trigger watches cannot be memoised
        sql.first(Customer, memo=True, external_id="c1")
