"""Every outside call gives up in time: a mail server, an SMS gateway or a webhook that accepts the
connection and never answers costs a bounded wait, and the message stays in the outbox for later."""

import datetime as dt
import io
import socket
import time

import pytest
from django.core.management import call_command

from patron.customers.models import Customer
from patron.messaging.delivery import deliver_due
from patron.messaging.models import Message

NOW = dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_server():
    """A server that accepts connections and never says a word: its address."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(20)
    yield listener.getsockname()
    listener.close()


def queued(channel: str, **person) -> Message:
    customer = Customer.objects.create(external_id=f"c-{channel}", language="et", **person)
    return Message.objects.create(customer=customer, template="birthday", channel=channel, purpose="marketing",
                                  created_at=NOW, due_at=NOW, context={"coupon": "AAAA", "discount": {"kind": "percent", "value": "10"}})


def test_a_mail_server_that_never_answers_costs_the_worker_its_timeout(settings, silent_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = silent_server
    settings.EMAIL_TIMEOUT, settings.PATRON_QUIET_HOURS = 1, ""
    message = queued("email", email="a@example.ee", email_consent=True)
    started = time.monotonic()
    outcome = deliver_due(NOW)
    assert time.monotonic() - started < 5 and outcome.retried == 1
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and "timed out" in message.reason and message.due_at > NOW


@pytest.mark.parametrize("channel", ["sms", "webhook"])
def test_a_gateway_that_never_answers_costs_its_read_timeout(settings, silent_server, channel):
    url = "http://{}:{}/hook".format(*silent_server)
    settings.PATRON_SMS_GATEWAY_URL = settings.PATRON_WEBHOOK_URL = url
    settings.PATRON_HTTP_CONNECT_TIMEOUT, settings.PATRON_HTTP_READ_TIMEOUT, settings.PATRON_QUIET_HOURS = 1, 1, ""
    message = queued(channel, phone="+37250000001", sms_consent=True, email="w@example.ee", email_consent=True)
    started = time.monotonic()
    outcome = deliver_due(NOW)
    assert time.monotonic() - started < 5 and outcome.retried == 1
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and "timed out" in message.reason


def test_without_a_mail_server_nothing_is_sent_or_printed(settings, capsys):
    settings.EMAIL_BACKEND = "patron.messaging.channels.NoMailServer"
    settings.PATRON_QUIET_HOURS = ""
    message = queued("email", email="b@example.ee", email_consent=True)
    call_command("worker", "--once", "--no-journeys", stdout=io.StringIO())
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and "no mail server is set (PATRON_SMTP_HOST)" in message.reason
    printed = capsys.readouterr()
    assert "b@example.ee" not in printed.out + printed.err and "AAAA" not in printed.out + printed.err


def test_the_default_without_an_smtp_host_is_no_server(monkeypatch):
    import importlib

    import patron.settings as module

    monkeypatch.delenv("PATRON_SMTP_HOST", raising=False)
    monkeypatch.delenv("PATRON_EMAIL_BACKEND", raising=False)
    try:
        assert importlib.reload(module).EMAIL_BACKEND == "patron.messaging.channels.NoMailServer"
    finally:
        importlib.reload(module)
