"""Connecting a shop, testing the connection, listing and removing connections (every change audited)."""

from __future__ import annotations

from secrets import token_urlsafe
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from patron.connectors import secrets
from patron.connectors.models import Connection
from patron.connectors.woocommerce import ShopRefused, ShopUnreachable, WooCommerce
from patron.core import audit
from patron.core.errors import InvalidInput, NotFound

CONNECTED, REMOVED = "connection.add", "connection.remove"
WOOCOMMERCE_TOPICS = ("order.created", "order.updated", "order.deleted", "customer.created", "customer.updated",
                      "product.created", "product.updated")
READS = {Connection.Kind.WOOCOMMERCE: "customers, orders with their lines and refunds, products and categories"}
WRITES = {Connection.Kind.WOOCOMMERCE: "coupons (the codes Patron gives), and webhooks that tell Patron of new orders"}


class ConnectionNotFound(NotFound):
    code = "connection_not_found"


def store_url(value: str) -> str:
    """The store's address, checked: http(s), a host, no credentials or query in it."""
    url = (value or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query or parts.fragment:
        raise InvalidInput(f"{value!r} is not a store address such as https://shop.example.lt", field="url")
    return url


def client(connection: Connection) -> WooCommerce:
    keys = secrets.unseal(connection.credentials)
    return WooCommerce(connection.address, keys["key"], keys["secret"])


def connect_woocommerce(url: str, key: str, secret: str, *, actor=None) -> Connection:
    """Test the keys against the store, then keep the connection (the same store again: its keys replaced)."""
    url = store_url(url)
    key, secret = (key or "").strip(), (secret or "").strip()
    if not key.startswith("ck_") or not secret.startswith("cs_"):
        raise InvalidInput("WooCommerce keys look like ck_... (consumer key) and cs_... (consumer secret); make them under "
                           "WooCommerce > Settings > Advanced > REST API", field="key")
    shop = WooCommerce(url, key, secret)
    store = shop.store()
    webhook_secret = token_urlsafe(32)
    with transaction.atomic():
        connection, _ = Connection.objects.update_or_create(
            kind=Connection.Kind.WOOCOMMERCE, address=url,
            defaults={"credentials": secrets.seal({"key": key, "secret": secret, "webhook_secret": webhook_secret}),
                      "hint": secrets.hint(key), "state": Connection.State.CONNECTED, "store_currency": store.currency,
                      "store_name": store.url, "last_error": "", "last_error_at": None})
        # The store tells Patron of every change from now on; if it refuses, nothing is kept.
        for topic in WOOCOMMERCE_TOPICS:
            shop.post("webhooks", {"name": f"Patron: {topic}", "topic": topic, "secret": webhook_secret,
                                   "delivery_url": settings.PATRON_BASE_URL + reverse("hooks-woocommerce", args=[connection.pk])})
        audit.record(actor, CONNECTED, f"connection:{connection.pk}", kind=connection.kind, address=url)
    return connection


def get_connection(connection_id) -> Connection:
    try:
        return Connection.objects.get(pk=int(connection_id))
    except (Connection.DoesNotExist, TypeError, ValueError):
        raise ConnectionNotFound(f"no connection {connection_id!r}; `patron connect list` shows them") from None


def test(connection: Connection):
    """Call the store; the connection's state and last error say how it went."""
    now = timezone.now()
    try:
        store = client(connection).store()
    except (ShopUnreachable, ShopRefused, secrets.CredentialsUnreadable) as exc:
        Connection.objects.filter(pk=connection.pk).update(state=Connection.State.FAILING, last_error=exc.message[:500],
                                                           last_error_at=now)
        raise
    Connection.objects.filter(pk=connection.pk).update(state=Connection.State.CONNECTED, last_error="", last_error_at=None,
                                                       store_currency=store.currency)
    return store


def remove(connection: Connection, *, actor=None) -> None:
    with transaction.atomic():
        audit.record(actor, REMOVED, f"connection:{connection.pk}", kind=connection.kind, address=connection.address)
        connection.delete()
