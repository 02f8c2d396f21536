"""WooCommerce's REST API (wc/v3), authenticated as WooCommerce's own Python client does it: HTTP Basic over
https, and over plain http a one-legged OAuth 1.0a signature made by that client's signer. The calls go
through one kept-alive session, so a backfill of ten thousand pages opens one connection to the store (one
TLS handshake), not ten thousand. Every call has the connect and read timeouts of every outside call, and
its failures are named for the shop owner."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import requests
import woocommerce
from django.conf import settings
from requests.auth import HTTPBasicAuth
from woocommerce.oauth import OAuth

from patron.connectors.platform import CouponSpec, Gone, ShopRefused, ShopUnreachable, Store

VERSION = "wc/v3"


class WooCommerce:
    def __init__(self, url: str, key: str, secret: str):
        self.url = url.rstrip("/")
        self.key, self.secret = key, secret
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": f"Patron (woocommerce-api/{woocommerce.__version__})",
                                     "Accept": "application/json"})
        if self.url.startswith("https://"):
            self.session.auth = HTTPBasicAuth(key, secret)
        self.timeout = (settings.PATRON_HTTP_CONNECT_TIMEOUT, settings.PATRON_HTTP_READ_TIMEOUT)

    def _address(self, method: str, endpoint: str, params: dict) -> str:
        """The call's URL: as it is over https (Basic auth in the session), signed in its query over http."""
        address = f"{self.url}/wp-json/{VERSION}/{endpoint}" + (f"?{urlencode(params)}" if params else "")
        if self.session.auth is not None:
            return address
        return OAuth(url=address, consumer_key=self.key, consumer_secret=self.secret, version=VERSION, method=method,
                     oauth_timestamp=int(time.time())).get_oauth_url()

    def get(self, endpoint: str, **params) -> tuple[object, dict]:
        """(decoded JSON, response headers) of GET endpoint; ShopUnreachable or ShopRefused otherwise."""
        response = self._call("GET", endpoint, params=params)
        try:
            return response.json(), dict(response.headers)
        except ValueError:
            raise ShopRefused(f"{self.url}/wp-json/{VERSION}/{endpoint} did not answer with JSON (a security plugin "
                              "or a login page in the way?)") from None

    def post(self, endpoint: str, data: dict) -> dict:
        return self._call("POST", endpoint, data).json()

    def delete(self, endpoint: str) -> bool:
        """Delete for good (not to the bin); False when the store has no such thing."""
        try:
            self._call("DELETE", endpoint, params={"force": "true"})
        except Gone:
            return False
        return True

    def _call(self, method: str, endpoint: str, data: dict | None = None, params: dict | None = None):
        """The response of one call, its failures named: the store unreachable or busy (try again later), or
        refusing (keys, permissions, no REST API there)."""
        try:
            response = self.session.request(method, self._address(method, endpoint, params or {}), json=data,
                                            timeout=self.timeout)
        except requests.Timeout:
            raise ShopUnreachable(f"{self.url} did not answer in time") from None
        except requests.RequestException as exc:
            raise ShopUnreachable(f"{self.url} cannot be reached: {type(exc).__name__}") from None
        status = response.status_code
        if status in (401, 403):
            what = "refused the key" if method == "GET" else f"refused to let Patron write {endpoint}"
            raise ShopRefused(f"{self.url} {what} ({status}): check the consumer key and secret, and that the key "
                              "has Read/Write permission")
        if status == 404 and method == "DELETE":
            raise Gone(f"{self.url} has no {endpoint}")
        if status == 404 and method == "GET":
            raise ShopRefused(f"no WooCommerce REST API at {self.url}/wp-json/{VERSION}/{endpoint} (is WooCommerce "
                              "active, with pretty permalinks?)")
        if status == 429 or status >= 500:
            raise ShopUnreachable(f"{self.url} answered {status}; try again later",
                                  retry_after=response.headers.get("Retry-After", ""))
        if status >= 400:
            raise ShopRefused(f"{self.url} answered {status} to {endpoint}: {response.text[:200]}")
        return response

    def store(self) -> Store:
        """What the store says of itself (GET system_status): its address, currency and WooCommerce version."""
        status, _ = self.get("system_status")
        environment, shop = (status or {}).get("environment", {}), (status or {}).get("settings", {})
        return Store(url=environment.get("home_url") or self.url, currency=(shop.get("currency") or "").upper(),
                     version=environment.get("version", ""))

    def webhooks(self) -> list[dict]:
        """The store's webhooks (the first hundred: a store has a handful)."""
        found, _ = self.get("webhooks", per_page=100)
        return found or []

    def register(self, topic: str, address: str, secret: str) -> None:
        self.post("webhooks", {"name": f"Patron: {topic}", "topic": topic, "secret": secret, "delivery_url": address})

    def page(self, resource: str, token, *, per_page: int, modified_after: str | None,
             created_after: str | None) -> tuple[list[dict], object, int | None]:
        """(rows, the next page's number or 0 when this was the last, how many there are in all)."""
        params = {"page": token, "per_page": per_page, "orderby": "id", "order": "asc"}
        if modified_after:
            params["modified_after"] = modified_after
        if created_after and resource == "orders":
            params["after"] = created_after
        rows, headers = self.get(resource, **params)
        found = {k.lower(): v for k, v in headers.items()}
        pages = int(found.get("x-wp-totalpages") or 1)
        return rows or [], token + 1 if rows and token < pages else 0, int(found.get("x-wp-total") or len(rows or []))

    # Discount codes (coupons API): Patron's coupons as the store's own, so its checkout takes them.

    def find_code(self, code: str) -> str | None:
        found, _ = self.get("coupons", code=code)
        return str(found[0]["id"]) if found else None

    def create_code(self, spec: CouponSpec) -> str:
        data = {"code": spec.code, "amount": str(spec.value), "usage_limit": 1, "usage_limit_per_user": 1,
                "individual_use": False, "description": spec.description[:200],
                "date_expires_gmt": spec.expires_at.strftime("%Y-%m-%dT%H:%M:%S") if spec.expires_at else None,
                "email_restrictions": [spec.email] if spec.email else []}
        if spec.kind == "product":
            found, _ = self.get("products", sku=spec.sku)
            if not found:
                raise ShopRefused(f"the store has no product with sku {spec.sku!r} for a free-product coupon")
            data |= {"discount_type": "percent", "amount": "100", "product_ids": [found[0]["id"]],
                     "limit_usage_to_x_items": 1}
        else:
            data["discount_type"] = "percent" if spec.kind == "percent" else "fixed_cart"
        return str(self.post("coupons", data)["id"])

    def remove_code(self, store_id: str) -> None:
        self.delete(f"coupons/{store_id}")


