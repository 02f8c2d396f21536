"""Delivery statuses commit without waiting for the disk (a lost one only means a resend); nothing else
the same connection writes afterwards may inherit that."""

import pytest
from django.db import connection

from patron.customers.models import Customer
from patron.messaging import services
from patron.messaging.delivery import deliver_due
from patron.messaging.models import Message


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)  # outside a test's transaction, as the worker runs
def test_delivery_does_not_leave_its_commit_setting_on_the_connection(mail_to):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no synchronous_commit (the suite runs on both)")
    anna = Customer.objects.create(external_id="anna", email="anna@example.com", email_consent=True)
    services.queue(anna, "points_expiring", context={"points": 120, "expires_on": "2026-12-31"})
    assert synchronous_commit() == "on"
    assert deliver_due().sent == 1
    assert Message.objects.get(customer=anna).status == "sent"
    # The journeys and the ledger write on this connection next: their commits must wait for the disk.
    assert synchronous_commit() == "on"
