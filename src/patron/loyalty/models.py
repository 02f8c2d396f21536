"""The points ledger: append-only, double-entry, in whole points.

Every movement of points is one `Movement` with one or more `Entry` rows; each entry debits one
account and credits another by a positive number of points, so the books always sum to zero.
A customer's `wallet` balance is credits minus debits; the program's system accounts are its
`liability` (where issued points come from), `redeemed` and `expired`. Each earning is a `Lot`
with its own expiry; a redemption or expiry draws from lots and its entries name the lot.
The cached balances change in the same transaction as the entries (services.py owns every write).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patron.core.names import Named
from patron.customers.models import Customer


class Program(Named, models.Model):
    class RefundPolicy(models.TextChoices):
        NEGATIVE_BALANCE = "negative_balance", gettext_lazy("Negative balance: the wallet may go below zero")
        CLAWBACK = "clawback", gettext_lazy("Claw back: the wallet stops at zero and the rest comes off the next earnings")

    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    names = models.JSONField(gettext_lazy("names"), default=dict, blank=True, help_text=gettext_lazy('the name in other languages: {"lv": "…", "et": "…"}'))
    currency = models.CharField(gettext_lazy("currency"), max_length=3)
    points_per_unit = models.PositiveIntegerField(gettext_lazy("points per unit"), default=1, help_text=gettext_lazy("points per whole currency unit spent (rounded down)"))
    expiry_days = models.PositiveIntegerField(gettext_lazy("expiry days"), null=True, blank=True, help_text=gettext_lazy("days a lot of points lives; blank: never expires"))
    refund_policy = models.CharField(gettext_lazy("refund policy"), max_length=20, choices=RefundPolicy.choices, default=RefundPolicy.NEGATIVE_BALANCE)

    class TierBasis(models.TextChoices):
        POINTS = "points", gettext_lazy("Points earned")
        SPEND = "spend", gettext_lazy("Spend")

    tier_basis = models.CharField(gettext_lazy("tier basis"), max_length=10, choices=TierBasis.choices, default=TierBasis.POINTS)
    tier_window_days = models.PositiveIntegerField(gettext_lazy("tier window days"), default=365, help_text=gettext_lazy("tiers qualify on this rolling window"))
    tier_grace_days = models.PositiveIntegerField(gettext_lazy("tier grace days"), default=30, help_text=gettext_lazy("days below a tier's threshold before the downgrade"))
    point_value = models.DecimalField(gettext_lazy("point value"), max_digits=10, decimal_places=4, default=Decimal("0.01"), help_text=gettext_lazy("what a point costs when redeemed"))
    expiry_reminder_days = models.PositiveIntegerField(gettext_lazy("expiry reminder days"), default=30, help_text=gettext_lazy("remind customers this many days before points expire"))
    referrer_bonus = models.PositiveIntegerField(gettext_lazy("referrer bonus"), default=0, help_text=gettext_lazy("points for the referrer when the friend's first order completes"))
    friend_bonus = models.PositiveIntegerField(gettext_lazy("friend bonus"), default=0, help_text=gettext_lazy("points for the referred friend on that first order"))
    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("program"), gettext_lazy("programs")


class Tier(Named, models.Model):
    """A level of the program (Bronze, Silver, Gold): reached at `threshold` points earned (or spend)
    over the program's rolling window; it multiplies earnings and may open exclusive rewards."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="tiers", verbose_name=gettext_lazy("program"))
    name = models.CharField(gettext_lazy("name"), max_length=50)
    names = models.JSONField(gettext_lazy("names"), default=dict, blank=True, help_text=gettext_lazy('the name in other languages: {"lv": "…", "et": "…"}'))
    rank = models.PositiveSmallIntegerField(gettext_lazy("rank"), help_text=gettext_lazy("higher is better"))
    threshold = models.DecimalField(gettext_lazy("threshold"), max_digits=14, decimal_places=2)
    multiplier = models.DecimalField(gettext_lazy("multiplier"), max_digits=5, decimal_places=2, default=1)

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("tier"), gettext_lazy("tiers")
        constraints = [models.UniqueConstraint(fields=["program", "rank"], name="one_tier_per_rank"),
                       models.UniqueConstraint(fields=["program", "name"], name="tier_names_unique")]
        ordering = ["program", "rank"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A customer's current tier in a program, and when they fell below it (the grace period)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="memberships", verbose_name=gettext_lazy("program"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="memberships", verbose_name=gettext_lazy("customer"))
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, verbose_name=gettext_lazy("tier"))
    since = models.DateTimeField(gettext_lazy("since"))
    below_since = models.DateTimeField(gettext_lazy("below since"), null=True, blank=True)  # set while short of the tier's threshold

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("membership"), gettext_lazy("memberships")
        constraints = [models.UniqueConstraint(fields=["program", "customer"], name="one_membership_per_program")]


