"""Connecting a shop, testing the connection, listing and removing connections (every change audited)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from secrets import token_urlsafe
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patron.commerce import services as commerce
from patron.commerce.models import Order, Refund
from patron.connectors import secrets, shopify, woocommerce
from patron.connectors.models import Connection
from patron.connectors.platform import ShopRefused, ShopUnreachable
from patron.connectors.shopify import Shopify
from patron.connectors.woocommerce import WooCommerce
from patron.core import audit
from patron.core.errors import InvalidInput, NotFound, PatronError
from patron.loyalty import earning

CONNECTED, REMOVED, PAUSED, RESUMED = "connection.add", "connection.remove", "connection.pause", "connection.resume"
RESOURCES = ("products", "customers", "orders")
STALE_SYNC = dt.timedelta(hours=2)  # a sync that has merged nothing for this long is taken to have died
WOOCOMMERCE_TOPICS = ("order.created", "order.updated", "order.deleted", "customer.created", "customer.updated",
                      "product.created", "product.updated")
SHOPIFY_TOPICS = ("orders/create", "orders/updated", "orders/paid", "refunds/create", "customers/create",
                  "customers/update", "products/update", "checkouts/create", "checkouts/update")
READS = {Connection.Kind.WOOCOMMERCE: _("customers, orders with their lines and refunds, products and categories"),
         Connection.Kind.SHOPIFY: _("customers with their email and SMS marketing consent, orders with their lines and "
                                    "refunds, products and product types, checkouts")}
WRITES = {Connection.Kind.WOOCOMMERCE: _("webhooks that tell Patron of new and changed orders, customers and products; "
                                         "coupons with Patron's codes"),
          Connection.Kind.SHOPIFY: _("webhooks that tell Patron of new and changed orders, refunds, customers, products "
                                     "and checkouts; price rules and discount codes with Patron's codes")}
PER_PAGE = {Connection.Kind.WOOCOMMERCE: 100, Connection.Kind.SHOPIFY: 250}  # each platform's most


class ConnectionNotFound(NotFound):
    code = "connection_not_found"


def store_url(value: str) -> str:
    """The store's address, checked: http(s), a host, no credentials or query in it."""
    url = (value or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query or parts.fragment:
        raise InvalidInput(f"{value!r} is not a store address such as https://shop.example.lt", field="url")
    return url


def client(connection: Connection) -> WooCommerce | Shopify:
    keys = secrets.unseal(connection.credentials)
    if connection.kind == Connection.Kind.SHOPIFY:
        return Shopify(connection.address, keys["token"], keys.get("api_base", ""))
    return WooCommerce(connection.address, keys["key"], keys["secret"])


def platform(connection: Connection):
    """The module that reads the platform's JSON as Patron's rows (customer_row, order_rows, refunds_of, ...)."""
    return shopify if connection.kind == Connection.Kind.SHOPIFY else woocommerce


def product_row(connection: Connection, row: dict) -> dict:
    if connection.kind == Connection.Kind.SHOPIFY:
        return shopify.product_row(row, connection.store_currency, connection.store_name or connection.address)
    return woocommerce.product_row(row, connection.store_currency)


def hook_url(connection: Connection) -> str:
    return settings.PATRON_BASE_URL + reverse(f"hooks-{connection.kind}", args=[connection.pk])


def connect_woocommerce(url: str, key: str, secret: str, *, actor=None) -> Connection:
    """Test the keys against the store, then keep the connection (the same store again: its keys replaced)."""
    url = store_url(url)
    key, secret = (key or "").strip(), (secret or "").strip()
    if not key.startswith("ck_") or not secret.startswith("cs_"):
        raise InvalidInput("WooCommerce keys look like ck_... (consumer key) and cs_... (consumer secret); make them under "
                           "WooCommerce > Settings > Advanced > REST API", field="key")
    shop = WooCommerce(url, key, secret)
    store = shop.store()
    before = Connection.objects.filter(kind=Connection.Kind.WOOCOMMERCE, address=url).first()
    try:  # connected again: the webhooks already in the store keep their secret
        webhook_secret = secrets.unseal(before.credentials)["webhook_secret"] if before else None
    except (secrets.CredentialsUnreadable, KeyError):
        webhook_secret = None
    with transaction.atomic():
        connection, _ = Connection.objects.update_or_create(
            kind=Connection.Kind.WOOCOMMERCE, address=url,
            defaults={"credentials": secrets.seal({"key": key, "secret": secret, "webhook_secret": webhook_secret or ""}),
                      "hint": secrets.hint(key), "state": Connection.State.CONNECTED, "store_currency": store.currency,
                      "store_name": store.url, "last_error": "", "last_error_at": None})
        # The store tells Patron of every change from now on; if it refuses, nothing is kept. Webhooks already
        # there for this address are kept when their secret is known, and replaced when it is not.
        address, kept = hook_url(connection), set()
        for hook in shop.webhooks():
            if hook.get("delivery_url") != address:
                continue
            if webhook_secret and hook.get("status") == "active" and hook.get("topic") not in kept:
                kept.add(hook.get("topic"))
            else:
                shop.delete(f"webhooks/{hook['id']}")
        if not webhook_secret:
            webhook_secret = token_urlsafe(32)
            Connection.objects.filter(pk=connection.pk).update(credentials=secrets.seal(
                {"key": key, "secret": secret, "webhook_secret": webhook_secret}))
        for topic in WOOCOMMERCE_TOPICS:
            if topic not in kept:
                shop.register(topic, address, webhook_secret)
        audit.record(actor, CONNECTED, f"connection:{connection.pk}", kind=connection.kind, address=url)
    return connection


SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


def connect_shopify(shop: str, token: str, app_secret: str, *, api_base: str = "", actor=None) -> Connection:
    """Test the token against the shop, register Patron's webhooks, keep the connection. Shopify signs webhooks
    with the app's API secret key (not the access token), so both are needed."""
    domain = (shop or "").strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not SHOP_DOMAIN.match(domain):
        raise InvalidInput(f"{shop!r} is not a shop domain such as my-shop.myshopify.com (the shop's own "
                           ".myshopify.com address, not its public domain)", field="shop")
    token, app_secret = (token or "").strip(), (app_secret or "").strip()
    if not token.startswith(("shpat_", "shpca_", "shppa_")):
        raise InvalidInput("a Shopify Admin API access token looks like shpat_...; make it under Settings > Apps and "
                           "sales channels > Develop apps", field="token")
    if len(app_secret) < 16:
        raise InvalidInput("--secret is the app's API secret key (Shopify signs webhooks with it)", field="secret")
    if api_base:
        api_base = store_url(api_base)
    client_ = Shopify(domain, token, api_base)
    store = client_.store()
    with transaction.atomic():
        connection, _ = Connection.objects.update_or_create(
            kind=Connection.Kind.SHOPIFY, address=domain,
            defaults={"credentials": secrets.seal({"token": token, "webhook_secret": app_secret, "api_base": api_base}),
                      "hint": secrets.hint(token), "state": Connection.State.CONNECTED, "store_currency": store.currency,
                      "store_name": store.url, "last_error": "", "last_error_at": None})
        for topic in SHOPIFY_TOPICS:
            client_.register(topic, hook_url(connection))
        audit.record(actor, CONNECTED, f"connection:{connection.pk}", kind=connection.kind, address=domain)
    return connection


def get_connection(connection_id) -> Connection:
    try:
        return Connection.objects.get(pk=int(connection_id))
    except (Connection.DoesNotExist, TypeError, ValueError):
        raise ConnectionNotFound(f"no connection {connection_id!r}; `patron connect list` shows them") from None


def mark_failing(connection: Connection, error: PatronError) -> None:
    """The last call to the store failed: the connection says so, and why, until a call goes well (a paused
    connection stays paused, with the reason)."""
    mine = Connection.objects.filter(pk=connection.pk)
    mine.update(last_error=error.message[:500], last_error_at=timezone.now())
    mine.exclude(state=Connection.State.PAUSED).update(state=Connection.State.FAILING)


def mark_working(connection: Connection, **fields) -> None:
    mine = Connection.objects.filter(pk=connection.pk)
    mine.update(last_error="", last_error_at=None, **fields)
    mine.filter(state=Connection.State.FAILING).update(state=Connection.State.CONNECTED)


def test(connection: Connection):
    """Call the store; the connection's state and last error say how it went."""
    try:
        store = client(connection).store()
    except (ShopUnreachable, ShopRefused, secrets.CredentialsUnreadable) as exc:
        mark_failing(connection, exc)
        raise
    mark_working(connection, store_currency=store.currency)
    return store


def apply_refunds(external_id: str, refunds: list[tuple[str, str, str]]) -> int:
    """Record an order's refunds (each once, by the store's refund id), and for an order the store marks
    refunded whatever is left of it; then take back the refunded share of its points by the program's rule
    (at most once: the clawback is brought up to what is due). Returns the refunds recorded."""
    order = Order.objects.filter(external_id=external_id).first()
    if order is None or order.status == Order.Status.CANCELLED:
        return 0
    done = 0
    for refund_id, amount, reason in refunds:
        if Refund.objects.filter(external_id=refund_id).exists():
            continue
        try:
            commerce.refund_order(order, amount, reason=reason, external_id=refund_id)
        except PatronError:
            continue  # more than is left, or not an amount: the order's own state stands
        done += 1
    order.refresh_from_db(fields=["status"])
    if order.status == Order.Status.REFUNDED and commerce.refunded_amount(order) < order.total:
        commerce.refund_order(order, reason="refunded in the shop")
        done += 1
    if done or order.status == Order.Status.REFUNDED:
        earning.reverse_refunds_everywhere(order)
    return done


def remove(connection: Connection, *, actor=None) -> None:
    with transaction.atomic():
        audit.record(actor, REMOVED, f"connection:{connection.pk}", kind=connection.kind, address=connection.address)
        connection.delete()


def pause(connection: Connection, *, actor=None) -> None:
    """Stop writing coupons to the store and holding messages for it; webhooks are still kept."""
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(state=Connection.State.PAUSED)
        audit.record(actor, PAUSED, f"connection:{connection.pk}", kind=connection.kind, address=connection.address)


def resume(connection: Connection, *, actor=None) -> None:
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk, state=Connection.State.PAUSED).update(state=Connection.State.CONNECTED)
        audit.record(actor, RESUMED, f"connection:{connection.pk}", kind=connection.kind, address=connection.address)


def syncing(connection: Connection, now: dt.datetime | None = None) -> bool:
    since = connection.syncing_since
    return since is not None and (now or timezone.now()) - since < STALE_SYNC


def start_sync(connection: Connection) -> bool:
    """Start `patron sync ID` in its own process (a page cannot wait for a whole store); False if one runs."""
    if syncing(connection):
        return False
    Connection.objects.filter(pk=connection.pk).update(syncing_since=timezone.now())
    subprocess.Popen([sys.executable, "-m", "patron.cli", "sync", str(connection.pk)], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=dict(os.environ))
    return True


def progress(connection: Connection) -> list[dict]:
    """Per resource: rows read in the current (or last) pass, of how many, and whether that pass is done."""
    out = []
    for resource in RESOURCES:
        state = (connection.cursor or {}).get(resource) or {}
        read = max(state.get("read") or 0, state.get("seen") or 0)  # merged, or read and waiting for its merge
        out.append({"resource": resource, "read": read, "total": state.get("total"),
                    "started": bool(state), "done": bool(state) and state.get("page", 0) == 0})
    return out
