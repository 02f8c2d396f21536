"""The admin speaks the staff member's language for Patron's own labels, and a map of translated names is a field
per language there too, not JSON."""

import pytest
from django.test import Client

from patron.loyalty.models import Program, Tier
from patron.segments.models import Segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(django_user_model):
    client = Client(HTTP_ACCEPT_LANGUAGE="lt")
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "a long enough password"))
    return client


def test_the_admin_index_names_patrons_apps_and_models_in_lithuanian(admin):
    page = admin.get("/admin/").content.decode()
    for lithuanian in ("Lojalumas", "Lygiai", "Kelionės", "Užsakymai ir prekės", "Aptarnavimo skyrius", "Knygos įrašai"):
        assert lithuanian in page, lithuanian
    for english in ("Orders and products", "Ledger entries", "Paid memberships", "Entrys"):
        assert english not in page, english


def test_a_tiers_names_are_a_field_per_language_in_the_admin(admin):
    program = Program.objects.create(name="Rewards", currency="EUR")
    form = admin.get("/admin/loyalty/tier/add/").content.decode()
    assert 'name="names_lv"' in form and 'name="names"' not in form and "Pavadinimas (LV)" in form
    response = admin.post("/admin/loyalty/tier/add/", {"program": program.pk, "name": "Gold", "names_lv": "Zelta",
                                                       "names_et": " Kuld ", "rank": 1, "threshold": 100, "multiplier": 1})
    assert response.status_code == 302, response.content.decode()[:3000]
    tier = Tier.objects.get()
    assert tier.names == {"lv": "Zelta", "et": "Kuld"}
    again = admin.get(f"/admin/loyalty/tier/{tier.pk}/change/").content.decode()
    assert 'value="Zelta"' in again and 'value="Kuld"' in again


def test_a_segment_has_names_and_the_journey_designer_shows_them(admin):
    Segment.objects.create(name="lapsed-vip", rules={"all": [{"field": "orders", "op": "gte", "value": 5}]}, names={"lt": "Prarasti VIP"})
    page = admin.get("/journeys/new/").content.decode()
    assert '<option value="lapsed-vip">Prarasti VIP</option>' in page


def test_georgian_labels_keep_their_first_letter(django_user_model):
    """Django capitalises every admin label; Georgian has no capitals, and the Mtavruli letters str.upper() makes are
    missing from most fonts."""
    client = Client(HTTP_ACCEPT_LANGUAGE="ka")
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "a long enough password"))
    Program.objects.create(name="Rewards", currency="EUR")
    for url in ("/admin/", "/admin/loyalty/reward/add/"):
        page = client.get(url).content.decode()
        assert not [c for c in page if "\u1c90" <= c <= "\u1cbf"], url  # no Mtavruli anywhere
    assert "პროგრამა" in page and "ჯილდოები" in page