class TierEvent(models.Model):
    """A tier change (or the warning before a downgrade): what journeys and the portal react to."""

    class Kind(models.TextChoices):
        UPGRADE = "upgrade", gettext_lazy("Upgrade")
        DOWNGRADE = "downgrade", gettext_lazy("Downgrade")
        WARNING = "warning", gettext_lazy("Downgrade warning")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, verbose_name=gettext_lazy("program"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tier_events", verbose_name=gettext_lazy("customer"))
    kind = models.CharField(gettext_lazy("kind"), max_length=10, choices=Kind.choices)
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=gettext_lazy("from tier"))
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=gettext_lazy("to tier"))
    qualifying = models.DecimalField(gettext_lazy("qualifying"), max_digits=14, decimal_places=2)
    at = models.DateTimeField(gettext_lazy("at"))

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("tier event"), gettext_lazy("tier events")
        indexes = [models.Index(fields=["at"], name="tier_event_time")]


class EarningRule(models.Model):
    """One rule of how orders earn points, as data. Rules are versioned by their validity: an order is
    scored by the rules in force when it was placed, and changing a rule closes it and opens a new one."""

    class Kind(models.TextChoices):
        CATEGORY_MULTIPLIER = "category_multiplier", gettext_lazy("Category multiplier")
        PRODUCT_MULTIPLIER = "product_multiplier", gettext_lazy("Product multiplier")
        BONUS_WINDOW = "bonus_window", gettext_lazy("Bonus window (a multiplier on some weekdays or dates)")
        FIRST_PURCHASE_BONUS = "first_purchase_bonus", gettext_lazy("First-purchase bonus")
        BIRTHDAY_BONUS = "birthday_bonus", gettext_lazy("Birthday bonus (given by the daily run)")
        FEEDBACK_BONUS = "feedback_bonus", gettext_lazy("Feedback bonus (answering a survey, once per survey)")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="rules", verbose_name=gettext_lazy("program"))
    kind = models.CharField(gettext_lazy("kind"), max_length=24, choices=Kind.choices)
    target = models.CharField(gettext_lazy("target"), max_length=100, blank=True, help_text=gettext_lazy("the category name or product sku it applies to"))
    multiplier = models.DecimalField(gettext_lazy("multiplier"), max_digits=6, decimal_places=2, default=1)
    bonus_points = models.PositiveIntegerField(gettext_lazy("bonus points"), default=0)
    weekdays = models.CharField(gettext_lazy("weekdays"), max_length=13, blank=True, help_text=gettext_lazy("bonus window: ISO weekdays, e.g. 6,7 for weekends"))
    valid_from = models.DateTimeField(gettext_lazy("valid from"))
    valid_until = models.DateTimeField(gettext_lazy("valid until"), null=True, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("earning rule"), gettext_lazy("earning rules")
        indexes = [models.Index(fields=["program", "valid_from"], name="rule_program_time")]
        constraints = [models.CheckConstraint(condition=Q(multiplier__gt=0), name="rule_multiplier_positive")]

    def clean(self) -> None:
        days = [d.strip() for d in self.weekdays.split(",") if d.strip()]
        if any(d not in {"1", "2", "3", "4", "5", "6", "7"} for d in days):
            raise ValidationError({"weekdays": _("ISO weekdays 1 (Monday) to 7 (Sunday), separated by commas, e.g. 6,7")})
        if self.valid_until and self.valid_from and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": _("The end must come after the start.")})
        needs_target = {self.Kind.CATEGORY_MULTIPLIER: _("This rule needs a category name."),
                        self.Kind.PRODUCT_MULTIPLIER: _("This rule needs a product SKU.")}
        if self.kind in needs_target and not self.target.strip():
            raise ValidationError({"target": needs_target[self.kind]})

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.target} x{self.multiplier} +{self.bonus_points}"


