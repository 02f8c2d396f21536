"""POST /api/v1/orders sustained on loopback, beside pgbench running the same writes as one SQL transaction.

    python benchmarks/api_throughput.py --database-url postgresql://postgres:patron@127.0.0.1:55440/postgres
        [--seconds 20] [--clients 8] [--processes N] [--threads T] [--rounds 3] [--pgbench-protocols simple,prepared]

Creates a fresh database `patron_api_bench` on that server, migrates it, makes a program, 1,000
customers and an API key, and serves the app as it would be deployed (`patron serve`: waitress with
8 threads, or with --processes N uWSGI with N processes of --threads threads; DEBUG off). The load
generator keeps --clients keep-alive connections busy posting new orders (each earns points: an
order, a movement, a lot, a double entry and the wallet's balance) for --seconds, then pgbench runs
the equivalent SQL transaction with the same number of clients, once in each of --pgbench-protocols
(simple: pgbench's default, every statement parsed and planned; prepared: each statement prepared
once per connection, as the app does with PATRON_DB_PREPARED on, the default); --rounds times,
taking turns, and the report gives each round and the medians. All share the machine's 2 cores with
the server, as they would on a small host. The server takes PATRON_DB_PREPARED from the environment.

The load generator is wrk (`apt install wrk`; C, like pgbench, so it takes little of the cores the
server needs) with benchmarks/api_orders.lua; without wrk, or with --python-load, a Python one with
a thread per client.
"""

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

PGBENCH_SCRIPT = """
\\set c random(1, 1000)
\\set n random(1, 2000000000)
BEGIN;
INSERT INTO commerce_order (external_id, customer_id, placed_at, total, currency, status)
  SELECT 'pgb-' || :n || '-' || :client_id, id, now(), 45.50, 'EUR', 'completed' FROM customers_customer WHERE external_id = 'c' || :c;
INSERT INTO loyalty_movement (program_id, kind, customer_id, points, reason, reference, created_at)
  SELECT 1, 'earn', id, 45, 'order', 'pgb-' || :n || '-' || :client_id, now() FROM customers_customer WHERE external_id = 'c' || :c;
INSERT INTO loyalty_lot (wallet_id, movement_id, points, remaining, earned_at, expires_at)
  SELECT a.id, currval('loyalty_movement_id_seq'), 45, 45, now(), now() + interval '365 days'
  FROM loyalty_account a JOIN customers_customer c ON c.id = a.customer_id WHERE c.external_id = 'c' || :c;
INSERT INTO loyalty_entry (movement_id, debit_id, credit_id, points, lot_id)
  SELECT currval('loyalty_movement_id_seq'), (SELECT id FROM loyalty_account WHERE kind = 'liability'), a.id, 45, currval('loyalty_lot_id_seq')
  FROM loyalty_account a JOIN customers_customer c ON c.id = a.customer_id WHERE c.external_id = 'c' || :c;
UPDATE loyalty_account SET balance = balance + 45 WHERE customer_id = (SELECT id FROM customers_customer WHERE external_id = 'c' || :c);
COMMIT;
"""


def patron(env, *args, check=True):
    return subprocess.run([sys.executable, "-m", "patron.cli", *args], env=env, capture_output=True, text=True, check=check)


def setup(env: dict) -> str:
    patron(env, "migrate", "-v0")
    code = """
import django; django.setup()
from patron.customers.services import upsert_customer
from patron.loyalty.models import Program
from patron.loyalty import services
program = Program.objects.create(name="Bench", currency="EUR", points_per_unit=1, expiry_days=365)
for i in range(1, 1001):
    customer = upsert_customer(f"c{i}")[0]
    services.wallet(program, customer)
services.system_account(program, "liability")
"""
    subprocess.run([sys.executable, "-c", code], env=env | {"DJANGO_SETTINGS_MODULE": "patron.settings"}, check=True)
    return patron(env, "apikey", "create", "--name", "bench", "--scopes", "orders:write").stdout.strip()


