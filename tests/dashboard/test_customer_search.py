"""The customer search finds a customer by name as staff type it, besides the external id and the email."""

import pytest

from patron.customers.models import Customer
from patron.dashboard import queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    Customer.objects.create(external_id="C-1", email="ieva@example.lv", first_name="Ieva", last_name="Kalniņa")
    Customer.objects.create(external_id="C-2", email="ieva.b@example.lv", first_name="Ieva", last_name="Bērziņa")
    Customer.objects.create(external_id="C-3", email="janis@example.lv", first_name="Jānis", last_name="Van der Berg")


@pytest.mark.parametrize("typed, found", [
    ("ieva", {"C-1", "C-2"}), ("kalniņa", {"C-1"}), ("Ieva Kalniņa", {"C-1"}),
    ("Kalniņa  Ieva", {"C-1"}), ("Jānis Van der Berg", {"C-3"}), ("C-2", {"C-2"}), ("IEVA@example.lv", {"C-1"}),
    ("Ieva Ozola", set()),
])
def test_a_customer_is_found_by_name_id_or_email(people, typed, found):
    assert {c.external_id for c in queries.customers(search=typed).rows} == found


def test_the_page_searches_by_name(admin_client, people):
    html = admin_client.get("/customers/", {"q": "Ieva Kalniņa"}).content.decode()
    assert "ieva@example.lv" in html and "ieva.b@example.lv" not in html
