"""Admin page times on a large store: Patron's admin against the stock Django admin on the same rows.

    PATRON_HOME=DIR python benchmarks/admin_pages.py [--runs 15]          # SQLite store in DIR
    DATABASE_URL=postgresql://... python benchmarks/admin_pages.py        # PostgreSQL

Run it on the store that benchmarks/import_scale.py filled (it prints where that is). Each page is
fetched in-process through Django's test client as a logged-in superuser, `--runs` times after one
warm-up; the figures are the median and the 95th percentile. The anchor is the same list pages
through a stock `ModelAdmin` (exact COUNT(*) per view, no select_related), mounted beside the real one.
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

from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from patron.commerce.models import Order  # noqa: E402
from patron.customers.models import Customer  # noqa: E402

stock = admin.AdminSite(name="stock")
stock.register(Customer)
stock.register(Order)
urlpatterns = [path("admin/", admin.site.urls), path("stock/", stock.urls)]


def timed(client: Client, url: str, runs: int) -> dict:
    response = client.get(url)
    if response.status_code != 200:
        sys.exit(f"{url}: HTTP {response.status_code}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    busy = Order.objects.order_by("-id").values_list("customer_id", flat=True)[:1][0]
    customer = Customer.objects.get(pk=busy)
    order = Order.objects.order_by("-id").first()
    pages = {
        "customers: list": "/admin/customers/customer/",
        "customers: page 500": "/admin/customers/customer/?p=500",
        "customers: search by email": f"/admin/customers/customer/?q={customer.email or 'nobody@example.com'}",
        "customers: search by last-name prefix": "/admin/customers/customer/?q=Jon",
        "customers: filter language + consent": "/admin/customers/customer/?language=lt&email_consent__exact=1",
        "customer: change page": f"/admin/customers/customer/{customer.pk}/change/",
        "orders: list": "/admin/commerce/order/",
        "orders: page 500": "/admin/commerce/order/?p=500",
        "orders: search by customer": f"/admin/commerce/order/?q={customer.external_id}",
        "orders: filter status": "/admin/commerce/order/?status=refunded",
        "order: change page": f"/admin/commerce/order/{order.pk}/change/",
        "anchor, stock admin: customers list": "/stock/customers/customer/",
        "anchor, stock admin: orders list": "/stock/commerce/order/",
    }
    report = {"customers": Customer.objects.order_by("-id").values_list("id", flat=True)[:1][0],
              "orders": order.pk, "runs": args.runs, "pages": {}}
    with override_settings(ROOT_URLCONF=__name__):
        for name, url in pages.items():
            report["pages"][name] = {"url": url, **timed(client, url, args.runs)}
            print(f"{name:45} {report['pages'][name]['median_ms']:>9} ms  p95 {report['pages'][name]['p95_ms']:>9} ms", file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
