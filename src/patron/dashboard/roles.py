"""Who reaches what: the four staff roles, the pages and actions each may use, in one table.

A role is a Django group. A superuser is an admin. The permission matrix test reads PAGES and ACTIONS
and tries every role against every entry, so this table is the whole truth.
"""

from functools import wraps

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

ADMIN, MARKETER, SUPPORT, ANALYST = "admin", "marketer", "support", "analyst"
ROLES = (ADMIN, MARKETER, SUPPORT, ANALYST)
ROLE_NAMES = {ADMIN: _("Administrator"), MARKETER: _("Marketer"), SUPPORT: _("Support agent"), ANALYST: _("Analyst")}
EVERYONE = frozenset(ROLES)
INSIGHT = frozenset({ADMIN, MARKETER, ANALYST})

# Page: (title, roles). The navigation lists the pages a user's role may open, in this order.
PAGES = {
    "overview": (_("Overview"), INSIGHT),
    "cohorts": (_("Cohorts"), INSIGHT),
    "segments": (_("Segments"), INSIGHT),
    "matrix": (_("Loyalty matrix"), INSIGHT),
    "at_risk": (_("Worth saving"), EVERYONE),
    "customers": (_("Customers"), EVERYONE),
    "customer": (_("Customer"), EVERYONE),
    "loyalty": (_("Loyalty"), INSIGHT),
    "program": (_("Program setup"), frozenset({ADMIN})),
    "journeys": (_("Journeys"), INSIGHT),
    "messages": (_("Messages"), INSIGHT),
    "feedback": (_("Feedback"), EVERYONE),
    "service": (_("Service"), frozenset({ADMIN, SUPPORT, ANALYST})),
    "shop": (_("Shop"), frozenset({ADMIN})),
    "audit": (_("Audit log"), frozenset({ADMIN})),
}
NAVIGATION = [name for name in PAGES if name != "customer"]

# Actions change something; the analyst has none.
ACTIONS = {
    "grant_points": frozenset({ADMIN, MARKETER, SUPPORT}),
    "work_ticket": frozenset({ADMIN, SUPPORT}),  # reply, note, resolve with a gesture, take, prioritise
    "correct_points": frozenset({ADMIN}),
    "export_customer": frozenset({ADMIN}),
    "erase_customer": frozenset({ADMIN}),
    "toggle_journey": frozenset({ADMIN, MARKETER}),
    "design_journey": frozenset({ADMIN, MARKETER}),
    "test_journey": frozenset({ADMIN, MARKETER}),  # sends to the staff member's own address only
    "edit_message": frozenset({ADMIN, MARKETER}),
    "edit_brand": frozenset({ADMIN, MARKETER}),
    "connect_shop": frozenset({ADMIN}),  # its keys open the store: administrators only
    "manage_shop": frozenset({ADMIN}),
    "set_up_program": frozenset({ADMIN}),  # the program, its tiers, rewards, earning rules and paid plans
}

# Model permissions each group gets in the admin site (the admin role is a superuser's or has them all). A role
# with none does not reach the admin site at all (services.add_staff).
ADMIN_SITE = {
    MARKETER: {"segments": "all", "campaigns": "all", "messaging": "all", "loyalty": "view", "customers": "view"},
    SUPPORT: {},  # the service desk is on Patron's own pages: the admin site is not theirs
    ANALYST: {"segments": "view", "campaigns": "view", "messaging": "view", "loyalty": "view", "customers": "view",
              "service": "view", "feedback": "view", "commerce": "view", "insights": "view"},
}


def role_of(user) -> str | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if not hasattr(user, "_patron_role"):  # one query per request
        names = set(user.groups.values_list("name", flat=True)) if not user.is_superuser else {ADMIN}
        user._patron_role = next((role for role in ROLES if role in names), None)
    return user._patron_role


def may_open(user, page: str) -> bool:
    return role_of(user) in PAGES[page][1]


def may_do(user, action: str) -> bool:
    return role_of(user) in ACTIONS[action]


def page(name: str):
    """The view behind a page: sign-in required, then the role must be among the page's."""
    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not may_open(request.user, name):
                raise PermissionDenied(f"the {role_of(request.user) or 'no'} role cannot open {name}")
            request.page = name
            return view(request, *args, **kwargs)
        return guarded
    return decorate


def action(name: str):
    """A POST that changes something: the page's guard plus the action's roles."""
    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not may_do(request.user, name):
                raise PermissionDenied(f"the {role_of(request.user) or 'no'} role cannot {name}")
            return view(request, *args, **kwargs)
        return guarded
    return decorate


def context(request) -> dict:
    """Template context: the user's role and the pages in their navigation."""
    user = getattr(request, "user", None)
    role = role_of(user) if user is not None else None
    if role is None:
        return {"role": None, "navigation": []}
    return {
        "role": role, "role_name": ROLE_NAMES[role],
        "navigation": [(name, PAGES[name][0], reverse(f"dashboard:{name}")) for name in NAVIGATION if role in PAGES[name][1]],
        "current_page": getattr(request, "page", None),
        "can": {name: role in roles for name, roles in ACTIONS.items()},
    }


def ensure_groups(**kwargs) -> None:
    """One group per role, with its admin-site permissions; run after every migrate."""
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role)
        if role == ADMIN:
            group.permissions.set(Permission.objects.all())
            continue
        wanted = Permission.objects.none()
        for app, level in ADMIN_SITE[role].items():
            found = Permission.objects.filter(content_type__app_label=app)
            wanted = wanted | (found if level == "all" else found.filter(codename__startswith="view_"))
        group.permissions.set(wanted)
