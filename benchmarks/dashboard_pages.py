"""Dashboard page times at 1M customers and 10M orders (target: p95 under 300 ms for every page).

    DATABASE_URL=postgresql://... python benchmarks/dashboard_pages.py [--runs 20] [--skip-refresh]

Run it on the store benchmarks/import_scale.py filled and `patron score` scored. It first refreshes the
dashboard's snapshots as `patron score` does at its end (timed; --skip-refresh keeps the ones there),
then fetches every page in-process through Django's test client as a signed-in admin, `--runs` times
after one warm-up: the median and the 95th percentile. Lists are fetched at their first page and deep
in (a keyset cursor). Anchors in the same run: the overview computed from the orders on request (no
snapshot), and the customer list at page 10,000 through Django's Paginator (COUNT(*) and OFFSET).

--synthetic-predictions: where the store's orders support no model fit (the import benchmark's orders
are placed at random, so nobody drops out and BG/NBD cannot be fitted), fill P(alive) and 12-month
CLV of every unpredicted customer from a seeded uniform draw and record a ModelFit with their 90th
percentile, so that "worth saving" is timed over 1M scored rows. The figures on that page then time
the query, not the models.
"""

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
os.environ.setdefault("PATRON_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

import pandas as pd  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from patron.analytics.frames import materialize  # noqa: E402
from patron.commerce.models import Order  # noqa: E402
from patron.customers.models import Customer  # noqa: E402
from patron.dashboard import queries, roles  # noqa: E402
from patron.dashboard.services import add_staff  # noqa: E402
from patron.dashboard import snapshots  # noqa: E402
from patron.insights import store  # noqa: E402
from patron.insights.models import CustomerScore  # noqa: E402


def timed(fetch, runs: int) -> dict:
    fetch()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fetch()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 1)}


def page(client: Client, url: str):
    def fetch():
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url}: HTTP {response.status_code}")
    return fetch


def refresh() -> float:
    """The snapshots, as `patron score` computes them after writing the scores (read back here)."""
    start = time.perf_counter()
    now = timezone.now()
    purchases, surveys = materialize(store.orders()), materialize(store.surveys())
    rfm = pd.DataFrame.from_records(CustomerScore.objects.values_list("segment", "quadrant", "r_score", "recency_days",
                                                                     "frequency", "monetary").iterator(chunk_size=50_000),
                                    columns=["segment", "quadrant", "r_score", "recency_days", "frequency", "monetary"])
    rfm["monetary"] = rfm["monetary"].astype(float)
    snapshots.refresh(now, purchases, surveys, rfm)
    return time.perf_counter() - start


def synthetic_predictions() -> int:
    """P(alive) and CLV for customers the models left unpredicted (PostgreSQL), and the fit's CLV decile."""
    from django.db import connection, transaction

    from patron.insights.models import ModelFit

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("UPDATE insights_customerscore SET p_alive = random(), clv_12m = round((random() * 400)::numeric, 2) "
                       "WHERE p_alive IS NULL")
        filled = cursor.rowcount
        cursor.execute("SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY clv_12m) FROM insights_customerscore")
        decile = float(cursor.fetchone()[0])
        ModelFit.objects.create(fitted_at=timezone.now(), customers=Customer.objects.count(), purchases={},
                                note="synthetic predictions for benchmarks/dashboard_pages.py", clv_top_decile=decile)
    return filled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-refresh", action="store_true")
    parser.add_argument("--synthetic-predictions", action="store_true")
    args = parser.parse_args()
    report = {"customers": Customer.objects.count(), "orders": Order.objects.count()}
    if args.synthetic_predictions:
        report["synthetic_predictions"] = synthetic_predictions()
    if not args.skip_refresh:
        report["snapshot_refresh_s"] = round(refresh(), 1)
    user, _password = add_staff("bench-admin", roles.ADMIN)
    client = Client()
    client.force_login(user)
    busiest = Order.objects.order_by("-id").values_list("customer_id", flat=True)[:1][0]
    deep_customer = Customer.objects.order_by("id").values_list("id", flat=True)[Customer.objects.count() // 2]
    at_risk, _threshold = queries.at_risk()
    urls = {name: reverse(f"dashboard:{name}") for name in roles.NAVIGATION}
    urls["customers (deep, keyset)"] = f"{urls['customers']}?after={deep_customer}"
    urls["customers (search by email)"] = f"{urls['customers']}?q=" + Customer.objects.exclude(email="").values_list("email", flat=True).first()
    if at_risk.next_cursor:
        urls["at_risk (page 2)"] = f"{urls['at_risk']}?after={at_risk.next_cursor}"
    urls["customer (busiest)"] = reverse("dashboard:customer", args=[busiest])
    report["pages"] = {name: timed(page(client, url), args.runs) for name, url in urls.items()}
    report["worst_p95_ms"] = max(p["p95_ms"] for p in report["pages"].values())

    def live_overview():
        orders = materialize(store.orders())
        data = snapshots.overview(orders, materialize(store.surveys()), timezone.now())
        assert data["current"]

    def offset_page():
        listing = Paginator(Customer.objects.order_by("-id"), queries.PAGE_SIZE).page(10_000)
        assert len(list(listing.object_list)) == queries.PAGE_SIZE and listing.paginator.count

    report["anchors"] = {"overview computed on request": timed(live_overview, max(3, args.runs // 5)),
                         "customers page 10,000 by OFFSET": timed(offset_page, args.runs)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
