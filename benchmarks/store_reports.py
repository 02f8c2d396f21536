"""KPIs, cohorts and scores over the operational store, as a user runs them.

    PATRON_HOME=DIR python benchmarks/store_reports.py             # the SQLite store in DIR
    DATABASE_URL=postgresql://... python benchmarks/store_reports.py

Run it on a store that benchmarks/import_scale.py filled (1M customers, 10M orders). Each command
runs as a subprocess (`patron kpi`, `patron cohorts`, `patron score`), timed from start to exit, so
start-up and reading the store are included. The anchor is what a Django developer would start
from: reading the same orders through the ORM (`values_list`), timed on a sample and projected to
the whole table, before any computing.
"""

import json
import os
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")


def timed(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "patron.cli", *args], capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    return time.perf_counter() - start, done.stdout


def orm_rows_per_second(sample: int = 500_000) -> tuple[float, int]:
    import django

    django.setup()
    from patron.commerce.models import Order

    total = Order.objects.order_by().count()
    start = time.perf_counter()
    rows = list(Order.objects.order_by().values_list("customer_id", "placed_at", "total")[:sample])
    return len(rows) / (time.perf_counter() - start), total


def main() -> None:
    timed("migrate", "-v0")  # the store may predate the insights tables
    report = {"store": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"}
    seconds, out = timed("kpi", "--start", "2023-01-01", "--end", "2023-06-30", "--json")
    report["kpi_s"] = round(seconds, 1)
    report["kpi"] = {k: v for k, v in json.loads(out).items() if k in ("customers_start", "customer_retention_rate", "orders")}
    seconds, out = timed("cohorts", "--json")
    report["cohorts_s"] = round(seconds, 1)
    report["cohort_rows"] = len(json.loads(out))
    seconds, out = timed("score", "--json")
    report["score_s"] = round(seconds, 1)
    report["scored_customers"] = json.loads(out)["customers"]
    rate, total = orm_rows_per_second()
    report["orders"] = total
    report["anchor_orm_rows_per_second"] = round(rate)
    report["anchor_orm_read_all_s"] = round(total / rate, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
