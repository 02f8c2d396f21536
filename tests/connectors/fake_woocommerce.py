"""A WooCommerce store played by a local HTTP server: the wc/v3 endpoints Patron calls, answering with payloads
shaped as in WooCommerce's REST API reference (woocommerce.github.io/woocommerce-rest-api-docs: "Retrieve
system status", "List all customers", "List all orders"; trimmed to the fields Patron reads), paginated with
X-WP-Total and X-WP-TotalPages as the reference documents; "Create a coupon", "Retrieve a coupon" by code and
"Delete a coupon" with force=true, as the coupons reference shows them; and checking each request's authentication as WooCommerce does: over plain http, a
one-legged OAuth 1.0a signature (HMAC-SHA256 of METHOD&URL&sorted parameters, keyed with the consumer
secret and "&", class-wc-rest-authentication.php); over https, HTTP Basic."""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit

KEY, SECRET = "ck_4a1f0c0ffee0a2b3c4d5e6f708192a3b4c5d6e7f", "cs_9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a"

SYSTEM_STATUS = {
    "environment": {"home_url": "http://shop.example.lt", "site_url": "http://shop.example.lt", "version": "9.4.2",
                    "wp_version": "6.6.2", "language": "lt_LT", "default_timezone": "UTC"},
    "settings": {"api_enabled": True, "force_ssl": False, "currency": "EUR", "currency_symbol": "&euro;",
                 "currency_position": "right_space", "thousand_separator": " ", "decimal_separator": ",",
                 "number_of_decimals": 2},
}


def _enc(text: str) -> str:
    return quote(unquote(text), safe="~").replace("%", "%25")


def oauth_signature(method: str, url: str, params: dict, secret: str) -> str:
    pairs = sorted((k, v) for k, v in params.items() if k != "oauth_signature")
    base = "%26".join(f"{_enc(k)}%3D{_enc(v)}" for k, v in pairs)
    signed = f"{method}&{quote(url, safe='')}&{base}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), signed.encode(), hashlib.sha256).digest()).decode()


def customer(i: int) -> dict:
    """A customer as "List all customers" shows one."""
    return {"id": 100 + i, "date_created_gmt": f"2025-0{1 + i % 9}-1{i % 10}T10:00:00", "email": f"pirkeja{i}@example.lt",
            "first_name": "Rūta", "last_name": f"Pirkėja{i}", "role": "customer", "username": f"ruta{i}",
            "billing": {"first_name": "Rūta", "last_name": f"Pirkėja{i}", "country": "LT", "email": f"pirkeja{i}@example.lt",
                        "phone": f"+3706000{i:04d}"},
            "is_paying_customer": True}


def order(i: int, customers: int) -> dict:
    """An order as "List all orders" shows one; every fifth is a guest's (the same few guests again and
    again), one in ten pending (not paid)."""
    guest = i % 5 == 4
    who = 0 if guest else 100 + i % customers
    status = "pending" if i % 10 == 9 else ("refunded" if i % 13 == 12 else "completed" if i % 2 else "processing")
    return {"id": 5000 + i, "status": status, "currency": "EUR", "date_created_gmt": f"2025-10-{1 + i % 28:02d}T12:30:00",
            "total": f"{10 + i}.50", "customer_id": who,
            "billing": {"first_name": "Svečias" if guest else "Rūta", "last_name": f"Nr{i}", "country": "LT",
                        "email": f"svecias{i % 10}@example.lt" if guest else f"pirkeja{i % customers}@example.lt", "phone": ""},
            "line_items": [{"id": 1, "name": "Arbata", "product_id": 93, "sku": "ARB-1", "quantity": 1, "price": 10},
                           {"id": 2, "name": "Puodelis", "product_id": 94, "sku": "", "quantity": 1, "price": i + 0.5}],
            # Every seventh paid order had the tea refunded (10.00), as "refunds" lists it on an order.
            "refunds": [{"id": 900 + i, "reason": "Arbata sudužo", "total": "-10.00"}] if i % 7 == 3 and status != "refunded" else []}


