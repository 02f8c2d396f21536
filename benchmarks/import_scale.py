"""Import at scale: N customers and M orders through `patron import`, on SQLite or PostgreSQL.

    python benchmarks/import_scale.py --customers 1000000 --orders 10000000 [--database-url URL] [--program]

Writes the files under benchmarks/out/, imports them into a fresh store with the real command
(a subprocess, as a user runs it), then imports the orders file again (nothing changes). The
anchor, measured in the same run on the same store, is the one-row-at-a-time ORM upsert
(`update_or_create`) most Django importers use, timed on a sample and given as rows per second.

With --program a loyalty program (a point per euro, a first-purchase bonus) exists before the orders
arrive, so every imported order earns through loyalty.earning, in bulk; the earning's anchor is the
same scoring one order at a time (`award_order`, as the API earns), on a sample of the same store.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

OUT = Path(__file__).parent / "out"


def write_files(customers: int, orders: int, seed: int = 1) -> tuple[Path, Path]:
    OUT.mkdir(exist_ok=True)
    cpath, opath = OUT / f"customers_{customers}.csv", OUT / f"orders_{orders}.csv"
    rng = np.random.default_rng(seed)
    if not cpath.exists():
        ids = np.char.add("C", np.arange(customers).astype(str))
        langs = np.array(["lt", "lv", "et", "ka", "en"])[rng.integers(0, 5, customers)]
        countries = np.array(["LT", "LV", "EE", "GE", "GB"])[rng.integers(0, 5, customers)]
        table = pa.table({
            "external_id": ids,
            "email": np.char.add(np.char.add("person", np.arange(customers).astype(str)), "@example.com"),
            "first_name": np.array(["Jonas", "Anna", "Mari", "Nino", "Tom"])[rng.integers(0, 5, customers)],
            "language": langs,
            "country": countries,
            "created_at": pa.array(rng.integers(1_500_000_000, 1_700_000_000, customers) * 1_000_000, pa.timestamp("us", "UTC")),
            "email_consent": rng.random(customers) < 0.7,
        })
        pa_csv.write_csv(table, cpath)
    if not opath.exists():
        with pa_csv.CSVWriter(opath, pa.schema([("external_id", pa.string()), ("customer_external_id", pa.string()),
                                                ("placed_at", pa.timestamp("us", "UTC")), ("total", pa.string()),
                                                ("currency", pa.string())])) as writer:
            step = 1_000_000
            for start in range(0, orders, step):
                n = min(step, orders - start)
                cents = rng.gamma(2.0, 2500, n).astype(np.int64) + 100
                writer.write_table(pa.table({
                    "external_id": np.char.add("O", np.arange(start, start + n).astype(str)),
                    "customer_external_id": np.char.add("C", rng.integers(0, customers, n).astype(str)),
                    "placed_at": pa.array(rng.integers(1_500_000_000, 1_700_000_000, n) * 1_000_000, pa.timestamp("us", "UTC")),
                    "total": np.char.add(np.char.add((cents // 100).astype(str), "."), np.char.zfill((cents % 100).astype(str), 2)),
                    "currency": np.full(n, "EUR"),
                }))
    return cpath, opath


def patron(env: dict, *args: str) -> tuple[float, dict, int]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "patron.cli", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(done.stderr)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, (json.loads(done.stdout) if "--json" in args else {}), peak_kib


def anchor(env: dict, rows: int) -> float:
    """Rows per second of a per-row ORM upsert on the same store."""
    code = f"""
import time, datetime as dt, django
django.setup()
from patron.customers.models import Customer
from patron.commerce.models import Order
c, _ = Customer.objects.get_or_create(external_id='anchor')
t = time.perf_counter()
for i in range({rows}):
    Order.objects.update_or_create(external_id=f'anchor-{{i}}', defaults=dict(customer=c,
        placed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), total='12.50', currency='EUR', status='completed'))
print({rows} / (time.perf_counter() - t))
"""
    done = subprocess.run([sys.executable, "-c", code], env=env | {"DJANGO_SETTINGS_MODULE": "patron.settings"},
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def django_code(env: dict, code: str) -> str:
    done = subprocess.run([sys.executable, "-c", "import django\ndjango.setup()\n" + code],
                          env=env | {"DJANGO_SETTINGS_MODULE": "patron.settings"}, capture_output=True, text=True, check=True)
    return done.stdout.strip()


PROGRAM = """
import datetime as dt
from patron.loyalty.models import EarningRule, Program
program = Program.objects.create(name="Bench", currency="EUR", points_per_unit=1, expiry_days=365)
EarningRule.objects.create(program=program, kind="first_purchase_bonus", bonus_points=50, valid_from=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
"""


def earning_anchor(env: dict, rows: int) -> float:
    """Orders per second earned one at a time through award_order (the API's way), on the same store."""
    return float(django_code(env, f"""
import time, datetime as dt
from django.db import transaction
from patron.commerce.models import Order
from patron.customers.models import Customer
from patron.loyalty import earning
from patron.loyalty.models import Program
program = Program.objects.get(name="Bench")
customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:{rows}])
run = f"earn-anchor-{{time.time_ns()}}-"
orders = Order.objects.bulk_create([Order(external_id=f"{{run}}{{i}}", customer_id=c, total="12.50", currency="EUR",
    placed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), status="completed") for i, c in enumerate(customers)])
t = time.perf_counter()
with transaction.atomic():  # one commit, as the import's: the anchor times the earning, not the disk
    for order in Order.objects.select_related("customer").filter(external_id__startswith=run):
        earning.award_order(program, order)
print(len(orders) / (time.perf_counter() - t))
"""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (a fresh database); SQLite when empty")
    parser.add_argument("--anchor-rows", type=int, default=20_000)
    parser.add_argument("--program", action="store_true", help="a loyalty program exists: every imported order earns")
    args = parser.parse_args()
    cpath, opath = write_files(args.customers, args.orders)
    home = tempfile.mkdtemp(prefix="patron-bench-")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"PATRON_HOME": home}
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    patron(env, "migrate", "-v0")
    c_s, c_res, _ = patron(env, "import", "customers", str(cpath), "--json")
    if args.program:
        django_code(env, PROGRAM)
    o_s, o_res, _ = patron(env, "import", "orders", str(opath), "--json")
    r_s, r_res, peak = patron(env, "import", "orders", str(opath), "--json")
    rate = anchor(env, args.anchor_rows)
    total_rows = args.customers + args.orders
    report = {
        "store": "postgresql" if args.database_url else "sqlite",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "customers": {"rows": args.customers, "seconds": round(c_s, 1), "imported": c_res["imported"]},
        "orders": {"rows": args.orders, "seconds": round(o_s, 1), "imported": o_res["imported"]},
        "orders_again": {"seconds": round(r_s, 1), "unchanged": r_res["unchanged"]},
        "total_seconds": round(c_s + o_s, 1),
        "rows_per_second": round(total_rows / (c_s + o_s)),
        "peak_rss_mib": round(peak / 1024),
        "anchor_orm_rows_per_second": round(rate),
        "anchor_orm_projected_seconds": round(total_rows / rate),
    }
    if args.program:
        report["earnings"] = int(django_code(env, "from patron.loyalty.models import Movement\nprint(Movement.objects.count())"))
        report["orders_earned_per_second"] = round(args.orders / o_s)
        earn_rate = earning_anchor(env, min(args.anchor_rows, 5_000))
        report["anchor_award_order_per_second"] = round(earn_rate)
        report["anchor_award_order_projected_seconds"] = round(args.orders / earn_rate)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
