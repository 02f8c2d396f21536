"""rfm_summary over 10M transactions of 1M customers: Patron on DuckDB and on Spark, against a
hand-written DuckDB query and lifetimes' summary_data_from_transaction_data.

    python benchmarks/analytics_scale.py [--orders 10000000] [--customers 1000000] [--runs 3]
        [--lifetimes-python /path/to/python-with-lifetimes] [--no-spark]

The transactions are the import benchmark's orders file (benchmarks/import_scale.py writes it),
kept as Parquet. Each DuckDB figure is the best of --runs; Spark runs once on local[*] after a
warm-up on a small file. lifetimes is archived and pins old libraries, so it runs in an interpreter
of its own (a venv with `pip install lifetimes==0.11.3 pyarrow`), timed around the call alone.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from import_scale import OUT, write_files  # noqa: E402

from patron.analytics import rfm_summary  # noqa: E402

HAND_WRITTEN = """
WITH periods AS (
    SELECT customer_external_id AS id, date_trunc('day', placed_at) AS day, SUM(total) AS value
    FROM read_parquet('{path}') GROUP BY ALL
)
SELECT id, COUNT(*) - 1 AS frequency,
       date_diff('day', MIN(day), MAX(day)) AS recency,
       date_diff('day', MIN(day), (SELECT MAX(day) FROM periods)) AS T,
       COALESCE((SUM(value) - arg_min(value, day)) / NULLIF(COUNT(*) - 1, 0), 0) AS monetary_value
FROM periods GROUP BY id
"""

LIFETIMES = """
import sys, time, pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
tx = pd.read_parquet(sys.argv[1])
start = time.perf_counter()
out = summary_data_from_transaction_data(tx, "customer_external_id", "placed_at", monetary_value_col="total")
print(time.perf_counter() - start, len(out), out["frequency"].sum(), out["monetary_value"].sum())
"""


def parquet_of(orders: int, customers: int) -> Path:
    _, csv_path = write_files(customers, orders)
    path = OUT / f"transactions_{orders}.parquet"
    if not path.exists():
        table = pa_csv.read_csv(csv_path).select(["customer_external_id", "placed_at", "total"])
        # Times in UTC without a zone, as the operational store hands them over.
        table = table.set_column(1, "placed_at", table.column("placed_at").cast(pa.timestamp("us")))
        pq.write_table(table, path)
    return path


def best(fn, runs: int):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lifetimes-python", help="an interpreter with lifetimes installed")
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    path = parquet_of(args.orders, args.customers)
    report = {"transactions": pq.read_metadata(path).num_rows, "parquet": str(path)}

    ours_s, ours = best(lambda: rfm_summary(path, "customer_external_id", "placed_at", "total"), args.runs)
    report["patron_duckdb_s"] = round(ours_s, 2)
    report["customers"] = len(ours)

    def hand():
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        return con.sql(HAND_WRITTEN.format(path=path)).df()

    hand_s, hand_out = best(hand, args.runs)
    report["hand_written_duckdb_s"] = round(hand_s, 2)
    report["ratio_to_hand_written"] = round(ours_s / hand_s, 2)
    hand_out = hand_out.set_index("id").sort_index()
    report["hand_written_agrees"] = bool(
        np.allclose(hand_out["frequency"], ours["frequency"]) and np.allclose(hand_out["T"], ours["T"])
        and np.allclose(hand_out["monetary_value"], ours["monetary_value"])
    )

    if args.lifetimes_python:
        done = subprocess.run([args.lifetimes_python, "-c", LIFETIMES, str(path)], capture_output=True, text=True)
        if done.returncode:
            report["lifetimes_error"] = done.stderr.strip().splitlines()[-1]
        else:
            seconds, rows, frequency, money = done.stdout.split()
            report["lifetimes_s"] = round(float(seconds), 2)
            report["speedup_over_lifetimes"] = round(float(seconds) / ours_s, 1)
            report["lifetimes_agrees"] = bool(int(rows) == len(ours) and float(frequency) == ours["frequency"].sum()
                                          and abs(float(money) - ours["monetary_value"].sum()) < 1e-6 * abs(float(money)))

    if not args.no_spark:
        from patron.analytics.engine import spark_session

        spark = spark_session()
        rfm_summary(path, "customer_external_id", "placed_at", "total", engine="spark", spark=spark).head()  # warm-up
        start = time.perf_counter()
        sparked = rfm_summary(path, "customer_external_id", "placed_at", "total", engine="spark", spark=spark)
        report["patron_spark_s"] = round(time.perf_counter() - start, 2)
        report["spark_max_abs_difference"] = float(np.abs(sparked.sort_index().to_numpy() - ours.to_numpy()).max())
        spark.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
