"""Shopify's REST Admin API through httpx: the access token in X-Shopify-Access-Token, pages by the `Link`
header's page_info cursors, and the shop's leaky bucket respected (X-Shopify-Shop-Api-Call-Limit: a call
that leaves the bucket nearly full waits for it to drain; a 429 is waited out by its Retry-After). Every
call has the connect and read timeouts of every outside call, and its failures are named for the shop owner.

Discount codes are price rules with one code each (one use, for the one customer, until the coupon expires).
"""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qs, urlsplit

import httpx
from django.conf import settings

from patron.connectors.platform import CouponSpec, Gone, ShopRefused, ShopUnreachable, Store

VERSION = "2024-10"
LEAK_PER_SECOND = 2.0  # the standard plan's REST bucket: 40 calls, leaking 2 a second
SCOPES = "read_customers, read_orders, read_products, write_price_rules, write_discounts"


class Shopify:
    def __init__(self, shop: str, token: str, api_base: str = "", sleep=time.sleep):
        self.shop = shop
        base = (api_base or f"https://{shop}").rstrip("/")
        self.http = httpx.Client(base_url=f"{base}/admin/api/{VERSION}/", timeout=httpx.Timeout(
            settings.PATRON_HTTP_READ_TIMEOUT, connect=settings.PATRON_HTTP_CONNECT_TIMEOUT),
            headers={"X-Shopify-Access-Token": token, "Accept": "application/json"})
        self.sleep = sleep

    def _call(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None,
              missing: bool = False) -> httpx.Response:
        """The response, its failures named; a 404 is Gone where something may rightly be missing (`missing`, and
        every DELETE), and otherwise a wrong address."""
        try:
            response = self.http.request(method, path, params=params, json=body)
        except httpx.TimeoutException:
            raise ShopUnreachable(f"{self.shop} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise ShopUnreachable(f"{self.shop} cannot be reached: {type(exc).__name__}") from None
        status = response.status_code
        if status in (401, 403):
            raise ShopRefused(f"{self.shop} refused the access token ({status}) for {path}: the app needs the scopes {SCOPES}")
        if status == 404 and (missing or method == "DELETE"):
            raise Gone(f"{self.shop} has no {path}")
        if status == 404:
            raise ShopRefused(f"no Shopify Admin API at {self.shop} for {path} (is the shop's domain right?)")
        if status == 429 or status >= 500:
            raise ShopUnreachable(f"{self.shop} answered {status}; try again later",
                                  retry_after=response.headers.get("Retry-After", ""))
        if status >= 400:
            raise ShopRefused(f"{self.shop} answered {status} to {path}: {response.text[:200]}")
        self._mind_the_bucket(response.headers.get("X-Shopify-Shop-Api-Call-Limit", ""))
        return response

    def _mind_the_bucket(self, limit: str) -> None:
        """After a call that leaves the bucket more than half full, wait until it has drained to half."""
        used, _, size = limit.partition("/")
        if used.isdigit() and size.isdigit() and int(used) > int(size) // 2:
            self.sleep((int(used) - int(size) // 2) / LEAK_PER_SECOND)

    def get(self, path: str, **params) -> tuple[dict, httpx.Response]:
        response = self._call("GET", path, params=params or None)
        try:
            return response.json(), response
        except ValueError:
            raise ShopRefused(f"{self.shop} did not answer {path} with JSON") from None

    def post(self, path: str, body: dict) -> dict:
        return self._call("POST", path, body=body).json()

    def store(self) -> Store:
        shop, _ = self.get("shop.json")
        shop = shop.get("shop") or {}
        return Store(url=shop.get("domain") or self.shop, currency=(shop.get("currency") or "").upper(),
                     version=VERSION, name=shop.get("name", ""))

    def register(self, topic: str, address: str) -> None:
        """Ask the shop to call `address` on `topic`; one already there for that address is kept."""
        try:
            self.post("webhooks.json", {"webhook": {"topic": topic, "address": address, "format": "json"}})
        except ShopRefused as exc:
            if "already been taken" not in exc.message:  # Shopify's 422 for the same topic and address again
                raise

    def page(self, resource: str, token, *, per_page: int, modified_after: str | None,
             created_after: str | None) -> tuple[list[dict], object, int | None]:
        """(rows, the next page's token or 0 when this was the last, how many there are in all when known).
        The first page (token 1) carries the filters; later pages carry only the cursor, as Shopify requires."""
        if token == 1:
            params = {"limit": per_page}
            if modified_after:
                params["updated_at_min"] = modified_after
            if created_after and resource == "orders":
                params["created_at_min"] = created_after
            if resource == "orders":
                params["status"] = "any"  # open, closed and cancelled alike
            count, _ = self.get(f"{resource}/count.json", **{k: v for k, v in params.items() if k != "limit"})
            total = int(count.get("count") or 0)
        else:
            params, total = {"limit": per_page, "page_info": token}, None
        body, response = self.get(f"{resource}.json", **params)
        following = response.links.get("next", {}).get("url", "")
        cursor = parse_qs(urlsplit(following).query).get("page_info", [""])[0] if following else ""
        return body.get(resource) or [], cursor or 0, total

    # Discount codes: a price rule (what it takes off, for whom, until when) with the one code.

    def find_code(self, code: str) -> str | None:
        """The price rule of a code, by Shopify's lookup (it answers 303 to the code's own address)."""
        try:
            response = self._call("GET", "discount_codes/lookup.json", params={"code": code}, missing=True)
        except Gone:
            return None
        location = response.headers.get("Location", "")
        parts = urlsplit(location).path.split("/")
        return parts[parts.index("price_rules") + 1] if "price_rules" in parts else None

    def create_code(self, spec: CouponSpec) -> str:
        rule = {"title": spec.code, "target_type": "line_item", "allocation_method": "across",
                "usage_limit": 1, "once_per_customer": True,
                "starts_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ends_at": spec.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ") if spec.expires_at else None,
                "customer_selection": "all"}
        buyer = self._customer_id(spec.email) if spec.email else None
        if buyer is not None:  # only they may use it; a customer the shop does not know yet: anyone, once
            rule |= {"customer_selection": "prerequisite", "prerequisite_customer_ids": [buyer]}
        if spec.kind == "product":
            variant = self._variant(spec.sku)
            rule |= {"value_type": "percentage", "value": "-100.0", "target_selection": "entitled",
                     "entitled_variant_ids": [variant], "allocation_method": "each", "allocation_limit": 1}
        else:
            rule |= {"value_type": "percentage" if spec.kind == "percent" else "fixed_amount",
                     "value": f"-{spec.value}", "target_selection": "all"}
            if spec.kind == "amount":
                rule["allocation_method"] = "across"
        made = self.post("price_rules.json", {"price_rule": rule})["price_rule"]
        self.post(f"price_rules/{made['id']}/discount_codes.json", {"discount_code": {"code": spec.code}})
        return str(made["id"])

    def _customer_id(self, email: str) -> int | None:
        """The shop's id of the customer with this address (customers/search), or None."""
        found, _ = self.get("customers/search.json", query=f"email:{email}", fields="id,email")
        for row in found.get("customers") or []:
            if str(row.get("email", "")).lower() == email.lower():
                return row["id"]
        return None

    def _variant(self, sku: str) -> int:
        token = 1
        while token:
            rows, token, _ = self.page("products", token, per_page=250, modified_after=None, created_after=None)
            for product in rows:
                for variant in product.get("variants") or []:
                    if variant.get("sku") == sku:
                        return variant["id"]
        raise ShopRefused(f"the shop has no product with sku {sku!r} for a free-product coupon")

    def remove_code(self, store_id: str) -> None:
        self._call("DELETE", f"price_rules/{store_id}.json")


# What Shopify's JSON means to Patron: the rows the import engine and the services take (as woocommerce.py).

# A customer's marketing consent, as Shopify keeps it: only "subscribed" is a yes. A customer with no
# consent field says nothing (blank: Patron keeps what it knew).
CONSENT = {"subscribed": "true", "not_subscribed": "false", "unsubscribed": "false", "pending": "false",
           "redacted": "false", "invalid": "false"}


def _utc(value: str | None) -> str:
    """Shopify's times carry the shop's offset (2024-10-02T12:30:00-04:00); Patron compares them in UTC."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def modified_at(payload: dict) -> str:
    return _utc(payload.get("updated_at") or payload.get("created_at"))


def customer_id(shop_id, email: str) -> str:
    return str(shop_id) if shop_id else f"guest:{(email or '').strip().lower()}"


def _consent(block) -> str:
    return CONSENT.get(str((block or {}).get("state", "")), "") if isinstance(block, dict) else ""


def customer_row(c: dict) -> dict:
    address = c.get("default_address") or {}
    return {"external_id": customer_id(c.get("id"), c.get("email", "")), "email": c.get("email") or "",
            "first_name": c.get("first_name") or "", "last_name": c.get("last_name") or "",
            "phone": c.get("phone") or address.get("phone") or "", "country": address.get("country_code") or "",
            "created_at": _utc(c.get("created_at")), "email_consent": _consent(c.get("email_marketing_consent")),
            "sms_consent": _consent(c.get("sms_marketing_consent"))}


PAID = ("paid", "partially_refunded", "partially_paid", "authorized")


def _status(o: dict) -> str | None:
    if o.get("cancelled_at"):
        return "cancelled"
    financial = o.get("financial_status")
    if financial == "refunded":
        return "refunded"
    return "completed" if financial in PAID else None


def order_rows(o: dict) -> tuple[dict | None, dict | None, list[dict]]:
    """(the buyer, the order, its lines); an order not paid (pending, voided) is none: (None, None, [])."""
    status = _status(o)
    if status is None:
        return None, None, []
    buyer = o.get("customer") or {}
    email = o.get("email") or buyer.get("email") or ""
    billing = o.get("billing_address") or {}
    # The buyer as the order shows them (a guest has no id): saved with the order, so an order never waits for
    # its customer's own webhook.
    person = customer_row(buyer if buyer.get("id") else {
        "email": email, "first_name": billing.get("first_name"), "last_name": billing.get("last_name"),
        "created_at": o.get("created_at"), "default_address": {"country_code": billing.get("country_code")}})
    order = {"external_id": str(o["id"]), "customer_external_id": customer_id(buyer.get("id"), email),
             "placed_at": _utc(o.get("created_at")), "total": o.get("total_price", ""), "currency": o.get("currency", ""),
             "status": status}
    lines = [{"order_external_id": str(o["id"]),
              "sku": item.get("sku") or f"shopify-{item.get('variant_id') or item.get('product_id') or 0}",
              "quantity": item.get("quantity", ""), "unit_price": item.get("price", "")}
             for item in o.get("line_items") or []]
    return person, order, lines


def refund_row(refund: dict) -> tuple[str, str, str] | None:
    """(refund id, amount, reason) of one refund: the money its successful refund transactions returned."""
    amount = sum((float(t.get("amount") or 0) for t in refund.get("transactions") or []
                  if t.get("kind") == "refund" and t.get("status", "success") == "success"), 0.0)
    if not refund.get("id") or amount <= 0:
        return None
    return f"shopify-refund-{refund['id']}", f"{amount:.2f}", str(refund.get("note") or "")[:200]


def refunds_of(o: dict) -> list[tuple[str, str, str]]:
    return [row for row in (refund_row(r) for r in o.get("refunds") or []) if row]


def coupons_of(o: dict) -> list[str]:
    return [str(d.get("code", "")).strip().upper() for d in o.get("discount_codes") or [] if d.get("code")]


def product_row(p: dict, currency: str, domain: str) -> dict:
    variants = p.get("variants") or [{}]
    first = variants[0] or {}
    in_stock = any(v.get("inventory_management") in (None, "") or v.get("inventory_policy") == "continue"
                   or (v.get("inventory_quantity") or 0) > 0 for v in variants)
    return {"sku": first.get("sku") or f"shopify-{first.get('id') or p.get('id', 0)}", "name": p.get("title", ""),
            "category": p.get("product_type") or "",
            "url": f"https://{domain}/products/{p['handle']}" if p.get("handle") else "",
            "image_url": (p.get("image") or {}).get("src", "") if isinstance(p.get("image"), dict) else "",
            "price": first.get("price") or None, "currency": currency, "in_stock": in_stock}


def checkout_rows(c: dict) -> tuple[dict | None, list[dict]]:
    """(the buyer, the cart's items) of a checkout; no buyer when the checkout names nobody yet."""
    buyer = c.get("customer") or {}
    email = c.get("email") or buyer.get("email") or ""
    if not buyer.get("id") and not email:
        return None, []
    person = customer_row(buyer if buyer.get("id") else {"email": email, "created_at": c.get("created_at")})
    items = [{"sku": item.get("sku") or f"shopify-{item.get('variant_id') or item.get('product_id') or 0}",
              "name": item.get("title") or "", "quantity": item.get("quantity") or 1, "price": item.get("price") or None}
             for item in c.get("line_items") or []]
    return person, items
