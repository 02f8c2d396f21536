import csv
import datetime as dt
import email
import email.policy
import re
import socket
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test import Client
from django.test.client import ClientHandler
from django.utils import timezone

from patron.core import memo
from patron.messaging import products
from patron.customers.services import upsert_customer
from patron.imports import kinds
from patron.imports.runner import run_import
from patron.loyalty import services as loyalty
from patron.loyalty.models import PaidPlan, Program, Reward, Tier
from patron.wsgi import ApiMiddleware


class ApiClientHandler(ApiMiddleware, ClientHandler):
    pass


class ApiClient(Client):
    """A test client whose requests pass through the API's middleware, as patron.wsgi routes /api/ when served."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.handler = ApiClientHandler(self.handler.enforce_csrf_checks)


@pytest.fixture(scope="session", autouse=True)
def memo_listener(django_db_setup):
    """The memos' listening connection holds the test database: it closes before the database is dropped."""
    yield
    memo.stop()


@pytest.fixture(autouse=True)
def fresh_memos():
    """A rolled-back test writes no notice: no memo (nor the catalogue's ranking) outlives its test."""
    memo.clear()
    products.forget()
    yield
    memo.clear()
    products.forget()


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


# The member portal's shop (used by tests/portal and the browser tests in tests/web).
PORTAL_LINK = re.compile(r"(https?://\S+/portal/in/[A-Za-z0-9_-]+/)")


@pytest.fixture
def shop(db, settings):
    """A program with tiers, rewards, a paid plan, and two customers with points."""
    settings.PATRON_BASE_URL = "http://testserver"
    program = Program.objects.create(name="Stars", currency="EUR", referrer_bonus=200, friend_bonus=100, expiry_days=365)
    silver = Tier.objects.create(program=program, name="Silver", rank=1, threshold=500)
    gold = Tier.objects.create(program=program, name="Gold", rank=2, threshold=2000)
    coffee = Reward.objects.create(program=program, name="Free coffee", kind="free_product", sku="COF", cost=300)
    voucher = Reward.objects.create(program=program, name="10 EUR voucher", kind="discount_amount", value=10, cost=1000)
    golden = Reward.objects.create(program=program, name="Tasting evening", kind="gift", cost=200, min_tier=gold)
    members = Reward.objects.create(program=program, name="Members' mug", kind="gift", cost=100, members_only=True)
    plan = PaidPlan.objects.create(program=program, name="Stars Plus", fee=Decimal("49.00"), period_months=12,
                                   earn_multiplier=Decimal("2"), free_delivery=True, save_offer_percent=30)
    ieva = upsert_customer("ieva", email="ieva@example.com", first_name="Ieva", language="lt", email_consent=True)[0]
    jonas = upsert_customer("jonas", email="jonas@example.com", first_name="Jonas", language="en")[0]
    loyalty.earn(program, ieva, 820, reason="order", reference="o-1", at=timezone.now() - dt.timedelta(days=3))
    loyalty.earn(program, jonas, 5000, reason="order", reference="o-2")
    return {"program": program, "silver": silver, "gold": gold, "coffee": coffee, "voucher": voucher, "golden": golden,
            "members": members, "plan": plan, "ieva": ieva, "jonas": jonas}


def run_together(works):
    """Start every work at the same moment, each on its own connection; their results or error codes."""
    outcomes, barrier = [], threading.Barrier(len(works))

    def go(work):
        try:
            barrier.wait()
            outcomes.append(work())
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test counts
            outcomes.append(getattr(exc, "code", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
