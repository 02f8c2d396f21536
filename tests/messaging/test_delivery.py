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


def test_a_hard_bounce_suppresses_the_address_and_the_next_message_is_not_sent(mail_to, db):
    from patron.messaging.models import Suppression

    nobody = Customer.objects.create(external_id="nobody", email="nobody@example.com", email_consent=True)
    twin = Customer.objects.create(external_id="twin", email="Nobody@Example.com", email_consent=True)
    services.queue(nobody, "points_expiring", context={"points": 120, "expires_on": "2026-12-31"})
    assert deliver_due().failed == 1
    kept = Suppression.objects.get()
    assert (kept.channel, kept.address, kept.reason) == ("email", "nobody@example.com", "bounce") and "550 5.1.1" in kept.detail
    # The next message to that address, to this customer or another with it, is not attempted.
    services.queue(nobody, "points_expiring", context={"points": 50, "expires_on": "2026-12-31"})
    services.queue(twin, "points_expiring", context={"points": 50, "expires_on": "2026-12-31"})
    outcome = deliver_due()
    assert (outcome.sent, outcome.failed, outcome.suppressed) == (0, 0, 2) and outcome.reasons == {"bounced": 2}
    assert mail_to.messages == [] and Suppression.objects.count() == 1
    # The customer's page says so, to staff who wonder why nothing arrives.
    from django.contrib.auth import get_user_model
    from django.test import Client

    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "a long enough password"))
    page = staff.get(f"/customers/{nobody.pk}/").content.decode()
    assert "nobody@example.com bounced on" in page and "550 5.1.1" in page


@pytest.mark.parametrize("name, value, says", [
    ("PATRON_QUIET_HOURS", "late", "PATRON_QUIET_HOURS must be two hours 0-23 like 21-8"),
    ("PATRON_QUIET_HOURS", "21-25", "PATRON_QUIET_HOURS must be two hours 0-23 like 21-8"),
    ("PATRON_FREQUENCY_CAP", "three", "PATRON_FREQUENCY_CAP must be a whole number"),
    ("PATRON_FREQUENCY_CAP_DAYS", "0", "PATRON_FREQUENCY_CAP_DAYS must be a whole number of at least 1"),
    ("PATRON_DEFAULT_TIMEZONE", "Europe/Atlantis", "PATRON_DEFAULT_TIMEZONE must be an IANA time zone"),
    ("PATRON_REPORTING_CURRENCY", "EUX", "PATRON_REPORTING_CURRENCY must be an ISO 4217 currency code"),
])
def test_a_bad_messaging_setting_stops_the_worker_at_start_naming_it(name, value, says, tmp_path):
    env = dict(os.environ, PATRON_HOME=str(tmp_path), **{name: value})
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "patron.cli", "worker", "--once"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and says in done.stderr
