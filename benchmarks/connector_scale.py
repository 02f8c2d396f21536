"""A shop connected: the backfill beside the file import of the same rows, and the webhooks' intake.

    python benchmarks/connector_scale.py backfill --customers 100000 --orders 1000000 [--database-url URL]
    python benchmarks/connector_scale.py webhooks --database-url URL [--seconds 15] [--processes 2]

backfill: a WooCommerce store played by a lean local server (a subprocess; pages made on the fly from
their index, shaped as the REST API's "List all customers/orders", X-WP-TotalPages), connected and read by
`patron sync` as a user runs it. The anchor, in the same run: the same rows (customers, orders, their
lines) written as CSV files and imported with `patron import` into another fresh store. Rows per second
counts customers + orders + order lines. Peak RSS is the sync's own (wait4), at the size asked and at a
tenth of it: memory stays flat when the two are alike.

webhooks: `patron serve` (--processes N, uWSGI) on PostgreSQL takes signed `order.created` deliveries
from wrk (`apt install wrk`; pre-signed bodies, a fresh delivery id per request), for --seconds; then the
worker's processing of the backlog is timed (deliveries processed per second: does it keep up).
"""

import argparse
import base64
import csv
import hashlib
import hmac
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlparse, urlsplit

OUT = Path(__file__).parent / "out"
KEY, SECRET = "ck_" + "b" * 40, "cs_" + "c" * 40


# -- the store ------------------------------------------------------------------------------------

def customer(i: int) -> dict:
    return {"id": 1 + i, "date_created_gmt": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00", "email": f"p{i}@example.lt",
            "first_name": "Rūta", "last_name": f"P{i}", "billing": {"country": "LT", "phone": ""}}


def order(i: int, customers: int) -> dict:
    rng = random.Random(i)
    return {"id": 1 + i, "status": "completed", "currency": "EUR", "customer_id": 1 + rng.randrange(customers),
            "date_created_gmt": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T12:{i % 60:02d}:00",
            "date_modified_gmt": "2025-12-01T00:00:00", "total": f"{20 + i % 50}.00",
            "billing": {"email": "", "country": "LT"}, "refunds": [], "coupon_lines": [],
            "line_items": [{"product_id": 10 + i % 40, "sku": f"SKU-{i % 40}", "quantity": 1, "price": 10},
                           {"product_id": 50 + i % 10, "sku": f"SKU-{40 + i % 10}", "quantity": 1 + i % 3, "price": f"{5 + i % 50}.00"}]}


