import json

from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder

from patron.connectors import services
from patron.core.cli import patron_errors


class Command(BaseCommand):
    help = ("Connect the shop: `connect woocommerce --url URL --key ck_... --secret cs_...` or `connect shopify --shop "
            "DOMAIN --token shpat_... --secret APP_SECRET` tests the keys, keeps them encrypted and registers Patron's "
            "webhooks; `connect list`, `connect test ID`, `connect remove ID`.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        woo = sub.add_parser("woocommerce", help="connect a WooCommerce store (its REST API keys, Read/Write)")
        woo.add_argument("--url", required=True, help="the store's address, e.g. https://shop.example.lt")
        woo.add_argument("--key", required=True, help="the consumer key, ck_...")
        woo.add_argument("--secret", required=True, help="the consumer secret, cs_...")
        shop = sub.add_parser("shopify", help="connect a Shopify shop (a custom app's Admin API access token)")
        shop.add_argument("--shop", required=True, help="the shop's domain, e.g. my-shop.myshopify.com")
        shop.add_argument("--token", required=True, help="the Admin API access token, shpat_...")
        shop.add_argument("--secret", required=True, help="the app's API secret key (Shopify signs webhooks with it)")
        shop.add_argument("--api-base", default="", help="another address for the Admin API (a proxy or a test server)")
        listing = sub.add_parser("list", help="every connection, its state and last error (never its keys)")
        listing.add_argument("--json", action="store_true", dest="as_json")
        for name, what in (("test", "call the store now and say how it went"), ("remove", "forget the connection")):
            sub.add_parser(name, help=what).add_argument("id")

    @patron_errors
    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_woocommerce(self, url, key, secret, **_):
        self._connected(services.connect_woocommerce(url, key, secret))

    def do_shopify(self, shop, token, secret, api_base, **_):
        self._connected(services.connect_shopify(shop, token, secret, api_base=api_base))

    def _connected(self, connection):
        self.stdout.write(f"connected {connection} as #{connection.pk} (key {connection.hint}, store currency "
                          f"{connection.store_currency or 'not said'})")
        self.stdout.write(f"Patron reads: {services.READS[connection.kind]}")
        self.stdout.write(f"Patron writes: {services.WRITES[connection.kind]}")

    def do_list(self, as_json, **_):
        rows = [{"id": c.pk, "kind": c.kind, "address": c.address, "key": c.hint, "state": c.state,
                 "currency": c.store_currency, "last_sync_at": c.last_sync_at, "last_error": c.last_error}
                for c in services.Connection.objects.order_by("pk")]
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2, cls=DjangoJSONEncoder))
            return
        if not rows:
            self.stdout.write("no shop connected yet: `patron connect woocommerce --url URL --key ck_... --secret cs_...` "
                              "or `patron connect shopify --shop DOMAIN --token shpat_... --secret APP_SECRET`")
        for r in rows:
            line = f"#{r['id']} {r['kind']:<12} {r['address']:<40} key {r['key']:<6} {r['state']}"
            self.stdout.write(line + (f": {r['last_error']}" if r["last_error"] else ""))

    def do_test(self, id, **_):
        connection = services.get_connection(id)
        store = services.test(connection)
        self.stdout.write(f"#{connection.pk} {connection}: answers ({connection.get_kind_display()} {store.version or '?'}, "
                          f"currency {store.currency or 'not said'})")

    def do_remove(self, id, **_):
        connection = services.get_connection(id)
        services.remove(connection)
        self.stdout.write(f"removed #{id} ({connection}); its keys are forgotten")
