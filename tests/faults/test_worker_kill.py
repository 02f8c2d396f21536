"""SIGKILL the worker mid-batch and start it again: nothing lost, nothing delivered twice under two ids."""

import collections
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.utils import timezone

from patron.customers.models import Customer
from patron.messaging.models import Message

pytestmark = pytest.mark.django_db(transaction=True)  # the worker is another process: it sees committed rows only
N = 400


def worker_env(port: int) -> dict:
    env = dict(os.environ, PATRON_SMTP_HOST="127.0.0.1", PATRON_SMTP_PORT=str(port), PATRON_QUIET_HOURS="")
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env["PATRON_HOME"] = os.path.dirname(db["NAME"])
        # The worker's settings would open PATRON_HOME/patron.sqlite3: point it at the test file instead.
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        env["DATABASE_URL"] = (f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    return env


def start_worker(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "patron.cli", "worker", "--once", "--no-journeys", "--batch", "50"],
                            env=worker_env(port), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_killed_worker_loses_nothing_and_resends_at_most_the_one_in_flight(mail_to):
    customers = Customer.objects.bulk_create([Customer(external_id=f"k{i}", email=f"k{i}@example.com", email_consent=True)
                                              for i in range(N)])
    now = timezone.now()
    Message.objects.bulk_create([Message(customer=c, template="tier_upgrade", channel="email", purpose="transactional",
                                         context={"tier": "Gold"}, created_at=now, due_at=now) for c in customers])
    first = start_worker(mail_to.port)
    deadline = time.monotonic() + 60
    while len(mail_to.messages) < 120 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.005)
    assert first.poll() is None, f"the worker ended before it could be killed: {first.stderr.read().decode()[-2000:]}"
    first.send_signal(signal.SIGKILL)
    first.wait()
    received_at_kill = len(mail_to.messages)
    assert 0 < received_at_kill < N
    assert Message.objects.filter(status="sending").exists()  # it died holding claimed messages

    second = start_worker(mail_to.port)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()[-2000:]

    ids = collections.Counter(m["Message-ID"] for m in mail_to.messages)
    assert Message.objects.filter(status="sent").count() == N
    assert len(ids) == N, "a message was lost"
    assert sum(ids.values()) - N <= 1, f"resent more than the one in flight: {sum(ids.values()) - N}"
    expected = {f"k{i}@example.com" for i in range(N)}
    assert {m["To"] for m in mail_to.messages} == expected


def test_several_delivery_processes_share_the_outbox_without_sending_twice(mail_to):
    customers = Customer.objects.bulk_create([Customer(external_id=f"p{i}", email=f"p{i}@example.com") for i in range(300)])
    now = timezone.now()
    Message.objects.bulk_create([Message(customer=c, template="tier_upgrade", channel="email", purpose="transactional",
                                         context={"tier": "Gold"}, created_at=now, due_at=now) for c in customers])
    done = subprocess.run([sys.executable, "-m", "patron.cli", "worker", "--once", "--no-journeys", "--batch", "20",
                           "--processes", "3", "--json"], env=worker_env(mail_to.port), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert json.loads(done.stdout)["delivery"]["sent"] == 300  # the three processes' counts add up
    ids = collections.Counter(m["Message-ID"] for m in mail_to.messages)
    assert len(ids) == 300 and max(ids.values()) == 1
    assert Message.objects.filter(status="sent").count() == 300
