"""A Shopify shop played by a local HTTP server: the REST Admin API (2024-10) endpoints Patron calls, answering
with payloads shaped as in Shopify's REST Admin API reference (shopify.dev/docs/api/admin-rest: "Shop",
"Customer", "Order", "Refund", "Product", "PriceRule", "DiscountCode", "Webhook"; the examples' fields trimmed
to those Patron reads), paginated with the `Link` header's page_info cursors (only `limit` and `page_info` are
allowed beside a cursor, as the reference says), reporting the leaky bucket in X-Shopify-Shop-Api-Call-Limit,
checking X-Shopify-Access-Token, and sending webhooks signed as Shopify documents: X-Shopify-Hmac-Sha256, the
base64 HMAC-SHA256 of the raw body under the app's API secret key."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

TOKEN, APP_SECRET = "shpat_0123456789abcdef0123456789abcdef", "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"
DOMAIN = "arbatine.myshopify.com"
PREFIX = "/admin/api/2024-10/"

SHOP = {"shop": {"id": 690933842, "name": "Arbatinė", "email": "info@arbatine.lt", "domain": "arbatine.lt",
                 "myshopify_domain": DOMAIN, "currency": "EUR", "iana_timezone": "Europe/Vilnius", "country_code": "LT"}}
CONSENTS = ["subscribed", "not_subscribed", "unsubscribed"]


def customer(i: int) -> dict:
    """A customer as "Retrieves a list of customers" shows one; consent in turn subscribed, not, unsubscribed,
    and every fourth without the consent fields at all (an old API version's answer)."""
    row = {"id": 207119551 + i, "email": f"pirkejas{i}@example.lt", "first_name": "Jonas", "last_name": f"Pirkėjas{i}",
           "phone": None, "created_at": f"2025-0{1 + i % 9}-1{i % 10}T10:00:00+03:00",
           "updated_at": f"2025-0{1 + i % 9}-1{i % 10}T10:00:00+03:00", "state": "enabled", "currency": "EUR",
           "default_address": {"country_code": "LT", "phone": f"+3706100{i:04d}"}}
    if i % 4 != 3:
        row["email_marketing_consent"] = {"state": CONSENTS[i % 3], "opt_in_level": "single_opt_in",
                                          "consent_updated_at": "2025-01-01T00:00:00+02:00"}
        row["sms_marketing_consent"] = {"state": "not_subscribed", "opt_in_level": "single_opt_in",
                                        "consent_updated_at": None, "consent_collected_from": "OTHER"}
    return row


def order(i: int, customers: int) -> dict:
    """An order as "Retrieves a list of orders" shows one; every fifth a guest's, one in ten pending (not paid),
    one in eleven cancelled; every seventh paid one has a refund of the tea."""
    guest = i % 5 == 4
    financial = "pending" if i % 10 == 9 else "paid"
    buyer = None if guest else {"id": 207119551 + i % customers, "email": f"pirkejas{i % customers}@example.lt",
                                "first_name": "Jonas", "last_name": f"Pirkėjas{i % customers}",
                                "created_at": "2025-01-10T10:00:00+03:00", "default_address": {"country_code": "LT"}}
    row = {"id": 450789469 + i, "name": f"#{1001 + i}", "email": f"svecias{i % 10}@example.lt" if guest else buyer["email"],
           "created_at": f"2025-10-{1 + i % 28:02d}T12:30:00-04:00", "updated_at": f"2025-10-{1 + i % 28:02d}T12:30:00-04:00",
           "currency": "EUR", "total_price": f"{20 + i}.00", "financial_status": financial,
           "cancelled_at": "2025-11-01T09:00:00-04:00" if i % 11 == 10 else None, "customer": buyer,
           "billing_address": {"first_name": "Svečias", "last_name": f"Nr{i}", "country_code": "LV"},
           "line_items": [{"id": 1, "variant_id": 39072856, "product_id": 632910392, "sku": "ARB-1", "quantity": 2, "price": "10.00"},
                          {"id": 2, "variant_id": 39072857, "product_id": 632910393, "sku": "", "quantity": 1, "price": f"{i}.00"}],
           "discount_codes": [], "refunds": []}
    if i % 7 == 3 and financial == "paid":
        row["financial_status"] = "partially_refunded"
        row["refunds"] = [{"id": 509562969 + i, "order_id": row["id"], "created_at": "2025-10-20T10:00:00-04:00",
                           "note": "Arbata sudužo", "transactions": [{"id": 1, "amount": "10.00", "kind": "refund", "status": "success"}]}]
    return row


PRODUCTS = [  # as "Retrieve a list of products" shows them, trimmed
    {"id": 632910392, "title": "Juodoji arbata", "handle": "juodoji-arbata", "product_type": "Arbata", "status": "active",
     "updated_at": "2025-09-01T10:00:00-04:00",
     "variants": [{"id": 39072856, "sku": "ARB-1", "price": "10.00", "inventory_quantity": 12, "inventory_management": "shopify",
                   "inventory_policy": "deny"}],
     "image": {"id": 850703190, "src": "https://cdn.shopify.com/s/files/1/0005/4838/0009/products/arbata.jpg"}},
    {"id": 632910393, "title": "Puodelis", "handle": "puodelis", "product_type": "Indai", "status": "active",
     "updated_at": "2025-09-01T10:00:00-04:00",
     "variants": [{"id": 39072857, "sku": "", "price": "7.50", "inventory_quantity": 0, "inventory_management": "shopify",
                   "inventory_policy": "deny"}], "image": None},
]


class Shop:
    def __init__(self, customers: int = 0, orders: int = 0, bucket: int = 40):
        self.token = TOKEN
        self.customers = [customer(i) for i in range(customers)]
        self.orders = [order(i, max(customers, 1)) for i in range(orders)]
        self.products = [dict(p) for p in PRODUCTS]
        self.webhooks: list[dict] = []
        self.price_rules: dict[int, dict] = {}
        self.codes: dict[str, dict] = {}  # code (as written) -> discount code
        self.answers: dict[str, list] = {}  # resource -> statuses to answer first (429, 500...)
        self.fail_from: dict[str, int] = {}  # resource -> its calls from this one on answer 500 (a shop gone down)
        self.seen: dict[str, int] = {}
        self.calls: list[str] = []
        self.bucket, self.used, self.leaked = bucket, 0.0, time.monotonic()  # X-Shopify-Shop-Api-Call-Limit
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()

    def _rows(self, resource: str, params: dict) -> list[dict]:
        rows = getattr(self, resource)
        if "updated_at_min" in params:
            rows = [r for r in rows if _utc(r["updated_at"]) >= _utc(params["updated_at_min"])]
        if "created_at_min" in params:
            rows = [r for r in rows if _utc(r["created_at"]) >= _utc(params["created_at_min"])]
        if resource == "orders" and params.get("status", "open") == "open":
            rows = [r for r in rows if not r["cancelled_at"]]
        return sorted(rows, key=lambda r: r["id"])

    def _handler(self):
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=None, headers=None):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                # The bucket leaks 2 calls a second, and each call adds one.
                now = time.monotonic()
                shop.used = min(shop.bucket, max(0.0, shop.used - 2.0 * (now - shop.leaked)) + 1)
                shop.leaked = now
                self.send_header("X-Shopify-Shop-Api-Call-Limit", f"{int(shop.used)}/{shop.bucket}")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _start(self):
                parts = urlsplit(self.path)
                path = parts.path.removeprefix(PREFIX)
                shop.calls.append(f"{self.command} {path}")
                if self.headers.get("X-Shopify-Access-Token") != shop.token:
                    self._send(401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
                    return None, None
                resource = path.split(".")[0].split("/")[0]
                shop.seen[resource] = shop.seen.get(resource, 0) + 1
                if shop.seen[resource] >= shop.fail_from.get(resource, 10**9):
                    self._send(500, {"errors": "Internal Server Error"})
                    return None, None
                queued = shop.answers.get(resource)
                if queued:
                    status = queued.pop(0)
                    self._send(status, {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}
                               if status == 429 else {"errors": "Internal Server Error"}, {"Retry-After": "2.0"} if status == 429 else None)
                    return None, None
                return path, dict(parse_qsl(parts.query, keep_blank_values=True))

            def do_GET(self):
                path, params = self._start()
                if path is None:
                    return
                if path == "shop.json":
                    return self._send(200, SHOP)
                resource = path.removesuffix(".json").removesuffix("/count")
                if resource in ("customers", "orders", "products"):
                    if path.endswith("/count.json"):
                        return self._send(200, {"count": len(shop._rows(resource, params))})
                    limit = int(params.get("limit", 50))
                    if "page_info" in params:
                        if set(params) - {"limit", "page_info"}:
                            return self._send(400, {"errors": {"page_info": "Only limit and fields are allowed with page_info"}})
                        state = json.loads(base64.urlsafe_b64decode(params["page_info"]))
                        query, start = state["query"], state["start"]
                    else:
                        query, start = {k: v for k, v in params.items() if k != "limit"}, 0
                    rows = shop._rows(resource, query)
                    headers = {}
                    if start + limit < len(rows):
                        cursor = base64.urlsafe_b64encode(json.dumps({"query": query, "start": start + limit}).encode()).decode()
                        headers["Link"] = f'<{shop.url}{PREFIX}{resource}.json?{urlencode({"limit": limit, "page_info": cursor})}>; rel="next"'
                    return self._send(200, {resource: rows[start:start + limit]}, headers)
                if path == "customers/search.json":  # "Searches for customers that match a supplied query"
                    wanted = params.get("query", "").removeprefix("email:").lower()
                    return self._send(200, {"customers": [{"id": c["id"], "email": c["email"]} for c in shop.customers
                                                          if c["email"].lower() == wanted]})
                if path == "discount_codes/lookup.json":
                    found = shop.codes.get(params.get("code", ""))
                    if not found:
                        return self._send(404, {"errors": "Not Found"})
                    return self._send(303, None, {"Location": f"{shop.url}{PREFIX}price_rules/{found['price_rule_id']}/discount_codes/{found['id']}.json"})
                return self._send(404, {"errors": "Not Found"})

            def do_POST(self):
                path, _ = self._start()
                if path is None:
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if path == "webhooks.json":
                    hook = body["webhook"]
                    if any(h["topic"] == hook["topic"] and h["address"] == hook["address"] for h in shop.webhooks):
                        return self._send(422, {"errors": {"address": ["for this topic has already been taken"]}})
                    made = {"id": 4759306 + len(shop.webhooks), **hook}
                    shop.webhooks.append(made)
                    return self._send(201, {"webhook": made})
                if path == "price_rules.json":
                    rule = {"id": 507328175 + len(shop.price_rules), **body["price_rule"]}
                    shop.price_rules[rule["id"]] = rule
                    return self._send(201, {"price_rule": rule})
                if path.startswith("price_rules/") and path.endswith("/discount_codes.json"):
                    rule_id = int(path.split("/")[1])
                    code = body["discount_code"]["code"]
                    if code in shop.codes:
                        return self._send(422, {"errors": {"code": ["must be unique. Please try a different code."]}})
                    made = {"id": 1054381139 + len(shop.codes), "price_rule_id": rule_id, "code": code, "usage_count": 0}
                    shop.codes[code] = made
                    return self._send(201, {"discount_code": made})
                return self._send(404, {"errors": "Not Found"})

            def do_DELETE(self):
                path, _ = self._start()
                if path is None:
                    return
                if path.startswith("price_rules/"):
                    rule_id = int(path.split("/")[1].removesuffix(".json"))
                    if rule_id in shop.price_rules:
                        del shop.price_rules[rule_id]
                        for code in [c for c, d in shop.codes.items() if d["price_rule_id"] == rule_id]:
                            del shop.codes[code]
                        return self._send(204)
                return self._send(404, {"errors": "Not Found"})

        return Handler

    def deliver(self, client, topic: str, payload: dict, *, webhook_id: str = "", secret: str | None = None):
        """Send a webhook to Patron as Shopify does: the resource's JSON, signed with the app's API secret key."""
        hook = next(h for h in self.webhooks if h["topic"] == topic)
        body = json.dumps(payload).encode()
        signed = base64.b64encode(hmac.new((secret or APP_SECRET).encode(), body, hashlib.sha256).digest()).decode()
        return client.post(urlsplit(hook["address"]).path, body, content_type="application/json", headers={
            "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": signed, "X-Shopify-Shop-Domain": DOMAIN,
            "X-Shopify-API-Version": "2024-10", "X-Shopify-Webhook-Id": webhook_id or f"w-{len(self.calls)}",
            "X-Shopify-Triggered-At": "2025-10-02T16:30:00Z"})


def _utc(value: str) -> str:
    import datetime as dt

    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC).isoformat()
