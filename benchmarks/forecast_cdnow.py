"""The forecast backtest on all of CDNOW: every model, the Patron forecast and lifetimes, on the BG/NBD paper's split.

    python benchmarks/forecast_cdnow.py [--data ../shared/data/cdnow/CDNOW_master.txt] [--lifetimes-python PATH]

23,570 customers who first bought in the first 12 weeks of 1997; calibration weeks 1-39 (to 1997-09-30), holdout
weeks 40-78 (to 1998-06-30), times in weeks, purchases on one day counted once. Patron's rows come from
`patron.analytics.forecast.backtest` (Pareto/NBD there is fitted on a sample of 10,000 customers, so its row on all
customers is added); lifetimes 0.11.3 fits its BG/NBD, MBG/NBD and Pareto/NBD on the same calibration frame in an
interpreter of its own. Also printed: how the learned model and the choice move with the number of training windows,
and the choice with a backtest over half the history instead of a quarter (BACKTEST_PARTS).
"""

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from patron.analytics import calibration_and_holdout, forecast
from patron.analytics.models import ParetoNBD

LIFETIMES = """
import json, sys, numpy as np, pandas as pd
from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
f = pd.read_parquet(sys.argv[1])
out = {}
for name, fitter in (("BG/NBD", BetaGeoFitter()), ("MBG/NBD", ModifiedBetaGeoFitter()), ("Pareto/NBD", ParetoNBDFitter())):
    fitter.fit(f["frequency_cal"], f["recency_cal"], f["T_cal"])
    p = fitter.conditional_expected_number_of_purchases_up_to_time(f["duration_holdout"], f["frequency_cal"], f["recency_cal"], f["T_cal"])
    out[name] = np.asarray(p, dtype=float).tolist()
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(Path(__file__).parents[2] / "shared" / "data" / "cdnow" / "CDNOW_master.txt"))
    parser.add_argument("--lifetimes-python")
    args = parser.parse_args()
    raw = pd.read_csv(args.data, sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    split = {"cutoff": "1997-09-30", "horizon": 39, "freq": "D", "freq_multiplier": 7}
    start = time.perf_counter()
    report = forecast.backtest(raw, "customer_id", "date", **split)
    seconds = time.perf_counter() - start
    frame = calibration_and_holdout(raw, "customer_id", "date", "1997-09-30", "1998-06-30", freq="D", freq_multiplier=7)
    actual = frame["frequency_holdout"].to_numpy()
    x, t, T = (frame[c].to_numpy() for c in ("frequency_cal", "recency_cal", "T_cal"))
    pareto = ParetoNBD().fit(x, t, T)
    rows = [s.as_dict() for s in report.scores]
    rows.append(forecast.score("Pareto/NBD, all customers", pareto.expected_purchases(39.0, x, t, T), actual).as_dict())
    if args.lifetimes_python:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "frame.parquet"
            frame.to_parquet(path)
            done = subprocess.run([args.lifetimes_python, "-c", LIFETIMES, str(path)], capture_output=True, text=True)
        if done.returncode:
            print("lifetimes failed:", done.stderr.strip().splitlines()[-1])
        else:
            for name, predicted in json.loads(done.stdout).items():
                rows.append(forecast.score(f"lifetimes {name}", np.array(predicted), actual).as_dict())
    print(f"backtest in {seconds:.1f} s; actual {report.actual:,.0f} purchase days; choice {report.choice} "
          f"(backtest before the cut-off at {report.inner_cutoff:%Y-%m-%d})")
    print("| model | forecast | total error | MAE | RMSE | correlation |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['predicted']:,.0f} | {r['error_pct']:+.2f} % | {r['mae']:.4f} | {r['rmse']:.4f} | {r['correlation']:.4f} |")
    print("\nThe choice's backtest before the cut-off:")
    for s in report.inner:
        print(f"  {s.name}: RMSE {s.rmse:.4f}, total error {s.error_pct:+.2f} %")
    history = forecast._History(raw, "customer_id", "date", "D", 7)
    cut = pd.Timestamp(split["cutoff"]).to_pydatetime()
    at_cut = history.window(cut, cut + split["horizon"] * history.unit)
    bg = forecast.fit("BG/NBD", at_cut)
    for windows in (2, 3, 4, 5):
        forecast.WINDOWS = windows
        again = forecast.backtest(raw, "customer_id", "date", **split)
        learned = next(s for s in again.scores if s.name == forecast.LEARNED)
        patron = again.scores[-1]
        print(f"windows {windows}: learned {learned.error_pct:+.2f} % RMSE {learned.rmse:.4f}; choice {again.choice}, "
              f"Patron {patron.error_pct:+.2f} % RMSE {patron.rmse:.4f}")
        rate, ratio = forecast.learned_parts(history, cut, float(split["horizon"]), at_cut, bg)
        for name, part in (("rate", rate), ("ratio to BG/NBD", ratio)):
            scored = forecast.score(name, part, at_cut["frequency_holdout"].to_numpy())
            print(f"  its {name} part alone: {scored.error_pct:+.2f} % RMSE {scored.rmse:.4f}")
    forecast.WINDOWS = 3
    forecast.BACKTEST_PARTS = 2
    half = forecast.backtest(raw, "customer_id", "date", **split)
    print(f"a backtest over half the history chooses {half.choice}: " + ", ".join(f"{s.name} {s.rmse:.4f}" for s in half.inner))

if __name__ == "__main__":
    main()