class Account(models.Model):
    class Kind(models.TextChoices):
        WALLET = "wallet", gettext_lazy("Customer wallet")
        LIABILITY = "liability", gettext_lazy("Program liability")
        REDEEMED = "redeemed", gettext_lazy("Redeemed")
        EXPIRED = "expired", gettext_lazy("Expired")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="accounts", verbose_name=gettext_lazy("program"))
    kind = models.CharField(gettext_lazy("kind"), max_length=12, choices=Kind.choices)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="loyalty_accounts", verbose_name=gettext_lazy("customer"))
    # A wallet's credits - debits, cached in the transaction that posts its entries; `patron ledger verify`
    # recomputes it. System accounts cache nothing (always 0; services.system_balance sums their entries):
    # every order in a program posts to its liability, and a cached balance there would be one row that
    # all of them lock until they commit.
    balance = models.BigIntegerField(gettext_lazy("balance"), default=0)
    owed = models.BigIntegerField(gettext_lazy("owed"), default=0)  # clawback policy: points still to come off the next earnings

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("account"), gettext_lazy("accounts")
        constraints = [
            models.UniqueConstraint(fields=["program", "customer"], condition=Q(kind="wallet"), name="one_wallet_per_customer"),
            models.UniqueConstraint(fields=["program", "kind"], condition=~Q(kind="wallet"), name="one_system_account_per_kind"),
            models.CheckConstraint(condition=Q(kind="wallet", customer__isnull=False) | (~Q(kind="wallet") & Q(customer__isnull=True)),
                                   name="wallets_belong_to_customers"),
            models.CheckConstraint(condition=Q(owed__gte=0), name="owed_not_negative"),
            models.CheckConstraint(condition=Q(kind="wallet") | Q(balance=0), name="system_accounts_cache_no_balance"),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.customer or self.get_kind_display()}"


