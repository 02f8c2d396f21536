"""Connecting a WooCommerce store from the command line: the keys are tested against the store, kept
encrypted (never shown, never in the store's dump in clear), listed, tested again and removed."""

import io
import socket

import pytest
from django.core.management import CommandError, call_command
from django.db import connection as db

from patron.connectors import secrets, services
from patron.connectors.models import Connection
from patron.core.models import AuditEvent
from tests.connectors.fake_woocommerce import KEY, SECRET, Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    shop = Store()
    yield shop
    shop.close()


def patron(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_store_is_connected_with_its_keys_kept_encrypted(store):
    said = patron("connect", "woocommerce", "--url", store.url + "/", "--key", KEY, "--secret", SECRET)
    assert "connected WooCommerce" in said and "store currency EUR" in said and "Patron reads: customers" in said
    made = Connection.objects.get()
    assert (made.kind, made.address, made.state, made.store_currency) == ("woocommerce", store.url, "connected", "EUR")
    assert made.hint == "…" + KEY[-4:]
    kept = secrets.unseal(made.credentials)
    assert (kept["key"], kept["secret"]) == (KEY, SECRET) and len(kept["webhook_secret"]) > 30
    # The store was asked to tell Patron of every change, signed with a secret of this connection's own.
    assert sorted(h["topic"] for h in store.webhooks) == sorted(services.WOOCOMMERCE_TOPICS)
    assert {h["secret"] for h in store.webhooks} == {kept["webhook_secret"]}
    assert all(h["delivery_url"].endswith(f"/hooks/woocommerce/{made.pk}") for h in store.webhooks)
    with db.cursor() as cursor:  # nothing of the keys is readable in the table
        cursor.execute("SELECT credentials, hint FROM connectors_connection")
        stored = " ".join(cursor.fetchone())
    assert KEY not in stored and SECRET not in stored and SECRET[3:20] not in stored
    listing = patron("connect", "list")
    assert f"#{made.pk} woocommerce" in listing and KEY not in listing and SECRET not in listing
    assert "system_status" in store.calls and AuditEvent.objects.get().action == "connection.add"


def test_wrong_keys_and_a_store_that_is_down_are_named_and_nothing_is_kept(store):
    with pytest.raises(CommandError, match="refused the key"):
        call_command("connect", "woocommerce", "--url", store.url, "--key", KEY, "--secret", "cs_wrong_secret_000")
    with pytest.raises(CommandError, match="look like ck_"):
        call_command("connect", "woocommerce", "--url", store.url, "--key", "abc", "--secret", SECRET)
    with pytest.raises(CommandError, match="not a store address"):
        call_command("connect", "woocommerce", "--url", "ftp://shop", "--key", KEY, "--secret", SECRET)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{closed.getsockname()[1]}"
    with pytest.raises(CommandError, match="cannot be reached"):
        call_command("connect", "woocommerce", "--url", nobody, "--key", KEY, "--secret", SECRET)
    store.answers["system_status"] = [500]
    with pytest.raises(CommandError, match="answered 500"):
        call_command("connect", "woocommerce", "--url", store.url, "--key", KEY, "--secret", SECRET)
    assert not Connection.objects.exists()


def test_a_connection_is_tested_marked_failing_and_removed(store, settings):
    patron("connect", "woocommerce", "--url", store.url, "--key", KEY, "--secret", SECRET)
    made = Connection.objects.get()
    assert "answers (WooCommerce 9.4.2, currency EUR)" in patron("connect", "test", str(made.pk))
    store.answers["system_status"] = [429]
    with pytest.raises(CommandError, match="answered 429"):
        call_command("connect", "test", str(made.pk))
    made.refresh_from_db()
    assert made.state == "failing" and "429" in made.last_error
    assert "failing: " in patron("connect", "list")
    settings.SECRET_KEY = "another secret key, after a rotation: the stored keys cannot be read any more"
    with pytest.raises(CommandError, match="connect the shop again"):
        call_command("connect", "test", str(made.pk))
    assert "removed" in patron("connect", "remove", str(made.pk))
    assert not Connection.objects.exists()
    with pytest.raises(CommandError, match="no connection '99'"):
        call_command("connect", "test", "99")


def test_connecting_again_keeps_the_stores_webhooks_and_replaces_those_it_cannot_sign_for(store, settings):
    patron("connect", "woocommerce", "--url", store.url, "--key", KEY, "--secret", SECRET)
    first = {h["id"] for h in store.webhooks}
    patron("connect", "woocommerce", "--url", store.url, "--key", KEY, "--secret", SECRET)
    assert {h["id"] for h in store.webhooks} == first  # the same seven, not fourteen
    secret = secrets.unseal(Connection.objects.get().credentials)["webhook_secret"]
    assert {h["secret"] for h in store.webhooks} == {secret}
    # The secret key changed: the stored webhook secret cannot be read, so the store's webhooks are replaced.
    settings.SECRET_KEY = "another secret key, long enough to be a real one, 0123456789"
    patron("connect", "woocommerce", "--url", store.url, "--key", KEY, "--secret", SECRET)
    assert len(store.webhooks) == len(services.WOOCOMMERCE_TOPICS) and not first & {h["id"] for h in store.webhooks}
    renewed = secrets.unseal(Connection.objects.get().credentials)["webhook_secret"]
    assert renewed != secret and {h["secret"] for h in store.webhooks} == {renewed}
