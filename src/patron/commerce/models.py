from django.db import models
from django.utils.translation import gettext_lazy as _
from django.db.models import Q
from django.utils import timezone

from patron.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS
from patron.customers.models import Customer


def Amount(**kwargs):  # noqa: N802 - a field factory reads like a field class
    return models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES, **kwargs)


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children", verbose_name=_("parent"))

    class Meta:
        verbose_name, verbose_name_plural = _("category"), _("categories")
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    sku = models.CharField(_("sku"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products", verbose_name=_("category"))
    # From the shop's catalogue, where a connection reads it: what a message shows of the product. Blank in
    # the database too, for the import's own INSERT of products that names only sku, name and category.
    url = models.URLField(_("url"), max_length=500, blank=True, db_default="")
    image_url = models.URLField(_("image url"), max_length=500, blank=True, db_default="")
    price = Amount(null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True, db_default="")
    in_stock = models.BooleanField(_("in stock"), null=True)

    def __str__(self) -> str:
        return self.name or self.sku

    class Meta:
        verbose_name, verbose_name_plural = _("product"), _("products")


class Order(models.Model):
    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    external_id = models.CharField(_("external id"), max_length=100, unique=True)
    # Indexed by order_customer_time, whose first column it is.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders", db_index=False, verbose_name=_("customer"))
    placed_at = models.DateTimeField(_("placed at"))
    total = Amount()
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.COMPLETED)

    class Meta:
        verbose_name, verbose_name_plural = _("order"), _("orders")
        indexes = [models.Index(fields=["customer", "placed_at"], name="order_customer_time"),
                   models.Index(fields=["placed_at"], name="order_placed_at"),
                   # Refunded and cancelled orders are few: a small partial index finds them among millions.
                   models.Index(fields=["status", "id"], name="order_exception_status", condition=~Q(status="completed"))]
        constraints = [models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative")]

    def __str__(self) -> str:
        return self.external_id


class OrderLine(models.Model):
    # Indexed by the (order, product) unique constraint.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField()
    unit_price = Amount()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="order_line_unique_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_line_price_not_negative"),
        ]

    @property
    def amount(self):
        return self.quantity * self.unit_price


class Refund(models.Model):
    """A full or partial refund: a record of its own, never an edit of the order's total."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order"))
    external_id = models.CharField(_("external id"), max_length=100, unique=True, null=True, blank=True)
    amount = Amount()
    refunded_at = models.DateTimeField(_("refunded at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = _("refund"), _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]


class ExchangeRate(models.Model):
    """A rate the shop loaded (`patron rates import`): how many units of `currency` one euro bought on `day`, as the
    European Central Bank quotes its reference rates. For currencies the ECB does not publish (GEL) or days after the
    rates shipped with Patron; commerce.rates reads these beside the ECB's."""

    currency = models.CharField(_("currency"), max_length=3)
    day = models.DateField(_("day"))
    per_euro = models.DecimalField(_("units per euro"), max_digits=18, decimal_places=6)
    source = models.CharField(_("source"), max_length=200, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now=True)

    class Meta:
        verbose_name, verbose_name_plural = _("exchange rate"), _("exchange rates")
        constraints = [models.UniqueConstraint(fields=["currency", "day"], name="one_rate_per_currency_day"),
                       models.CheckConstraint(condition=Q(per_euro__gt=0), name="rate_positive")]