def load(port: int, key: str, clients: int, seconds: float) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(n: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, i = [], 0
        while time.perf_counter() < stop:
            i += 1
            body = json.dumps({"external_id": f"api-{n}-{i}", "customer_external_id": f"c{1 + (n * 7919 + i) % 1000}",
                               "placed_at": "2025-06-01T10:00:00Z", "total": "45.50", "currency": "EUR"})
            start = time.perf_counter()
            conn.request("POST", "/api/v1/orders", body, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), latencies, errors[0]


def load_wrk(port: int, key: str, clients: int, seconds: float, run: str) -> dict:
    script = Path(__file__).with_name("api_orders.lua")
    out = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{int(seconds)}s", "--timeout", "30s", "-s", str(script),
                          f"http://127.0.0.1:{port}", "--", key, run], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server (its postgres database); a fresh database is made on it")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--processes", type=int, default=1, help="`patron serve --processes` (1: waitress; more: uWSGI)")
    parser.add_argument("--threads", type=int, default=8, help="`patron serve --threads`, per process")
    parser.add_argument("--rounds", type=int, default=3, help="API and pgbench rounds, taking turns (medians reported)")
    parser.add_argument("--pgbench-protocols", default="simple,prepared",
                        help="pgbench's query protocols to run each round (simple: pgbench's default, each statement parsed "
                             "and planned; prepared: once per connection, as the API does with PATRON_DB_PREPARED on)")
    parser.add_argument("--python-load", action="store_true", help="the Python load generator even where wrk is installed")
    args = parser.parse_args()
    protocols = [p for p in args.pgbench_protocols.split(",") if p]
    if not protocols or set(protocols) - {"simple", "extended", "prepared"}:
        parser.error(f"--pgbench-protocols takes simple, extended or prepared, comma-separated; not {args.pgbench_protocols!r}")
    url = urlparse(args.database_url)
    bench_url = url._replace(path="/patron_api_bench").geturl()
    pg_env = os.environ | {"PGPASSWORD": url.password or ""}
    pg = ["-h", url.hostname, "-p", str(url.port or 5432), "-U", url.username]
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    subprocess.run([str(bindir / "dropdb"), *pg, "--if-exists", "patron_api_bench"], env=pg_env, check=True)
    subprocess.run([str(bindir / "createdb"), *pg, "patron_api_bench"], env=pg_env, check=True)
    home = tempfile.mkdtemp(prefix="patron-api-bench-")
    env = {k: v for k, v in os.environ.items()} | {"DATABASE_URL": bench_url, "PATRON_HOME": home, "PATRON_DEBUG": "false",
                                                  "PATRON_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    key = setup(env)
    server = subprocess.Popen([sys.executable, "-m", "patron.cli", "serve", "--port", str(args.port), "--threads", str(args.threads),
                               "--processes", str(args.processes)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request("GET", "/api/v1/openapi.json")
                break
            except OSError:
                time.sleep(0.2)
        report = {"clients": args.clients, "seconds": args.seconds, "processes": args.processes, "threads": args.threads,
                  "prepared": env.get("PATRON_DB_PREPARED", "true"),
                  "rounds": args.rounds, "load": "wrk" if shutil.which("wrk") and not args.python_load else "python"}
        warm(args, key, report["load"])
        rounds = []
        for n in range(args.rounds):  # the API and pgbench take turns, so a slow spell of the machine falls on both
            api = measure_api(args, key, report["load"], f"run{n}")
            for protocol in protocols:
                api[f"pgbench_{protocol}_tps"], api[f"pgbench_{protocol}"] = pgbench(bindir, pg, pg_env, args, protocol)
            rounds.append(api)
    finally:
        server.terminate()
        server.wait()
    report["each_round"] = rounds
    for name in ("api_rate_per_s", "api_p50_ms", "api_p99_ms", *(f"pgbench_{p}_tps" for p in protocols)):
        report[name] = round(statistics.median(r[name] for r in rounds), 1)
    report["errors"] = sum(r["errors"] for r in rounds)
    for protocol in protocols:
        tps = report[f"pgbench_{protocol}_tps"]
        report[f"api_share_of_pgbench_{protocol}"] = round(report["api_rate_per_s"] / tps, 2) if tps else None
    print(json.dumps(report, indent=2))


def warm(args, key: str, how: str) -> None:
    if how == "wrk":
        load_wrk(args.port, key, args.clients, 3, "warm")
    else:
        load(args.port, key, args.clients, 2)


def measure_api(args, key: str, how: str, run: str) -> dict:
    if how == "wrk":
        got = load_wrk(args.port, key, args.clients, args.seconds, run)
        return {"requests": got["requests"], "errors": got["non2xx"] + got["socket_errors"],
                "api_rate_per_s": round(got["requests"] / got["duration_s"], 1), "api_p50_ms": got["p50_ms"], "api_p99_ms": got["p99_ms"]}
    done, latencies, errors = load(args.port, key, args.clients, args.seconds)
    latencies.sort()
    return {"requests": done, "errors": errors, "api_rate_per_s": round(done / args.seconds, 1),
            "api_p50_ms": round(1000 * statistics.median(latencies), 1),
            "api_p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1)}


def pgbench(bindir: Path, pg: list, pg_env: dict, args, protocol: str) -> tuple[float, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT)
    out = subprocess.run([str(bindir / "pgbench"), *pg, "-n", "-c", str(args.clients), "-j", "2", "-T", str(int(args.seconds)),
                          "-M", protocol, "-f", script.name, "patron_api_bench"], env=pg_env, capture_output=True, text=True)
    tps = [line for line in out.stdout.splitlines() if line.startswith("tps")]
    latency = [line for line in out.stdout.splitlines() if line.startswith("latency average")]
    if not tps:
        raise SystemExit(f"pgbench failed: {out.stderr.strip()[-300:]}")
    return float(tps[0].split("=")[1].split()[0]), tps[0] + ("; " + latency[0] if latency else "")


if __name__ == "__main__":
    main()
