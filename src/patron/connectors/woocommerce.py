"""WooCommerce's REST API (wc/v3) through WooCommerce's own Python client: HTTP Basic over https, OAuth 1.0a
one-legged signatures over plain http, as the platform documents. Every call has the connect and read
timeouts of every outside call, and its failures are named for the shop owner."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from django.conf import settings
from woocommerce import API

from patron.core.errors import PatronError

VERSION = "wc/v3"


class ShopUnreachable(PatronError):
    """The store did not answer, or answered with a failure of its own (5xx, 429): try again later."""

    code = "shop_unreachable"
    status = 502


class ShopRefused(PatronError):
    """The store answered and refused: wrong keys, too few permissions, no REST API at that address."""

    code = "shop_refused"
    status = 400


@dataclass(frozen=True)
class Store:
    url: str
    currency: str
    version: str  # WooCommerce's


class WooCommerce:
    def __init__(self, url: str, key: str, secret: str):
        self.url = url.rstrip("/")
        self.api = API(url=self.url, consumer_key=key, consumer_secret=secret, version=VERSION, wp_api=True,
                       timeout=(settings.PATRON_HTTP_CONNECT_TIMEOUT, settings.PATRON_HTTP_READ_TIMEOUT))

    def get(self, endpoint: str, **params) -> tuple[object, dict]:
        """(decoded JSON, response headers) of GET endpoint; ShopUnreachable or ShopRefused otherwise."""
        # The query goes into the endpoint, so that the client signs it (OAuth over http) and sends it once.
        query = f"{endpoint}?{urlencode(params)}" if params else endpoint
        try:
            response = self.api.get(query)
        except requests.Timeout:
            raise ShopUnreachable(f"{self.url} did not answer in time") from None
        except requests.RequestException as exc:
            raise ShopUnreachable(f"{self.url} cannot be reached: {type(exc).__name__}") from None
        if response.status_code in (401, 403):
            raise ShopRefused(f"{self.url} refused the key ({response.status_code}): check the consumer key and secret, "
                              "and that the key has Read/Write permission")
        if response.status_code == 404:
            raise ShopRefused(f"no WooCommerce REST API at {self.url}/wp-json/{VERSION}/{endpoint} (is WooCommerce "
                              "active, with pretty permalinks?)")
        if response.status_code == 429 or response.status_code >= 500:
            raise ShopUnreachable(f"{self.url} answered {response.status_code}; try again later",
                                  retry_after=response.headers.get("Retry-After", ""))
        if response.status_code >= 400:
            raise ShopRefused(f"{self.url} answered {response.status_code} to {endpoint}")
        try:
            return response.json(), dict(response.headers)
        except ValueError:
            raise ShopRefused(f"{self.url}/wp-json/{VERSION}/{endpoint} did not answer with JSON (a security plugin "
                              "or a login page in the way?)") from None

    def post(self, endpoint: str, data: dict) -> dict:
        try:
            response = self.api.post(endpoint, data)
        except requests.Timeout:
            raise ShopUnreachable(f"{self.url} did not answer in time") from None
        except requests.RequestException as exc:
            raise ShopUnreachable(f"{self.url} cannot be reached: {type(exc).__name__}") from None
        if response.status_code in (401, 403):
            raise ShopRefused(f"{self.url} refused to let Patron write {endpoint} ({response.status_code}): the key needs "
                              "Read/Write permission")
        if response.status_code == 429 or response.status_code >= 500:
            raise ShopUnreachable(f"{self.url} answered {response.status_code}; try again later")
        if response.status_code >= 400:
            raise ShopRefused(f"{self.url} answered {response.status_code} to {endpoint}: {response.text[:200]}")
        return response.json()

    def store(self) -> Store:
        """What the store says of itself (GET system_status): its address, currency and WooCommerce version."""
        status, _ = self.get("system_status")
        environment, shop = (status or {}).get("environment", {}), (status or {}).get("settings", {})
        return Store(url=environment.get("home_url") or self.url, currency=(shop.get("currency") or "").upper(),
                     version=environment.get("version", ""))