class Movement(models.Model):
    class Kind(models.TextChoices):
        EARN = "earn", gettext_lazy("Earned")
        ADJUST = "adjust", gettext_lazy("Adjusted by staff")
        REDEEM = "redeem", gettext_lazy("Redeemed")
        EXPIRE = "expire", gettext_lazy("Expired")
        REVERSE = "reverse", gettext_lazy("Reversed (refund)")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="movements", verbose_name=gettext_lazy("program"))
    kind = models.CharField(gettext_lazy("kind"), max_length=10, choices=Kind.choices)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="point_movements", verbose_name=gettext_lazy("customer"))
    # + earned, - spent or taken back (under the clawback policy part of a reversal may be owed, not yet drawn)
    points = models.BigIntegerField(gettext_lazy("points"))
    reason = models.CharField(gettext_lazy("reason"), max_length=200, blank=True)
    reference = models.CharField(gettext_lazy("reference"), max_length=100, blank=True)  # e.g. the order's external id
    created_at = models.DateTimeField(gettext_lazy("created at"))

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("movement"), gettext_lazy("movements")
        indexes = [models.Index(fields=["customer", "created_at"], name="movement_customer_time"),
                   # Finding an order's earning: the unique index below is partial, which SQLite cannot use for it.
                   models.Index(fields=["program", "reference"], name="movement_reference")]
        constraints = [
            # An order earns once per program, however often its award is retried.
            models.UniqueConstraint(fields=["program", "reference"], condition=Q(kind="earn") & ~Q(reference=""),
                                    name="one_earning_per_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+} ({self.customer_id})"


class Lot(models.Model):
    """Points earned together, with their expiry; `remaining` is what has not been drawn yet."""

    wallet = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lots", verbose_name=gettext_lazy("wallet"))
    movement = models.OneToOneField(Movement, on_delete=models.PROTECT, related_name="lot", verbose_name=gettext_lazy("movement"))
    points = models.PositiveBigIntegerField(gettext_lazy("points"))
    remaining = models.BigIntegerField(gettext_lazy("remaining"))
    earned_at = models.DateTimeField(gettext_lazy("earned at"))
    expires_at = models.DateTimeField(gettext_lazy("expires at"), null=True, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("lot"), gettext_lazy("lots")
        constraints = [models.CheckConstraint(condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("points")),
                                              name="lot_remaining_within_points")]
        indexes = [models.Index(fields=["wallet", "expires_at"], name="lot_wallet_expiry", condition=Q(remaining__gt=0)),
                   models.Index(fields=["expires_at"], name="lot_expiry", condition=Q(remaining__gt=0))]


class Entry(models.Model):
    """One double-entry line: `points` move from `debit` to `credit`."""

    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="entries", verbose_name=gettext_lazy("movement"))
    debit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="debits", verbose_name=gettext_lazy("debit"))
    credit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="credits", verbose_name=gettext_lazy("credit"))
    points = models.PositiveBigIntegerField(gettext_lazy("points"))
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="entries", verbose_name=gettext_lazy("lot"))

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("ledger entry"), gettext_lazy("ledger entries")
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="entry_points_positive"),
                       models.CheckConstraint(condition=~Q(debit=models.F("credit")), name="entry_two_accounts")]


