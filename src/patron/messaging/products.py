"""The product block of an email: three products from the connected store's catalogue in the customer's
next-best categories (best sellers of the last 90 days first, none they bought already), else those
categories' names when there is no catalogue."""

import datetime as dt
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from patron.commerce.models import Product
from patron.insights.models import CustomerScore

SHOWN = 3
RECENT = dt.timedelta(days=90)


def _categories(customer_id: int | None, offers) -> list[str]:
    if isinstance(offers, list) and offers:
        return [str(o) for o in offers]
    return categories_of(customer_id)


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
    categories = _categories(customer_id, offers)
    catalogue = Product.objects.exclude(url="").exclude(name="").exclude(in_stock=False)
    if not catalogue.exists():
        return {"categories": categories} if categories else None
    since = timezone.now() - RECENT
    best = catalogue.annotate(sold=Count("order_lines", filter=Q(order_lines__order__placed_at__gte=since,
                                                                order_lines__order__status="completed")))
    if customer_id:
        best = best.exclude(order_lines__order__customer_id=customer_id)
    chosen: list[Product] = []
    for name in categories:
        chosen += [p for p in best.filter(category__name=name).order_by("-sold", "pk")[:SHOWN] if p not in chosen]
        if len(chosen) >= SHOWN:
            break
    if len(chosen) < SHOWN:
        chosen += [p for p in best.exclude(pk__in=[p.pk for p in chosen]).order_by("-sold", "pk")[:SHOWN - len(chosen)]]
    return {"products": [_shown(p, locale) for p in chosen[:SHOWN]]} if chosen else None


def _shown(product: Product, locale: Locale) -> dict:
    price = ""
    if product.price is not None:
        price = format_currency(Decimal(product.price), product.currency or settings.PATRON_DEFAULT_CURRENCY, locale=locale)
    return {"name": product.name, "url": product.url, "image": product.image_url, "price": price}