PRODUCTS = [  # as "List all products" shows them, trimmed
    {"id": 93, "name": "Juodoji arbata", "slug": "juodoji-arbata", "permalink": "http://shop.example.lt/produktas/juodoji-arbata/",
     "sku": "ARB-1", "price": "10", "regular_price": "12", "stock_status": "instock",
     "categories": [{"id": 9, "name": "Arbata", "slug": "arbata"}],
     "images": [{"id": 792, "src": "http://shop.example.lt/wp-content/uploads/arbata.jpg", "alt": ""}]},
    {"id": 94, "name": "Puodelis", "slug": "puodelis", "permalink": "http://shop.example.lt/produktas/puodelis/",
     "sku": "", "price": "7.50", "stock_status": "outofstock", "categories": [{"id": 10, "name": "Indai", "slug": "indai"}],
     "images": []},
    {"id": 95, "name": "Per tikslus", "sku": "BAD-1", "price": "1.2345", "stock_status": "instock", "categories": [], "images": []},
]


class Store:
    def __init__(self, customers: int = 0, orders: int = 0):
        self.key, self.secret = KEY, SECRET
        self.customers = [customer(i) for i in range(customers)]
        self.orders = [order(i, max(customers, 1)) for i in range(orders)]
        self.products = [dict(p) for p in PRODUCTS]
        self.answers: dict[str, list] = {}  # endpoint -> statuses to answer first (429, 500...)
        self.fail_from_page: dict[str, int] = {}  # endpoint -> every page from this one answers 500
        self.calls: list[str] = []
        self.webhooks: list[dict] = []  # what Patron registered (POST /webhooks)
        self.made = 0
        self.coupons: dict[int, dict] = {}  # the store's discount codes, by id ("Create a coupon")
        self.down = False  # True: every call answers 503, as a store under maintenance does
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()

    def _handler(self):
        store = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                url = f"{store.url}{parts.path}"
                expected = oauth_signature("GET", url, params, store.secret)
                if params.get("oauth_consumer_key") != store.key or not hmac.compare_digest(params.get("oauth_signature", ""), expected):
                    return self._send(401, {"code": "woocommerce_rest_authentication_error", "message": "Invalid signature - provided signature does not match.", "data": {"status": 401}})
                endpoint = parts.path.removeprefix("/wp-json/wc/v3/")
                store.calls.append(endpoint)
                # As WordPress checks a list's arguments against their schema (rest_validate_request_arg).
                if params.get("order", "asc") not in ("asc", "desc") or params.get("orderby", "id") not in ("id", "date", "include", "title", "slug", "modified"):
                    return self._send(400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): order", "data": {"status": 400}})
                if store.down:
                    return self._send(503, {"code": "maintenance", "message": "Briefly unavailable for scheduled maintenance."})
                queued = store.answers.get(endpoint)
                if queued:
                    status = queued.pop(0)
                    return self._send(status, {"code": "error", "message": "busy"}, {"Retry-After": "1"} if status == 429 else None)
                if endpoint == "system_status":
                    return self._send(200, SYSTEM_STATUS)
                if endpoint == "webhooks":
                    return self._send(200, store.webhooks)
                if endpoint == "coupons":
                    code = params.get("code", "").lower()
                    return self._send(200, [c for c in store.coupons.values() if c["code"] == code])
                if endpoint == "products" and "sku" in params:
                    return self._send(200, [p for p in store.products if p.get("sku") == params["sku"]])
                if endpoint in ("customers", "orders", "products"):
                    page, per_page = int(params.get("page", 1)), int(params.get("per_page", 10))
                    store.calls[-1] = f"{endpoint}?page={page}"
                    if page >= store.fail_from_page.get(endpoint, 10**9):
                        return self._send(500, {"code": "internal_server_error", "message": "Database error"})
                    rows = getattr(store, endpoint)
                    if "after" in params:
                        rows = [r for r in rows if r["date_created_gmt"] > params["after"]]
                    pages = max(1, -(-len(rows) // per_page))
                    return self._send(200, rows[(page - 1) * per_page: page * per_page],
                                      {"X-WP-Total": str(len(rows)), "X-WP-TotalPages": str(pages)})
                return self._send(404, {"code": "rest_no_route", "message": "No route was found matching the URL and request method.", "data": {"status": 404}})

            def do_POST(self):
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                expected = oauth_signature("POST", f"{store.url}{parts.path}", params, store.secret)
                if params.get("oauth_consumer_key") != store.key or not hmac.compare_digest(params.get("oauth_signature", ""), expected):
                    return self._send(401, {"code": "woocommerce_rest_authentication_error", "message": "Invalid signature", "data": {"status": 401}})
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                endpoint = parts.path.removeprefix("/wp-json/wc/v3/")
                store.calls.append(f"POST {endpoint}")
                if store.down:
                    return self._send(503, {"code": "maintenance", "message": "Briefly unavailable for scheduled maintenance."})
                if endpoint == "webhooks":
                    store.made += 1  # ids are never reused, as WordPress's post ids are not
                    hook = {"id": store.made, "status": "active", **body}
                    store.webhooks.append(hook)
                    return self._send(201, hook)
                if endpoint == "coupons":
                    # WooCommerce keeps codes in lower case and refuses one it has (class-wc-rest-coupons-controller.php).
                    code = body["code"].lower()
                    if any(c["code"] == code for c in store.coupons.values()):
                        return self._send(400, {"code": "woocommerce_rest_coupon_code_already_exists",
                                                "message": "The coupon code already exists", "data": {"status": 400}})
                    made = {**body, "id": 700 + len(store.coupons), "code": code, "usage_count": 0}
                    store.coupons[made["id"]] = made
                    return self._send(201, made)
                return self._send(404, {"code": "rest_no_route", "message": "No route", "data": {"status": 404}})

            def do_DELETE(self):
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                expected = oauth_signature("DELETE", f"{store.url}{parts.path}", params, store.secret)
                if params.get("oauth_consumer_key") != store.key or not hmac.compare_digest(params.get("oauth_signature", ""), expected):
                    return self._send(401, {"code": "woocommerce_rest_authentication_error", "message": "Invalid signature", "data": {"status": 401}})
                endpoint = parts.path.removeprefix("/wp-json/wc/v3/")
                store.calls.append(f"DELETE {endpoint}")
                if store.down:
                    return self._send(503, {"code": "maintenance", "message": "Briefly unavailable for scheduled maintenance."})
                kind, _, ident = endpoint.partition("/")
                if kind == "webhooks" and any(str(h["id"]) == ident for h in store.webhooks):
                    gone = next(h for h in store.webhooks if str(h["id"]) == ident)
                    store.webhooks.remove(gone)
                    return self._send(200, gone)
                if kind == "coupons" and ident.isdigit() and int(ident) in store.coupons and params.get("force") == "true":
                    return self._send(200, store.coupons.pop(int(ident)))
                return self._send(404, {"code": "woocommerce_rest_shop_coupon_invalid_id", "message": "Invalid ID.", "data": {"status": 404}})

        return Handler

    def deliver(self, client, topic: str, payload: dict, *, delivery_id: str = "", secret: str | None = None):
        """Send a webhook to Patron as WooCommerce does: the resource's JSON, signed with the webhook's secret."""
        hook = next(h for h in self.webhooks if h["topic"] == topic)
        body = json.dumps(payload).encode()
        signed = base64.b64encode(hmac.new((secret or hook["secret"]).encode(), body, hashlib.sha256).digest()).decode()
        path = urlsplit(hook["delivery_url"]).path
        return client.post(path, body, content_type="application/json", headers={
            "X-WC-Webhook-Source": self.url + "/", "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": topic.split(".")[0],
            "X-WC-Webhook-Event": topic.split(".")[1], "X-WC-Webhook-Signature": signed,
            "X-WC-Webhook-ID": str(hook["id"]), "X-WC-Webhook-Delivery-ID": delivery_id or str(len(self.calls))})