class Reward(Named, models.Model):
    class Kind(models.TextChoices):
        DISCOUNT_AMOUNT = "discount_amount", gettext_lazy("Discount (amount)")
        DISCOUNT_PERCENT = "discount_percent", gettext_lazy("Discount (percent)")
        FREE_PRODUCT = "free_product", gettext_lazy("Free product")
        GIFT = "gift", gettext_lazy("Gift")
        DONATION = "donation", gettext_lazy("Donation to a cause")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="rewards", verbose_name=gettext_lazy("program"))
    name = models.CharField(gettext_lazy("name"), max_length=100)
    names = models.JSONField(gettext_lazy("names"), default=dict, blank=True, help_text=gettext_lazy('the name in other languages: {"lv": "…", "et": "…"}'))
    description = models.TextField(gettext_lazy("description"), blank=True, max_length=500, help_text=gettext_lazy("what the customer reads under the name"))
    descriptions = models.JSONField(gettext_lazy("descriptions"), default=dict, blank=True, help_text=gettext_lazy('the description in other languages: {"lv": "…"}'))
    # The picture's hash (its bytes are a RewardImage, read only when served): in the picture's address, so a
    # new picture is a new address and browsers may keep the old one for ever. Blank: no picture.
    image_hash = models.CharField(gettext_lazy("image hash"), max_length=16, blank=True, editable=False)
    kind = models.CharField(gettext_lazy("kind"), max_length=20, choices=Kind.choices)
    value = models.DecimalField(gettext_lazy("value"), max_digits=12, decimal_places=2, default=0, help_text=gettext_lazy("the amount, or the percent"))
    sku = models.CharField(gettext_lazy("sku"), max_length=64, blank=True, help_text=gettext_lazy("the free product"))
    cost = models.PositiveIntegerField(gettext_lazy("cost"), help_text=gettext_lazy("points"))
    stock = models.PositiveIntegerField(gettext_lazy("stock"), null=True, blank=True, help_text=gettext_lazy("blank: unlimited"))
    min_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, help_text=gettext_lazy("exclusive to this tier and above"), verbose_name=gettext_lazy("min tier"))
    members_only = models.BooleanField(gettext_lazy("members only"), default=False, help_text=gettext_lazy("only for members of a paid plan of the program"))
    valid_from = models.DateTimeField(gettext_lazy("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(gettext_lazy("valid until"), null=True, blank=True)
    active = models.BooleanField(gettext_lazy("active"), default=True)

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("reward"), gettext_lazy("rewards")
        constraints = [models.CheckConstraint(condition=Q(cost__gt=0), name="reward_costs_points")]

    def clean(self) -> None:
        if self.kind == self.Kind.DISCOUNT_PERCENT and not (0 < self.value <= 100):
            raise ValidationError({"value": _("A percent discount lies above 0 and at most 100.")})
        if self.kind == self.Kind.DISCOUNT_AMOUNT and self.value <= 0:
            raise ValidationError({"value": _("A discount amount must be above zero.")})
        if self.kind == self.Kind.FREE_PRODUCT and not self.sku.strip():
            raise ValidationError({"sku": _("A free product needs its SKU.")})
        if self.valid_until and self.valid_from and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": _("The end must come after the start.")})

    def __str__(self) -> str:
        return _("%(name)s (%(points)s points)") % {"name": self.name, "points": self.cost}


class RewardImage(models.Model):
    """A reward's picture, re-encoded as WebP at most 800 px on a side (loyalty.setup.picture): whatever was
    uploaded, what is kept and served is an image Patron wrote, without the upload's metadata."""

    reward = models.OneToOneField(Reward, on_delete=models.CASCADE, related_name="picture")
    data = models.BinaryField()
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()


class Coupon(models.Model):
    """What a redemption issues: an unguessable code the shop validates and marks used, once."""

    code = models.CharField(gettext_lazy("code"), max_length=32, unique=True)
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="coupons", verbose_name=gettext_lazy("reward"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="coupons", verbose_name=gettext_lazy("customer"))
    # The redemption that paid for it; blank for a gift (a journey's win-back code, an apology).
    movement = models.OneToOneField(Movement, on_delete=models.PROTECT, related_name="coupon", null=True, blank=True, verbose_name=gettext_lazy("movement"))
    reason = models.CharField(gettext_lazy("reason"), max_length=200, blank=True)
    expires_at = models.DateTimeField(gettext_lazy("expires at"), null=True, blank=True)
    issued_at = models.DateTimeField(gettext_lazy("issued at"))
    used_at = models.DateTimeField(gettext_lazy("used at"), null=True, blank=True)
    used_reference = models.CharField(gettext_lazy("used reference"), max_length=100, blank=True)

    def __str__(self) -> str:
        return self.code

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("coupon"), gettext_lazy("coupons")


class ReferralCode(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="referral_codes")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="referral_codes")
    code = models.CharField(max_length=20, unique=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "customer"], name="one_referral_code_per_customer")]


class Referral(models.Model):
    """A friend who came with a referrer's code; both are rewarded when the friend's first order completes."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="referrals")
    referrer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="referrals_made")
    friend = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="referred_by")
    created_at = models.DateTimeField()
    rewarded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "friend"], name="referred_once"),
                       models.CheckConstraint(condition=~Q(referrer=models.F("friend")), name="no_self_referral")]


class ExpiryNotice(models.Model):
    """A reminder that a lot's points expire soon: once per lot, for the journeys to send."""

    lot = models.OneToOneField(Lot, on_delete=models.CASCADE, related_name="notice")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="expiry_notices")
    points = models.PositiveBigIntegerField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField()