# What WooCommerce's JSON means to Patron: the rows the import engine and the services take. The backfill
# and the webhooks read the same shapes through these.

# WooCommerce's order statuses, as Patron's: paid ones are orders; unpaid or failed ones are not (yet).
STATUSES = {"completed": "completed", "processing": "completed", "on-hold": "completed", "refunded": "refunded",
            "cancelled": "cancelled"}


def customer_id(shop_id: int, email: str) -> str:
    """The shop's customer id; a guest (id 0) is known by the address they ordered with."""
    return str(shop_id) if shop_id else f"guest:{(email or '').strip().lower()}"


def _gmt(value: str | None) -> str:
    return f"{value}Z" if value and not value.endswith("Z") else (value or "")


def product_row(p: dict, currency: str) -> dict:
    """A product from the catalogue, as commerce.services.save_product takes it."""
    stock = p.get("stock_status")
    return {"sku": p.get("sku") or f"wc-{p.get('id', 0)}", "name": p.get("name", ""),
            "category": ((p.get("categories") or [{}])[0] or {}).get("name", ""), "url": p.get("permalink", ""),
            "image_url": ((p.get("images") or [{}])[0] or {}).get("src", ""), "price": p.get("price") or None,
            "currency": currency, "in_stock": None if stock is None else stock != "outofstock"}


def customer_row(c: dict) -> dict:
    """A customer (or a guest: an order's billing details), as the customers import takes it."""
    billing = c.get("billing") or {}
    return {"external_id": customer_id(c.get("id", 0), c.get("email", "")), "email": c.get("email", ""),
            "first_name": c.get("first_name") or billing.get("first_name", ""),
            "last_name": c.get("last_name") or billing.get("last_name", ""), "phone": billing.get("phone", ""),
            "country": billing.get("country", ""), "created_at": _gmt(c.get("date_created_gmt"))}


def order_rows(o: dict) -> tuple[dict | None, dict | None, list[dict]]:
    """(guest customer or None, order or None, lines) of one order; an unpaid one is no order (None)."""
    status = STATUSES.get(o.get("status", ""))
    if status is None:
        return None, None, []
    billing = o.get("billing") or {}
    guest = None if o.get("customer_id") else customer_row(
        {"email": billing.get("email", ""), "billing": billing, "date_created_gmt": o.get("date_created_gmt")})
    order = {"external_id": str(o["id"]), "customer_external_id": customer_id(o.get("customer_id", 0), billing.get("email", "")),
             "placed_at": _gmt(o.get("date_created_gmt")), "total": o.get("total", ""), "currency": o.get("currency", ""),
             "status": status}
    lines = [{"order_external_id": str(o["id"]), "sku": item.get("sku") or f"wc-{item.get('product_id', 0)}",
              "quantity": item.get("quantity", ""), "unit_price": item.get("price", "")}
             for item in o.get("line_items") or []]
    return guest, order, lines


def coupons_of(o: dict) -> list[str]:
    """The discount codes an order used ("coupon_lines": [{"code": ...}]), as Patron writes codes."""
    return [str(line.get("code", "")).strip().upper() for line in o.get("coupon_lines") or [] if line.get("code")]


def refunds_of(o: dict) -> list[tuple[str, str, str]]:
    """(refund id, amount, reason) of an order's refunds ("refunds": [{"id", "reason", "total": "-5.00"}])."""
    out = []
    for refund in o.get("refunds") or []:
        amount = str(refund.get("total", "")).lstrip("-")
        if refund.get("id") and amount:
            out.append((f"wc-refund-{refund['id']}", amount, str(refund.get("reason") or "")[:200]))
    return out
