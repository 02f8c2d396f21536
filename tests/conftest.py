import csv
import email
import email.policy
import socket
import threading
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from patron.imports import kinds
from patron.imports.runner import run_import


@pytest.fixture
def write_csv(tmp_path):
    """write_csv(name, header, rows) -> Path of a UTF-8 CSV file."""

    def write(name: str, header: list[str], rows: list[list]) -> Path:
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def run(db):
    """run(kind, path) -> ImportResult through the real engine."""

    def go(kind: str, path):
        return run_import(kinds()[kind], path)

    return go


def read_rejects(path: Path) -> list[dict]:
    with open(str(path) + ".rejects.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


CUSTOMER_HEADER = ["external_id", "email", "phone", "first_name", "last_name", "language", "country",
                   "timezone", "birth_date", "created_at", "email_consent", "sms_consent"]

class Inbox:
    """What a real SMTP server (aiosmtpd, on a free local port) received."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # Addresses at these local parts answer as real servers do when they refuse one recipient.
        if address.startswith("greylisted@"):
            return "450 4.2.0 greylisted, try again later"
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture
def mail_to(smtp_server, settings):
    """Point Django's SMTP backend at the test server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return smtp_server