class PaidPlan(Named, models.Model):
    """A paid membership (like Amazon Prime): a fee per period, perks while it runs. The shop collects the
    fee; Patron keeps who is a member, each period they paid for, and the perks."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="paid_plans", verbose_name=gettext_lazy("program"))
    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    names = models.JSONField(gettext_lazy("names"), default=dict, blank=True, help_text=gettext_lazy('the name in other languages: {"lv": "…", "et": "…"}'))
    fee = models.DecimalField(gettext_lazy("fee"), max_digits=10, decimal_places=2, help_text=gettext_lazy("per period, in the program's currency"))
    period_months = models.PositiveSmallIntegerField(gettext_lazy("period months"), default=12, help_text=gettext_lazy("1 for monthly, 12 for yearly"))
    earn_multiplier = models.DecimalField(gettext_lazy("earn multiplier"), max_digits=5, decimal_places=2, default=1, help_text=gettext_lazy("members' order points are multiplied by this"))
    free_delivery = models.BooleanField(gettext_lazy("free delivery"), default=False, help_text=gettext_lazy("the shop reads this perk from the API"))
    save_offer_percent = models.PositiveSmallIntegerField(gettext_lazy("save offer percent"), 
        default=0, help_text=gettext_lazy("offered to a member who cancels: this much off their next period (0: no offer)"))
    reminder_days = models.PositiveSmallIntegerField(gettext_lazy("reminder days"), default=7, help_text=gettext_lazy("remind members this many days before a renewal"))
    active = models.BooleanField(gettext_lazy("active"), default=True, help_text=gettext_lazy("open to new members"))
    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True)

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("paid plan"), gettext_lazy("paid plans")
        constraints = [models.CheckConstraint(condition=Q(fee__gte=0), name="plan_fee_not_negative"),
                       models.CheckConstraint(condition=Q(period_months__gte=1, period_months__lte=36), name="plan_period_months"),
                       models.CheckConstraint(condition=Q(earn_multiplier__gt=0), name="plan_multiplier_positive"),
                       models.CheckConstraint(condition=Q(save_offer_percent__lte=100), name="plan_save_offer_percent")]

    def __str__(self) -> str:
        return self.name


class PaidMembership(models.Model):
    """One customer's membership of a plan, from joining to its end; rejoining later is a new membership."""

    class Status(models.TextChoices):
        ACTIVE = "active", gettext_lazy("Active (renews)")
        CANCELLING = "cancelling", gettext_lazy("Cancelled (perks until the period ends)")
        ENDED = "ended", gettext_lazy("Ended")

    plan = models.ForeignKey(PaidPlan, on_delete=models.PROTECT, related_name="memberships", verbose_name=gettext_lazy("plan"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="paid_memberships", verbose_name=gettext_lazy("customer"))
    status = models.CharField(gettext_lazy("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    joined_at = models.DateTimeField(gettext_lazy("joined at"))
    period_end = models.DateTimeField(gettext_lazy("period end"), help_text=gettext_lazy("the current period ends (and the next begins) here"))
    cancelled_at = models.DateTimeField(gettext_lazy("cancelled at"), null=True, blank=True)
    ended_at = models.DateTimeField(gettext_lazy("ended at"), null=True, blank=True)
    save_offer_taken_at = models.DateTimeField(gettext_lazy("save offer taken at"), null=True, blank=True)
    next_discount_percent = models.PositiveSmallIntegerField(gettext_lazy("next discount percent"), default=0, help_text=gettext_lazy("off the next period's fee (a save offer)"))

    class Meta:
        verbose_name, verbose_name_plural = gettext_lazy("paid membership"), gettext_lazy("paid memberships")
        constraints = [models.UniqueConstraint(fields=["plan", "customer"], condition=~Q(status="ended"),
                                               name="one_running_membership_per_plan")]
        indexes = [models.Index(fields=["status", "period_end"], name="paid_membership_due"),
                   models.Index(fields=["plan", "joined_at"], name="paid_membership_cohort")]

    def __str__(self) -> str:
        return f"{self.plan}: {self.customer_id} ({self.get_status_display()})"


class MembershipPeriod(models.Model):
    """A period paid for: number 1 is the joining, each later one a renewal (what the sBG model counts)."""

    membership = models.ForeignKey(PaidMembership, on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    fee = models.DecimalField(max_digits=10, decimal_places=2)
    reminded_at = models.DateTimeField(null=True, blank=True)  # the renewal reminder at this period's end

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "number"], name="one_period_per_number")]
        ordering = ["membership", "number"]
