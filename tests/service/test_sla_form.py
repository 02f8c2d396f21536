"""The SLA policy's admin form accepts its own defaults (escalate_at was the float 0.8, refused as having more
than two decimal places)."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from patron.service.models import SlaPolicy

pytestmark = pytest.mark.django_db


def test_a_policy_saved_with_every_default_is_kept(admin_client):
    page = admin_client.get(reverse("admin:service_slapolicy_add"))
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        value = value() if callable(value) else value
        if value is None:
            continue
        data[name] = json.dumps(value) if isinstance(value, (dict, list)) else value
    data["name"] = "Riga team"
    answer = admin_client.post(reverse("admin:service_slapolicy_add"), data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    assert SlaPolicy.objects.get(name="Riga team").escalate_at == Decimal("0.80")


def test_a_policy_with_every_default_passes_its_own_checks():
    policy = SlaPolicy(name="Tbilisi team")
    policy.full_clean()  # the float default had 52 decimal places here
    policy.save()
    assert SlaPolicy.objects.get(name="Tbilisi team").escalate_at == Decimal("0.80")
