"""Every page drawn from the nightly figures says how old they are; only an administrator is told the command
that refreshes them."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from patron.dashboard.models import Snapshot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("age_hours, stale, said", [(3, False, "3 hours ago"), (30, True, "1 day ago")])
def test_the_figures_say_their_age_and_the_command_is_for_administrators(staff, age_hours, stale, said):
    Snapshot.objects.update_or_create(name="loyalty", defaults={"computed_at": timezone.now() - dt.timedelta(hours=age_hours),
                                                               "data": {}})
    admin = staff("admin").get(reverse("dashboard:loyalty")).content.decode()
    analyst = staff("analyst").get(reverse("dashboard:loyalty")).content.decode()
    for page in (admin, analyst):
        assert f"({said})" in page
        assert ("more than a day old" in page) is stale
    assert "patron score" in admin and "patron score" not in analyst


def test_the_age_is_said_in_the_staff_members_language(staff):
    Snapshot.objects.update_or_create(name="loyalty", defaults={"computed_at": timezone.now() - dt.timedelta(hours=9),
                                                               "data": {}})
    client = staff("analyst")
    client.post(reverse("dashboard:language"), {"language": "lt"})
    assert "(prieš 9 valandas)" in client.get(reverse("dashboard:loyalty")).content.decode()
