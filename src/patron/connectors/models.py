"""A connection to one shop: which platform, where, its credentials (encrypted), and how it is doing."""

from django.db import models
from django.utils.timezone import now


class Connection(models.Model):
    class Kind(models.TextChoices):
        WOOCOMMERCE = "woocommerce", "WooCommerce"
        SHOPIFY = "shopify", "Shopify"

    class State(models.TextChoices):
        CONNECTED = "connected", "Connected"
        FAILING = "failing", "Failing (the last call to the shop failed)"
        PAUSED = "paused", "Paused"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    address = models.CharField(max_length=300)  # the store's URL (WooCommerce) or myshopify domain (Shopify)
    # The platform's keys, encrypted with a key derived from the secret key (connectors.secrets); never shown.
    credentials = models.TextField()
    hint = models.CharField(max_length=40, blank=True)  # the key's last characters: which key this is, no more
    state = models.CharField(max_length=10, choices=State.choices, default=State.CONNECTED)
    store_name = models.CharField(max_length=200, blank=True)
    store_currency = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField(default=now)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    # Where the backfill stands, per resource: {"orders": {"page": next page (0: the pass is done),
    # "started": when the pass began, "modified_after": what the pass reads}}.
    cursor = models.JSONField(default=dict, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    syncing_since = models.DateTimeField(null=True, blank=True)  # a backfill is reading the store (since when)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "address"], name="one_connection_per_store")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.address}"


class Delivery(models.Model):
    """A webhook the store sent, kept as it came (after its signature was checked) and processed after."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=100, blank=True)  # the platform's, when it sends one
    topic = models.CharField(max_length=60)  # e.g. order.updated
    resource_id = models.CharField(max_length=100, blank=True)
    modified_at = models.CharField(max_length=40, blank=True)  # the resource's own date_modified_gmt: newer wins
    body = models.JSONField()
    received_at = models.DateTimeField(default=now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)  # what processing did, or why it did nothing

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "delivery_id"], condition=~models.Q(delivery_id=""),
                                               name="one_delivery_per_id")]
        indexes = [models.Index(fields=["received_at"], name="delivery_pending", condition=models.Q(processed_at=None)),
                   models.Index(fields=["connection", "resource_id"], name="delivery_resource")]


class StoreCoupon(models.Model):
    """A Patron coupon as a native discount code in one connected store: waiting to be written, there, refused
    by the store (why is in last_error), or removed again (expired, used elsewhere, or its coupon gone)."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be written to the store"
        IN_STORE = "in_store", "In the store"
        USED = "used", "Used at the store"
        REFUSED = "refused", "Refused by the store"
        REMOVED = "removed", "Removed from the store"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="coupons")
    # Kept when the coupon row goes (an erased customer's): its code must still leave the store.
    coupon = models.ForeignKey("loyalty.Coupon", on_delete=models.SET_NULL, null=True, related_name="in_stores")
    code = models.CharField(max_length=32)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    store_id = models.CharField(max_length=40, blank=True)  # the store's own id of the code
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now)
    pushed_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "code"], name="one_store_code_per_coupon")]
        indexes = [models.Index(fields=["state", "next_try_at"], name="store_coupon_due")]
