"""The "Connect your shop" page, as an administrator uses it against a WooCommerce store played by a local
server: keys tested before anything is kept (a refusal shown on the form, the secret never echoed), the
reading's progress, webhooks and coupons at a glance, pause, resume, read now, and a removal that must be
typed."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from patron.connectors import services
from patron.connectors.models import Connection
from patron.core.models import AuditEvent
from patron.loyalty.models import Program
from tests.connectors.fake_woocommerce import KEY, SECRET, Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    shop = Store(customers=4, orders=12)
    yield shop
    shop.close()


@pytest.fixture
def admin(staff):
    Program.objects.create(name="Stars", currency="EUR", points_per_unit=1)
    return staff("admin")


def test_connecting_from_the_page_tests_the_keys_first(admin, store):
    page = admin.get(reverse("dashboard:shop"))
    assert "No shop is connected yet." in page.content.decode() and "Test and connect" in page.content.decode()
    wrong = admin.post(reverse("dashboard:connect_shop", args=["woocommerce"]),
                       {"url": store.url, "key": KEY, "secret": "cs_wrong0000000000000000000000000000000000"})
    html = wrong.content.decode()
    assert wrong.status_code == 400 and "refused the key" in html and "cs_wrong" not in html
    assert not Connection.objects.exists() and not store.webhooks
    typo = admin.post(reverse("dashboard:connect_shop", args=["shopify"]), {"shop": "arbatine.lt", "token": "x", "secret": "y"})
    assert typo.status_code == 400 and "myshopify.com" in typo.content.decode()
    done = admin.post(reverse("dashboard:connect_shop", args=["woocommerce"]), {"url": store.url, "key": KEY, "secret": SECRET})
    assert done.status_code == 302
    connection = Connection.objects.get()
    assert len(store.webhooks) == len(services.WOOCOMMERCE_TOPICS)
    assert AuditEvent.objects.filter(action="connection.add", actor__username="admin-user").exists()
    html = admin.get(reverse("dashboard:shop")).content.decode()
    assert "is connected" in html and connection.hint in html and "not read yet" in html and SECRET not in html


def test_the_page_shows_how_far_reading_has_come_and_what_the_shop_sent(admin, store):
    call_command("connect", "woocommerce", "--url", store.url, "--key", KEY, "--secret", SECRET, stdout=io.StringIO())
    call_command("sync", stdout=io.StringIO())
    html = admin.get(reverse("dashboard:shop")).content.decode()
    assert "all 12 read" in html and "all 4 read" in html  # every order row read (paid or not), and every customer
    assert "Read what changed" in html and "Last 24 hours: 0" in html


def test_pause_resume_read_now_and_remove(admin, store, monkeypatch):
    call_command("connect", "woocommerce", "--url", store.url, "--key", KEY, "--secret", SECRET, stdout=io.StringIO())
    connection = Connection.objects.get()
    act = lambda verb, **data: admin.post(reverse("dashboard:manage_shop", args=[connection.pk, verb]), data)  # noqa: E731
    act("pause")
    assert Connection.objects.get().state == Connection.State.PAUSED
    assert "Resume" in admin.get(reverse("dashboard:shop")).content.decode()
    act("resume")
    assert Connection.objects.get().state == Connection.State.CONNECTED
    assert AuditEvent.objects.filter(action__in=["connection.pause", "connection.resume"]).count() == 2
    started = []
    monkeypatch.setattr(services.subprocess, "Popen", lambda command, **kw: started.append(command))
    act("sync")
    assert started and started[0][-2:] == ["sync", str(connection.pk)]
    again = admin.post(reverse("dashboard:manage_shop", args=[connection.pk, "sync"]), follow=True).content.decode()
    assert "is being read already" in again and len(started) == 1
    assert 'hx-trigger="every 5s"' in again  # the page follows the reading
    act("remove", confirm="something else")
    assert Connection.objects.exists()
    act("remove", confirm=connection.address)
    assert not Connection.objects.exists() and AuditEvent.objects.filter(action="connection.remove").exists()
