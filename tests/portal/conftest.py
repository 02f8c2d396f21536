import pytest
from django.test import Client
from django.utils import timezone


@pytest.fixture
def signed_in(shop):
    """signed_in(customer) -> a Client whose portal session belongs to that customer."""
    def make(customer) -> Client:
        client = Client()
        session = client.session
        session["portal_customer"] = customer.pk
        session["portal_seen"] = int(timezone.now().timestamp())
        session.save()
        return client
    return make
