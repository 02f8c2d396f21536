"""The admin names Patron's icon (and /favicon.ico leads to it: no 404 on any page) and its models properly."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_pages_name_the_icon_and_favicon_ico_leads_to_it(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert 'rel="icon"' in html and "dashboard/favicon" in html
    answer = admin_client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"].endswith("dashboard/favicon.svg")


def test_the_admin_names_the_ledger_entries_properly(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "Ledger entries" in html and "Entrys" not in html
