"""Staff accounts, their roles and their own choices: the one place that writes them (the CLI, the demo, the pages and the tests call it)."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from patron.core.errors import InvalidInput
from patron.dashboard.models import StaffProfile
from patron.dashboard.roles import ADMIN, ADMIN_SITE, ROLES, ensure_groups


def set_language(user, language: str) -> str:
    """The staff member's dashboard language, kept on their profile."""
    StaffProfile.objects.update_or_create(user=user, defaults={"language": language})
    return language


@transaction.atomic
def add_staff(username: str, role: str, *, email: str = "", password: str | None = None) -> tuple[object, str]:
    """Create or update a staff member with exactly one role; returns the user and the password set
    (a new random one unless given)."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not {role!r}", field="role")
    username = (username or "").strip()
    if not username:
        raise InvalidInput("a staff member needs a username", field="username")
    email = (email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(f"not an email address: {email!r}", field="email") from None
    if not Group.objects.filter(name=role).exists():
        ensure_groups()
    users = get_user_model()
    user = users.objects.filter(username=username).first() or users(username=username)
    password = password or secrets.token_urlsafe(12)
    user.email = email or user.email
    user.is_staff = bool(role == ADMIN or ADMIN_SITE[role])  # the admin site shows each role its group's permissions
    user.is_superuser = role == ADMIN
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    return user, password
