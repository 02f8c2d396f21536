import pytest
from django.test import Client

from patron.dashboard import roles
from patron.dashboard.services import add_staff


@pytest.fixture
def staff(db):
    """staff(role) -> a Client signed in as a fresh member of that role."""
    def signed_in(role: str) -> Client:
        user, _password = add_staff(f"{role}-user", role)
        client = Client()
        client.force_login(user)
        return client
    return signed_in


@pytest.fixture
def every_role(staff):
    return {role: staff(role) for role in roles.ROLES}
