"""What the product block costs an email: the win-back email rendered for N customers of the demo shop (20,000
customers, its orders and scores) with a catalogue of 2,000 products, with the block and without it (the anchor,
measured in the same run).

    PATRON_HOME=/tmp/bench-products python benchmarks/product_block.py [--customers 20000] [--emails 2000]

Rendering is what the worker does per message before handing it to the mail server; the block adds the
catalogue's ranking (read once per ten minutes) and one query per email for what its customer bought.
"""

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--emails", type=int, default=2_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from patron.commerce.models import Product
    from patron.customers.models import Customer
    from patron.demo.shop import load
    from patron.insights.services import refresh_scores
    from patron.messaging import products
    from patron.messaging.models import Message
    from patron.messaging.render import render

    if not Customer.objects.exists():
        load(args.customers, seed=7)
        refresh_scores()
    from patron.commerce.models import Category

    categories = list(Category.objects.order_by("pk"))
    missing = 2000 - Product.objects.count()
    if missing > 0:  # the demo sells a few dozen products: a catalogue of a real shop's size beside them
        Product.objects.bulk_create([Product(sku=f"CAT-{n}", name=f"Product {n}", category=categories[n % len(categories)])
                                     for n in range(missing)], batch_size=1000)
    catalogue = list(Product.objects.order_by("pk")[:2000])
    for n, product in enumerate(catalogue):
        product.name = product.name or f"Product {n}"
        product.url, product.image_url = f"https://shop.example/p/{n}", f"https://shop.example/img/{n}.jpg"
        product.price, product.currency = "12.50", "EUR"
    Product.objects.bulk_update(catalogue, ["name", "url", "image_url", "price", "currency"], batch_size=1000)
    people = list(Customer.objects.filter(erased_at__isnull=True).order_by("pk")[:args.emails])
    context = {"coupon": "WB7K-Q2MX-T9PL", "discount": {"kind": "percent", "value": "15"}, "valid_until": "2027-01-15"}

    def run(with_block: bool) -> tuple[float, int]:
        products.forget()
        shown = 0
        start = time.perf_counter()
        for person in people:
            message = Message(pk=1, template="winback", channel="email", purpose="marketing",
                              context=dict(context, products=True) if with_block else context)
            out = render(message, person)
            shown += "/p/" in out.html
        return time.perf_counter() - start, shown

    run(False)  # warm the template and the catalogues
    anchor, _ = run(False)
    block, shown = run(True)
    products.forget()
    start = time.perf_counter()
    from babel import Locale

    for person in people:
        products.recommended(person.pk, None, Locale("en"))
    choosing = time.perf_counter() - start
    print(f"{len(people)} emails, catalogue of {len(catalogue)} products ({Product.objects.count()} in the store)")
    print(f"without the block (anchor): {anchor:.2f} s, {anchor / len(people) * 1000:.2f} ms an email")
    print(f"with the block:             {block:.2f} s, {block / len(people) * 1000:.2f} ms an email "
          f"({shown} with products; {block / anchor:.2f}x the anchor)")
    print(f"choosing the products alone: {choosing / len(people) * 1000:.2f} ms an email")


if __name__ == "__main__":
    main()
