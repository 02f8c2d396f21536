"""Every action of every admin screen declares the permission it needs, and each role may run exactly
the actions its row in dashboard.roles.ADMIN_SITE allows: a view-only role runs none."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from patron.campaigns import services as journeys
from patron.campaigns.models import Journey
from patron.core.models import AuditEvent
from patron.dashboard import roles
from patron.dashboard.services import add_staff

pytestmark = pytest.mark.django_db


def may_change(role: str, app_label: str) -> bool:
    return role == roles.ADMIN or roles.ADMIN_SITE[role].get(app_label) == "all"


def test_every_admin_action_declares_its_permission():
    undeclared = [f"{model._meta.label}.{name}" for model, model_admin in admin.site._registry.items()
                  if model.__module__.startswith("patron.")
                  for name in (model_admin.actions or []) + ["delete_selected"]
                  if not getattr(model_admin.get_action(name)[0], "allowed_permissions", None)]
    assert undeclared == []


def test_each_role_is_offered_exactly_the_actions_its_row_allows():
    users = {role: add_staff(f"{role}-user", role)[0] for role in roles.ROLES}
    walked = 0
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.actions or []:
            for role, user in users.items():
                request = RequestFactory().get("/admin/")
                request.user = user
                offered = model_admin.has_view_or_change_permission(request) and name in model_admin.get_actions(request)
                assert offered == may_change(role, model._meta.app_label), (role, model._meta.label, name)
                walked += 1
    assert walked >= 3 * len(roles.ROLES)


def test_the_analyst_cannot_switch_a_journey_on_through_the_admin(staff):
    journeys.ensure_builtin()
    welcome = Journey.objects.get(key="welcome")
    url = "/admin/campaigns/journey/"
    analyst = staff("analyst")
    analyst.post(url, {"action": "enable_journeys", "_selected_action": [welcome.pk]})
    welcome.refresh_from_db()
    assert not welcome.enabled and not AuditEvent.objects.exists()
    marketer = staff("marketer")
    assert marketer.post(url, {"action": "enable_journeys", "_selected_action": [welcome.pk]}).status_code == 302
    welcome.refresh_from_db()
    assert welcome.enabled
    event = AuditEvent.objects.get()
    assert (event.action, event.target, event.actor_name) == ("journey.on", "journey:welcome", "marketer-user")


def test_every_switch_of_a_journey_is_audited(staff):
    journeys.ensure_builtin()
    journeys.enable("welcome", actor="cli:ona")
    journeys.disable("welcome")
    staff("marketer").post(reverse("dashboard:toggle_journey", args=["welcome", "on"]), {"enter": "from_now"})
    trail = list(AuditEvent.objects.order_by("pk").values_list("action", "actor_name"))
    assert trail[:2] == [("journey.on", "cli:ona"), ("journey.off", trail[1][1])] and trail[1][1].startswith("cli")
    assert len(trail) == 3 and trail[2] == ("journey.on", "marketer-user")
