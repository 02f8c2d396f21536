"""Pareto/NBD's fit on the CDNOW sample (2,357 customers, weeks): Patron against lifetimes, best of 5 each.

    python benchmarks/pareto_cdnow.py --lifetimes-python /tmp/lt-venv/bin/python
"""

import argparse
import subprocess
import time
from pathlib import Path

import pandas as pd

from patron.analytics.models import ParetoNBD

SUMMARY = Path(__file__).parents[1] / "tests" / "data" / "cdnow" / "cdnow_customers_summary.csv"
LIFETIMES = """
import sys, time, pandas as pd
from lifetimes import ParetoNBDFitter
s = pd.read_csv(sys.argv[1])
best = 1e9
for _ in range(5):
    start = time.perf_counter()
    ParetoNBDFitter().fit(s["frequency"], s["recency"], s["T"])
    best = min(best, time.perf_counter() - start)
print(best)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifetimes-python")
    args = parser.parse_args()
    summary = pd.read_csv(SUMMARY)
    best = 1e9
    for _ in range(5):
        start = time.perf_counter()
        model = ParetoNBD().fit(summary=summary)
        best = min(best, time.perf_counter() - start)
    print(f"Patron {best:.3f} s, log-likelihood {model.log_likelihood:.3f}")
    if args.lifetimes_python:
        theirs = float(subprocess.run([args.lifetimes_python, "-c", LIFETIMES, str(SUMMARY)], capture_output=True, text=True,
                                      check=True).stdout)
        print(f"lifetimes {theirs:.3f} s: {theirs / best:.1f}x")


if __name__ == "__main__":
    main()
