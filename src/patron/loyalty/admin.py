from django.contrib import admin

from patron.core.admin_tools import ReadOnlyAdmin as ReadOnly
from patron.core.admin_tools import translated_form
from patron.loyalty import services
from patron.loyalty.models import (
    Account, Coupon, EarningRule, Entry, Lot, Membership, MembershipPeriod, Movement, PaidMembership, PaidPlan, Program, Reward, Tier,
    TierEvent,
)


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    form = translated_form(Program)
    list_display = ("name", "currency", "points_per_unit", "expiry_days", "refund_policy")


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ("program", "kind", "customer", "points", "owed")
    list_filter = ("program", "kind")
    raw_id_fields = ("customer",)
    list_select_related = ("program", "customer")
    search_fields = ("=customer__external_id",)

    @admin.display(description="balance")
    def points(self, account: Account) -> int:
        """A wallet's cached balance; a system account's, summed from its entries (it caches none)."""
        if account.kind == Account.Kind.WALLET:
            return account.balance
        return services.system_balance(account.program, account.kind)


@admin.register(Movement)
class MovementAdmin(ReadOnly):
    list_display = ("created_at", "program", "customer", "kind", "points", "reason", "reference")
    list_filter = ("program", "kind")
    list_select_related = ("program", "customer")
    search_fields = ("=customer__external_id", "=reference")
    ordering = ("-id",)


@admin.register(Lot)
class LotAdmin(ReadOnly):
    list_display = ("wallet", "points", "remaining", "earned_at", "expires_at")
    list_select_related = ("wallet__program", "wallet__customer")


@admin.register(Entry)
class EntryAdmin(ReadOnly):
    list_display = ("movement", "debit", "credit", "points", "lot")
    list_select_related = ("movement", "debit", "credit")


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin):
    list_display = ("program", "kind", "target", "multiplier", "bonus_points", "weekdays", "valid_from", "valid_until")
    list_filter = ("program", "kind")

    def save_model(self, request, obj, form, change):
        # A change closes the version in force and opens a new one: past orders keep the points they were scored with.
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name not in ("valid_from", "valid_until")}
        if change and changes:
            from patron.loyalty.earning import revise_rule

            obj.pk = revise_rule(EarningRule.objects.get(pk=obj.pk), changes).pk
            return
        super().save_model(request, obj, form, change)  # a new rule, or only its validity moved


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    form = translated_form(Reward, "names", "descriptions")
    list_display = ("name", "program", "kind", "cost", "stock", "min_tier", "members_only", "active", "valid_from", "valid_until")
    list_filter = ("program", "kind", "active", "members_only")


@admin.register(Coupon)
class CouponAdmin(ReadOnly):
    list_display = ("code", "reward", "customer", "issued_at", "used_at", "used_reference")
    search_fields = ("=code", "=customer__external_id")
    list_select_related = ("reward", "customer")


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    form = translated_form(Tier)
    list_display = ("name", "program", "rank", "threshold", "multiplier")
    list_filter = ("program",)


@admin.register(Membership)
class MembershipAdmin(ReadOnly):
    list_display = ("customer", "program", "tier", "since", "below_since")
    list_filter = ("program", "tier")
    list_select_related = ("customer", "program", "tier")


@admin.register(TierEvent)
class TierEventAdmin(ReadOnly):
    list_display = ("at", "customer", "program", "kind", "from_tier", "to_tier", "qualifying")
    list_filter = ("program", "kind")
    list_select_related = ("customer", "program", "from_tier", "to_tier")


@admin.register(PaidPlan)
class PaidPlanAdmin(admin.ModelAdmin):
    form = translated_form(PaidPlan)
    list_display = ("name", "program", "fee", "period_months", "earn_multiplier", "free_delivery", "save_offer_percent", "active")
    list_filter = ("program", "active")


class PeriodInline(admin.TabularInline):
    model = MembershipPeriod
    extra = 0
    can_delete = False
    readonly_fields = ("number", "starts_at", "ends_at", "fee", "reminded_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PaidMembership)
class PaidMembershipAdmin(ReadOnly):
    """Members join, cancel and resume in the portal (loyalty/paid.py); the daily run renews them."""

    list_display = ("customer", "plan", "status", "joined_at", "period_end", "cancelled_at", "ended_at")
    list_filter = ("plan", "status")
    search_fields = ("=customer__external_id",)
    list_select_related = ("customer", "plan")
    inlines = [PeriodInline]