def serve_store(port_file: str, customers: int, orders: int) -> None:
    products = [{"id": 10 + n, "name": f"Prekė {n}", "sku": f"SKU-{n}", "price": "10.00", "stock_status": "instock",
                 "permalink": f"http://shop.example.lt/p/{n}", "categories": [{"name": "Arbata"}], "images": []} for n in range(50)]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a store's web server answers
        wbufsize = 1 << 16  # the headers and the body in one write, as a web server sends them
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def _send(self, body, headers=None):
            data = json.dumps(body).encode()
            self.send_response(200 if self.command == "GET" else 201)
            self.send_header("Content-Type", "application/json")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            parts = urlsplit(self.path)
            params = dict(parse_qsl(parts.query))
            endpoint = parts.path.removeprefix("/wp-json/wc/v3/")
            if endpoint == "system_status":
                return self._send({"environment": {"home_url": "http://shop.example.lt", "version": "9.4"},
                                   "settings": {"currency": "EUR"}})
            if endpoint == "webhooks":
                return self._send([])
            total = {"customers": customers, "orders": orders, "products": len(products)}[endpoint]
            page, per_page = int(params.get("page", 1)), int(params.get("per_page", 10))
            start, end = (page - 1) * per_page, min(page * per_page, total)
            make = {"customers": customer, "orders": lambda i: order(i, customers), "products": lambda i: products[i]}[endpoint]
            rows = [make(i) for i in range(start, end)] if "modified_after" not in params else []
            return self._send(rows, {"X-WP-Total": str(total), "X-WP-TotalPages": str(max(1, -(-total // per_page)))})

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return self._send({"id": 1})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(port_file).write_text(str(server.server_port))
    server.serve_forever()


# -- running Patron -------------------------------------------------------------------------------

def peak_rss(env: dict, *args: str) -> tuple[float, str, int]:
    """(seconds, stdout, peak RSS in KiB) of one command as a user runs it; the RSS its own (wait4)."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "patron.cli", *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    out = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    if status:
        sys.exit(f"patron {' '.join(args)} failed with status {status}")
    return time.perf_counter() - start, out, usage.ru_maxrss


def fresh_store(database_url: str | None, name: str) -> dict:
    home = tempfile.mkdtemp(prefix=f"patron-{name}-")
    env = dict(os.environ) | {"PATRON_HOME": home, "PATRON_DEBUG": "false"}
    env.pop("DATABASE_URL", None)
    if database_url:
        url = urlparse(database_url)
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        pg = ["-h", url.hostname, "-p", str(url.port or 5432), "-U", url.username]
        pg_env = os.environ | {"PGPASSWORD": url.password or ""}
        subprocess.run([str(bindir / "dropdb"), *pg, "--if-exists", name], env=pg_env, check=True)
        subprocess.run([str(bindir / "createdb"), *pg, name], env=pg_env, check=True)
        env["DATABASE_URL"] = url._replace(path=f"/{name}").geturl()
    subprocess.run([sys.executable, "-m", "patron.cli", "migrate", "-v0"], env=env, check=True)
    return env


def backfill_once(customers: int, orders: int, database_url: str | None) -> dict:
    port_file = tempfile.mktemp()
    store = subprocess.Popen([sys.executable, __file__, "serve-store", port_file, str(customers), str(orders)])
    try:
        while not Path(port_file).exists() or not Path(port_file).read_text():
            time.sleep(0.05)
        url = f"http://127.0.0.1:{Path(port_file).read_text()}"
        env = fresh_store(database_url, f"bench_sync_{orders}")
        peak_rss(env, "connect", "woocommerce", "--url", url, "--key", KEY, "--secret", SECRET)
        seconds, out, rss = peak_rss(env, "sync", "--json")
        report = next(iter(json.loads(out).values()))
    finally:
        store.terminate()
        store.wait()
    rows = sum(report[kind]["imported"] + report[kind]["updated"] + report[kind]["unchanged"]
               for kind in ("customers", "orders", "order-lines"))
    return {"seconds": seconds, "rows": rows, "rss_mib": rss / 1024, "pages": report["pages"]}


def write_files(customers: int, orders: int) -> list[tuple[str, Path]]:
    OUT.mkdir(exist_ok=True)
    files = [("customers", OUT / f"wc_customers_{customers}.csv"), ("orders", OUT / f"wc_orders_{orders}.csv"),
             ("order-lines", OUT / f"wc_lines_{orders}.csv")]
    if all(path.exists() for _, path in files):
        return files
    with open(files[0][1], "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "email", "first_name", "last_name", "country", "created_at"])
        for i in range(customers):
            c = customer(i)
            writer.writerow([c["id"], c["email"], c["first_name"], c["last_name"], "LT", c["date_created_gmt"] + "Z"])
    with open(files[1][1], "w", newline="") as o_out, open(files[2][1], "w", newline="") as l_out:
        orders_w, lines_w = csv.writer(o_out), csv.writer(l_out)
        orders_w.writerow(["external_id", "customer_external_id", "placed_at", "total", "currency", "status"])
        lines_w.writerow(["order_external_id", "sku", "quantity", "unit_price"])
        for i in range(orders):
            o = order(i, customers)
            orders_w.writerow([o["id"], o["customer_id"], o["date_created_gmt"] + "Z", o["total"], "EUR", "completed"])
            for item in o["line_items"]:
                lines_w.writerow([o["id"], item["sku"], item["quantity"], item["price"]])
    return files


def file_import(customers: int, orders: int, database_url: str | None) -> dict:
    files = write_files(customers, orders)
    env = fresh_store(database_url, f"bench_files_{orders}")
    seconds = 0.0
    for kind, path in files:
        took, _out, _rss = peak_rss(env, "import", kind, str(path))
        seconds += took
    return {"seconds": seconds, "rows": customers + orders * 3}


def backfill(args) -> None:
    small = backfill_once(args.customers // 10, args.orders // 10, args.database_url)
    full = backfill_once(args.customers, args.orders, args.database_url)
    anchor = file_import(args.customers, args.orders, args.database_url)
    store = "PostgreSQL" if args.database_url else "SQLite"
    print(json.dumps({"store": store, "sync": full, "sync_tenth": small, "file_import": anchor}, indent=2))
    ratio = (full["rows"] / full["seconds"]) / (anchor["rows"] / anchor["seconds"])
    print(f"| {store} | {full['seconds']:.1f} s | {full['rows'] / full['seconds']:,.0f} | {full['pages']:,} | "
          f"{full['rss_mib']:.0f} MiB (a tenth: {small['rss_mib']:.0f} MiB) | {anchor['seconds']:.1f} s, "
          f"{anchor['rows'] / anchor['seconds']:,.0f} rows/s | **{ratio:.0%}** |")


# -- webhook intake -------------------------------------------------------------------------------

LUA = """
local bodies = {}
local n = 0
init = function(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\\t", 1, true)
    bodies[#bodies + 1] = {line:sub(1, tab - 1), line:sub(tab + 1)}
  end
  n = tonumber(args[2]) or 0
end
request = function()
  n = n + 1
  local b = bodies[(n %% #bodies) + 1]
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json", ["X-WC-Webhook-Topic"] = "order.created",
    ["X-WC-Webhook-Signature"] = b[2], ["X-WC-Webhook-Delivery-ID"] = "d-" .. n}, b[1])
end
function done(summary, latency, requests)
  io.write(string.format('{"requests": %%d, "non2xx": %%d, "socket_errors": %%d, "p50_ms": %%.1f, "p99_ms": %%.1f, "duration_s": %%.2f}\\n',
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""


def webhooks(args) -> None:
    if not shutil.which("wrk"):
        sys.exit("the load generator is wrk: apt install wrk")
    env = fresh_store(args.database_url, "bench_hooks")
    code = """
import django; django.setup()
from patron.connectors import secrets
from patron.connectors.models import Connection
from patron.customers.services import upsert_customer
from patron.loyalty.models import Program
Program.objects.create(name="Bench", currency="EUR", points_per_unit=1)
for i in range(1, 1001):
    upsert_customer(str(i), email=f"p{i}@example.lt")
c = Connection.objects.create(kind="woocommerce", address="http://shop.example.lt", hint="bench", store_currency="EUR",
                              credentials=secrets.seal({"key": "ck_x", "secret": "cs_x", "webhook_secret": "bench-secret"}))
print(c.pk)
"""
    pk = subprocess.run([sys.executable, "-c", code], env=env | {"DJANGO_SETTINGS_MODULE": "patron.settings"},
                        capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    # A distinct order in every request (each thread starts at its own offset), signed as WooCommerce signs.
    count = args.orders
    bodies = Path(tempfile.mktemp(suffix=".tsv"))
    with open(bodies, "w") as out:
        for i in range(count):
            body = json.dumps(order(i, 1000) | {"date_modified_gmt": "2025-12-01T00:00:00"}, separators=(",", ":"))
            signed = base64.b64encode(hmac.new(b"bench-secret", body.encode(), hashlib.sha256).digest()).decode()
            out.write(f"{body}\t{signed}\n")
    script = Path(tempfile.mktemp(suffix=".lua"))
    script.write_text(LUA % f"/hooks/woocommerce/{pk}")
    server = subprocess.Popen([sys.executable, "-m", "patron.cli", "serve", "--port", str(args.port), "--processes",
                               str(args.processes), "--threads", str(args.threads)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                subprocess.run(["curl", "-sf", f"http://127.0.0.1:{args.port}/login/"], check=True, capture_output=True)
                break
            except subprocess.CalledProcessError:
                time.sleep(0.25)
        rounds = []
        for _ in range(args.rounds):
            # One thread: each wrk thread runs the script's counter on its own, and the orders must not repeat.
            out = subprocess.run(["wrk", "-t", "1", "-c", str(args.clients), "-d", f"{int(args.seconds)}s", "--timeout", "30s",
                                  "-s", str(script), f"http://127.0.0.1:{args.port}", "--", str(bodies),
                                  str(sum(r["requests"] for r in rounds))], capture_output=True, text=True, check=True)
            rounds.append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        server.terminate()
        server.wait()
    took, out, _rss = peak_rss(env, "shell", "-c", (
        "import time; from patron.connectors import live; from patron.connectors.models import Delivery\n"
        "n = Delivery.objects.filter(processed_at__isnull=True).count(); t = time.perf_counter()\n"
        "live.drain(seconds=3600)\n"
        "print(n, time.perf_counter() - t)"))
    pending, seconds = out.split()[-2:]
    rates = [r["requests"] / r["duration_s"] for r in rounds]
    print(json.dumps({"rounds": rounds, "processed": int(pending), "processing_seconds": float(seconds)}, indent=2))
    print(f"| {args.processes} x {args.threads} | " + " / ".join(f"{r:.0f}" for r in rates) + " | "
          + " / ".join(f"{r['p99_ms']:.1f}" for r in rounds) + f" | {sum(r['non2xx'] for r in rounds)} | "
          f"{int(pending):,} in {float(seconds):.1f} s: {int(pending) / float(seconds):,.0f}/s |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve-store":
        return serve_store(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    one = sub.add_parser("backfill")
    one.add_argument("--customers", type=int, default=100_000)
    one.add_argument("--orders", type=int, default=1_000_000)
    one.add_argument("--database-url", help="a PostgreSQL server (fresh databases are made on it); default SQLite")
    two = sub.add_parser("webhooks")
    two.add_argument("--database-url", required=True)
    two.add_argument("--seconds", type=float, default=15)
    two.add_argument("--clients", type=int, default=8)
    two.add_argument("--processes", type=int, default=2)
    two.add_argument("--threads", type=int, default=8)
    two.add_argument("--rounds", type=int, default=3)
    two.add_argument("--port", type=int, default=8791)
    two.add_argument("--orders", type=int, default=40_000, help="distinct signed orders (more than the run sends)")
    args = parser.parse_args()
    backfill(args) if args.what == "backfill" else webhooks(args)


if __name__ == "__main__":
    main()
