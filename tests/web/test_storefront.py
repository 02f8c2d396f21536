"""The storefront script in a real browser, on a shop's page served from another origin (as a shop is): it loads
from Patron, records the product viewed, the product added to the cart and the checkout begun for the customer
the shop signed, and stays small and dependency-free."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import patron
from patron.api.services import create_key
from patron.commerce import services as commerce
from patron.customers.models import Interaction
from patron.customers.services import upsert_customer
from patron.customers.shop_tokens import signature

SCRIPT = Path(patron.__file__).parent / "api" / "static" / "patron.js"
SECRET = "shop-secret-for-tokens-0123456789"


def test_the_script_is_small_and_self_contained():
    text = SCRIPT.read_text()
    assert len(text.encode()) < 3 * 1024
    assert "import " not in text and "require(" not in text and "http" not in text.replace("https://PATRON", "")


@pytest.fixture
def shop_page(live_server, settings, transactional_db):
    settings.PATRON_PORTAL_SHOP_SECRET = SECRET
    commerce.save_product("ARB-1", name="Juodoji arbata", price="10.00", currency="EUR")
    upsert_customer("ruta", email="ruta@example.lt")
    _key, publishable = create_key("storefront", ["events:write"])
    expires = int(time.time()) + 600
    html = f"""<!doctype html><html><head><meta charset="utf-8">
<script>window.Patron = [["added", "ARB-1", 2]];</script>
<script src="{live_server.url}/static/patron.js" defer data-key="{publishable}" data-customer="ruta"
 data-expires="{expires}" data-signature="{signature('ruta', expires, SECRET)}"></script></head>
<body><h1 data-patron-viewed="ARB-1">Juodoji arbata</h1>
<button id="pay" onclick="Patron.checkout('chk-9', [{{sku: 'ARB-1', quantity: 2, price: 10}}], 'https://shop.example/checkout/chk-9')">Pay</button>
</body></html>""".encode()

    class Shop(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/produktas/arbata"
    server.shutdown()


def wait_for(kinds: set[str]) -> set[str]:
    for _ in range(100):
        seen = set(Interaction.objects.values_list("kind", flat=True))
        if kinds <= seen:
            return seen
        time.sleep(0.1)
    return set(Interaction.objects.values_list("kind", flat=True))


def test_the_script_records_a_view_an_addition_and_a_checkout(shop_page, page):
    page.goto(shop_page)
    assert wait_for({"product_viewed", "added_to_cart"}) >= {"product_viewed", "added_to_cart"}
    page.click("#pay")
    wait_for({"checkout_started"})
    checkout = Interaction.objects.get(kind="checkout_started")
    assert checkout.payload["checkout"] == "chk-9" and checkout.payload["items"][0] == {
        "sku": "ARB-1", "quantity": 2, "price": "10.00", "name": "Juodoji arbata", "url": "", "image_url": ""}
    assert checkout.payload["checkout_url"] == "https://shop.example/checkout/chk-9"
    assert Interaction.objects.get(kind="added_to_cart").payload["items"][0]["quantity"] == 2
