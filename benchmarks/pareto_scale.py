"""Pareto/NBD's fit on 1M customers (all of them, no sample): Patron against lifetimes, in the same run.

    python benchmarks/pareto_scale.py [--lifetimes-python /path/to/python-with-lifetimes] [--weeks]

The customers are models_scale.py's: 1M histories drawn from a BG/NBD process in days with the CDNOW
estimates, summarised as whole days (or, with --weeks, times to two decimals of a week: few rows repeat).
lifetimes 0.11.3 takes minutes here, so each side is timed once; its parameters are compared with Patron's.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from patron.analytics.models import ParetoNBD

sys.path.insert(0, str(Path(__file__).parent))
from models_scale import load_summary  # noqa: E402

LIFETIMES = """
import json, sys, time, pandas as pd
from lifetimes import ParetoNBDFitter
s = pd.read_parquet(sys.argv[1])
start = time.perf_counter()
model = ParetoNBDFitter().fit(s["frequency"], s["recency"], s["T"])
print(json.dumps({"fit_s": time.perf_counter() - start, "params": {k: float(v) for k, v in model.params_.items()}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifetimes-python")
    parser.add_argument("--weeks", action="store_true", help="times to two decimals of a week instead of whole days")
    args = parser.parse_args()
    path, s, report = load_summary(args.weeks)
    start = time.perf_counter()
    model = ParetoNBD().fit(summary=s)
    report["fit_s"] = round(time.perf_counter() - start, 2)
    report["params"] = {k: round(v, 5) for k, v in model.params.items()}
    report["log_likelihood"] = round(model.log_likelihood, 2)
    if args.lifetimes_python:
        done = subprocess.run([args.lifetimes_python, "-c", LIFETIMES, str(path)], capture_output=True, text=True)
        if done.returncode:
            report["lifetimes_error"] = done.stderr.strip().splitlines()[-1]
        else:
            theirs = json.loads(done.stdout)
            report["lifetimes"] = theirs
            report["speedup"] = round(theirs["fit_s"] / report["fit_s"], 1)
            report["max_relative_param_difference"] = max(abs(theirs["params"][k] / model.params[k] - 1) for k in model.params)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
