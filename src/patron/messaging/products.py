"""The product block of an email: three products from the connected store's catalogue in the customer's
next-best categories (best sellers of the last 90 days first, none they bought already), else those
categories' names when there is no catalogue.

A journey may send the block to 20,000 customers in a run: the catalogue's ranking is read once and kept for
RANKING_SECONDS (best sellers do not change by the minute), so each email costs one small query, for what its
customer bought."""

import datetime as dt
import threading
import time
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from patron.commerce.models import OrderLine, Product
from patron.insights.models import CustomerScore

SHOWN = 3
RECENT = dt.timedelta(days=90)
RANKING_SECONDS = 600
KEPT = 50  # products kept per category: more than one customer ever bought of one category's best sellers
_ranking: dict = {"at": None, "rows": []}
_lock = threading.Lock()


def forget() -> None:
    """Read the catalogue again at the next email (a test's own catalogue)."""
    with _lock:
        _ranking["at"] = None


def ranking() -> dict:
    """The catalogue's products that can be shown (a name, a link, not out of stock), best sellers of the last 90
    days first: the first KEPT of each category and of the whole shop (a customer bought a few of them at most)."""
    with _lock:
        if _ranking["at"] is not None and time.monotonic() - _ranking["at"] < RANKING_SECONDS:
            return _ranking["rows"]
    since = timezone.now() - RECENT
    rows = (Product.objects.exclude(url="").exclude(name="").exclude(in_stock=False)
            .annotate(sold=Count("order_lines", filter=Q(order_lines__order__placed_at__gte=since,
                                                         order_lines__order__status="completed")))
            .order_by("-sold", "pk")
            .values("pk", "name", "url", "image_url", "price", "currency", "category__name"))
    found: dict = {"best": [], "by_category": {}}
    for row in rows.iterator(chunk_size=2000):
        if len(found["best"]) < KEPT:
            found["best"].append(row)
        kept = found["by_category"].setdefault(row["category__name"], [])
        if len(kept) < KEPT:
            kept.append(row)
    with _lock:
        _ranking.update(at=time.monotonic(), rows=found)
    return found


def categories_of(customer_id: int | None) -> list[str]:
    """The categories the customer is likeliest to buy in next, best first (as of the last scoring)."""
    if customer_id:
        found = CustomerScore.objects.filter(customer_id=customer_id).values_list("next_best_offers", flat=True).first()
        if isinstance(found, list):
            return [str(o) for o in found]
    return []


def recommended(customer_id: int | None, offers, locale: Locale) -> dict | None:
    """{"products": [...]} with name, url, image and price as the customer's locale writes it, or
    {"categories": [...]} without a catalogue, or None when there is nothing to recommend."""
    categories = [str(o) for o in offers] if isinstance(offers, list) and offers else categories_of(customer_id)
    ranked = ranking()
    if not ranked["best"]:
        return {"categories": categories} if categories else None
    bought = set(OrderLine.objects.filter(order__customer_id=customer_id).values_list("product_id", flat=True)) \
        if customer_id else set()
    chosen: list[dict] = []
    # The best sellers of each next-best category in its order, then the shop's best sellers.
    for rows in [ranked["by_category"].get(name, []) for name in categories] + [ranked["best"]]:
        for row in rows:
            if len(chosen) == SHOWN:
                break
            if row["pk"] not in bought and row not in chosen:
                chosen.append(row)
    return {"products": [_shown(p, locale) for p in chosen]} if chosen else None


def _shown(product: dict, locale: Locale) -> dict:
    price = ""
    if product["price"] is not None:
        price = format_currency(Decimal(product["price"]), product["currency"] or settings.PATRON_DEFAULT_CURRENCY,
                                locale=locale)
    return {"name": product["name"], "url": product["url"], "image": product["image_url"], "price": price}
