"""The forecast backtest and patron score's choice on 1M customers (the churn benchmark's simulated shop).

    python benchmarks/forecast_scale.py [--customers 1000000]

1M customers join over two years and buy as a BG/NBD process in days (benchmarks/churn_scale.py draws them and keeps
the Parquet file). Timed as a user runs them: `forecast.backtest` from the Parquet file with a cut-off 90 days before
the end (the models, the learned one with its three windows, and the backtest before the cut-off that chooses the
Patron forecast), and `forecast.choose` at the end of the data, what `patron score` adds to a nightly run. Peak memory
is the process's resident maximum.
"""

import argparse
import datetime as dt
import json
import resource
import time

from churn_scale import DAYS, START, simulate

from patron.analytics import forecast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    path = str(simulate(args.customers, 20))
    report = {"customers": args.customers}
    start = time.perf_counter()
    result = forecast.backtest(path, "customer_id", "placed_at", (START + dt.timedelta(days=DAYS - 90)).date(), horizon=90)
    report["backtest"] = {"seconds": round(time.perf_counter() - start, 1), **result.as_dict()}
    start = time.perf_counter()
    choice, _ = forecast.choose(path, "customer_id", "placed_at", START + dt.timedelta(days=DAYS), 90)
    report["choose"] = {"seconds": round(time.perf_counter() - start, 1), **choice.as_dict()}
    report["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
