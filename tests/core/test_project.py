import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from patron.commerce.models import Order
from patron.customers.models import Customer


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.skipif(bool(__import__("os").environ.get("DATABASE_URL")), reason="the embedded store is SQLite only")
def test_embedded_store_is_sqlite_in_wal_mode_under_patron_home(tmp_path):
    env = {k: v for k, v in __import__("os").environ.items() if k != "DATABASE_URL"} | {"PATRON_HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "patron.cli", "migrate", "-v0"], env=env, check=True, timeout=120)
    with sqlite3.connect(tmp_path / "patron.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM django_migrations").fetchone()[0] > 10
    assert (tmp_path / "secret_key").exists()


@pytest.fixture
def staff(db, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@shop.lt", "a long enough password")
    client = Client()
    client.force_login(user)
    return client


def test_admin_lists_search_and_open_customers_and_orders(staff):
    jonas = Customer.objects.create(external_id="c1", email="jonas@example.lt", last_name="Jonaitis", language="lt")
    Customer.objects.create(external_id="c2", email="ona@example.lt", last_name="Onaitė")
    Order.objects.create(external_id="o1", customer=jonas, placed_at="2025-01-01T00:00:00Z", total=5, currency="EUR")
    page = staff.get("/admin/customers/customer/", {"q": "JONAS@example.lt"})
    assert page.status_code == 200 and b"Jonaitis" in page.content and b"ona@example.lt" not in page.content
    for term in ("Ona", "ona", " c2 "):  # a last-name prefix as typed or capitalised, an external id
        found = staff.get("/admin/customers/customer/", {"q": term}).content
        assert b"Onait" in found and b"Jonaitis" not in found, term
    assert staff.get("/admin/customers/customer/", {"language": "lt", "email_consent__exact": "1"}).status_code == 200
    assert staff.get(f"/admin/customers/customer/{jonas.pk}/change/").status_code == 200
    orders = staff.get("/admin/commerce/order/", {"q": "c1"})
    assert orders.status_code == 200 and b"o1" in orders.content
    Order.objects.create(external_id="o2", customer=jonas, placed_at="2025-02-01T00:00:00Z", total=7, currency="EUR", status="refunded")
    refunded = staff.get("/admin/commerce/order/", {"status": "refunded"}).content
    assert b">o2<" in refunded and b">o1<" not in refunded
    completed = staff.get("/admin/commerce/order/", {"status": "completed"}).content
    assert b">o1<" in completed and b">o2<" not in completed
    by_id = staff.get("/admin/commerce/order/", {"q": "o2"}).content
    assert b">o2<" in by_id and b">o1<" not in by_id


def test_admin_edit_goes_through_the_service(staff):
    jonas = Customer.objects.create(external_id="c1", email="jonas@example.lt")
    form = {"external_id": "c1", "email": "BAD", "created_at_0": "2025-01-01", "created_at_1": "00:00:00",
            "attributes": "{}", "consent_events-TOTAL_FORMS": "0", "consent_events-INITIAL_FORMS": "0"}
    from patron.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        staff.post(f"/admin/customers/customer/{jonas.pk}/change/", form)
    form["email"] = "New@Example.lt"
    staff.post(f"/admin/customers/customer/{jonas.pk}/change/", form)
    assert Customer.objects.get(pk=jonas.pk).email == "new@example.lt"


def test_root_leads_to_the_app(client):
    assert client.get("/").status_code == 302


def test_settings_come_from_the_environment():
    assert settings.PATRON_DEFAULT_CURRENCY == "EUR"
    assert settings.DATABASES["default"]["ENGINE"] in ("django.db.backends.sqlite3", "django.db.backends.postgresql")
