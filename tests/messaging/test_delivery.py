"""How the worker answers a mail server that refuses a recipient: for good (5xx) or for now (4xx)."""

import datetime as dt
import os
import subprocess
import sys

import pytest

from patron.customers.models import Customer
from patron.messaging import services
from patron.messaging.delivery import deliver_due
from patron.messaging.models import Message


def test_a_refused_address_fails_a_deferred_one_is_retried_and_the_rest_go(mail_to, db):
    people = {name: Customer.objects.create(external_id=name, email=f"{name}@example.com", email_consent=True)
              for name in ("nobody", "greylisted", "anna")}
    for customer in people.values():
        services.queue(customer, "points_expiring", context={"points": 120, "expires_on": "2026-12-31"})

    outcome = deliver_due()

    assert (outcome.sent, outcome.failed, outcome.retried) == (1, 1, 1)
    assert [m["To"] for m in mail_to.messages] == ["anna@example.com"]
    refused = Message.objects.get(customer=people["nobody"])
    assert refused.status == "failed" and "550" in refused.reason
    deferred = Message.objects.get(customer=people["greylisted"])
    assert deferred.status == "queued" and deferred.attempts == 1 and "450" in deferred.reason
    assert deferred.due_at > dt.datetime.now(dt.UTC)  # backs off rather than hammering the server
    # The server accepts it later: the retry delivers it.
    Customer.objects.filter(pk=people["greylisted"].pk).update(email="greylisted.ok@example.com")
    deliver_due(deferred.due_at + dt.timedelta(seconds=1))
    assert Message.objects.get(pk=deferred.pk).status == "sent"
    assert mail_to.to("greylisted.ok@example.com")


@pytest.mark.parametrize("name, value, says", [
    ("PATRON_QUIET_HOURS", "late", "PATRON_QUIET_HOURS must be two hours 0-23 like 21-8"),
    ("PATRON_QUIET_HOURS", "21-25", "PATRON_QUIET_HOURS must be two hours 0-23 like 21-8"),
    ("PATRON_FREQUENCY_CAP", "three", "PATRON_FREQUENCY_CAP must be a whole number"),
    ("PATRON_FREQUENCY_CAP_DAYS", "0", "PATRON_FREQUENCY_CAP_DAYS must be a whole number of at least 1"),
    ("PATRON_DEFAULT_TIMEZONE", "Europe/Atlantis", "PATRON_DEFAULT_TIMEZONE must be an IANA time zone"),
])
def test_a_bad_messaging_setting_stops_the_worker_at_start_naming_it(name, value, says, tmp_path):
    env = dict(os.environ, PATRON_HOME=str(tmp_path), **{name: value})
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "patron.cli", "worker", "--once"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and says in done.stderr
