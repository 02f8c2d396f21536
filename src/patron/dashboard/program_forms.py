"""The program setup's forms: the program, a tier, a reward, an earning rule and a paid plan as fields, with a
name (and a reward's description) per language. Each gives the values loyalty.setup saves; the service checks
them again as a whole."""

from decimal import Decimal

from babel import Locale
from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from patron.core.catalogs import LANGUAGES
from patron.dashboard.journey_forms import WEEKDAYS
from patron.loyalty.models import EarningRule, PaidPlan, Program, Reward, Tier
from patron.loyalty.setup import translations

REFUND_POLICIES = {Program.RefundPolicy.NEGATIVE_BALANCE: _("The wallet may go below zero"),
                   Program.RefundPolicy.CLAWBACK: _("The wallet stops at zero; the rest comes off the next earnings")}
TIER_BASES = {Program.TierBasis.POINTS: _("Points earned"), Program.TierBasis.SPEND: _("Money spent")}
REWARD_KINDS = {Reward.Kind.DISCOUNT_AMOUNT: _("A discount of an amount"), Reward.Kind.DISCOUNT_PERCENT: _("A discount in percent"),
                Reward.Kind.FREE_PRODUCT: _("A free product"), Reward.Kind.GIFT: _("A gift"),
                Reward.Kind.DONATION: _("A donation to a cause")}
RULE_KINDS = {EarningRule.Kind.CATEGORY_MULTIPLIER: _("More points in a category"),
              EarningRule.Kind.PRODUCT_MULTIPLIER: _("More points for a product"),
              EarningRule.Kind.BONUS_WINDOW: _("More points on some weekdays or dates"),
              EarningRule.Kind.FIRST_PURCHASE_BONUS: _("A bonus for the first purchase"),
              EarningRule.Kind.BIRTHDAY_BONUS: _("A birthday bonus"),
              EarningRule.Kind.FEEDBACK_BONUS: _("A bonus for answering a survey")}
MOMENT = {"widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
          "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]}


def language_name(code: str) -> str:
    here = Locale.parse((get_language() or "en").split("-")[0])
    return here.languages.get(code, code)


class SetupForm(forms.Form):
    """A form whose `translated` fields (name, description) also take a text per language, kept as a map."""

    translated: tuple[str, ...] = ("name",)
    fields_of: tuple[str, ...] = ()  # the model fields the form sets, besides the translated maps

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.translated:
            base = self.fields[field]
            for language in LANGUAGES:
                self.fields[f"{field}_{language}"] = forms.CharField(
                    label=_("In %(language)s") % {"language": language_name(language)}, required=False,
                    max_length=base.max_length, widget=forms.Textarea(attrs={"rows": 2}) if field == "description" else None)

    @classmethod
    def initial_of(cls, thing) -> dict:
        found = {name: getattr(thing, name) for name in cls.fields_of}
        for field in cls.translated:
            for language, text in (getattr(thing, f"{field}s") or {}).items():
                found[f"{field}_{language}"] = text
        return found

    def main_fields(self):
        return [self[name] for name in self.fields if not any(name.startswith(f"{t}_") and name[len(t) + 1:] in LANGUAGES
                                                             for t in self.translated)]

    def language_fields(self, field: str):
        return [self[f"{field}_{language}"] for language in LANGUAGES]

    def values(self) -> dict:
        data = self.cleaned_data
        found = {name: data[name] for name in self.fields_of}
        for field in self.translated:
            found[f"{field}s"] = translations({language: data.get(f"{field}_{language}", "") for language in LANGUAGES})
        return found


class ProgramForm(SetupForm):
    fields_of = ("name", "currency", "points_per_unit", "expiry_days", "expiry_reminder_days", "refund_policy", "tier_basis",
                 "tier_window_days", "tier_grace_days", "point_value", "referrer_bonus", "friend_bonus")
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Shown where a language has no name of its own."))
    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3,
                               help_text=_("Orders in this currency earn points, e.g. EUR or GEL."))
    points_per_unit = forms.IntegerField(label=_("Points per unit spent"), min_value=1, max_value=10_000, initial=1)
    expiry_days = forms.IntegerField(label=_("Points expire after (days)"), min_value=1, max_value=3650, required=False,
                                     help_text=_("Blank: points never expire."))
    expiry_reminder_days = forms.IntegerField(label=_("Remind before points expire (days)"), min_value=0, max_value=365, initial=30)
    refund_policy = forms.ChoiceField(label=_("On a refund"), choices=list(REFUND_POLICIES.items()))
    tier_basis = forms.ChoiceField(label=_("Tiers are reached by"), choices=list(TIER_BASES.items()))
    tier_window_days = forms.IntegerField(label=_("Tiers count the last (days)"), min_value=1, max_value=3650, initial=365)
    tier_grace_days = forms.IntegerField(label=_("Days below a threshold before a lower tier"), min_value=0, max_value=365, initial=30)
    point_value = forms.DecimalField(label=_("What a point is worth"), min_value=Decimal("0.0001"), max_digits=10, decimal_places=4,
                                     initial=Decimal("0.01"), help_text=_("In the program's currency, for the liability."))
    referrer_bonus = forms.IntegerField(label=_("Points for a referrer"), min_value=0, max_value=1_000_000, initial=0)
    friend_bonus = forms.IntegerField(label=_("Points for the referred friend"), min_value=0, max_value=1_000_000, initial=0)

    def clean_currency(self):
        return self.cleaned_data["currency"].strip().upper()


class TierForm(SetupForm):
    fields_of = ("name", "rank", "threshold", "multiplier")
    name = forms.CharField(label=_("Name"), max_length=50, help_text=_("Shown where a language has no name of its own."))
    rank = forms.IntegerField(label=_("Rank"), min_value=1, max_value=100, help_text=_("Higher is better."))
    threshold = forms.DecimalField(label=_("Reached at"), min_value=0, max_digits=14, decimal_places=2,
                                   help_text=_("Points earned, or money spent, over the program's window."))
    multiplier = forms.DecimalField(label=_("Points multiplier"), min_value=Decimal("0.01"), max_digits=5, decimal_places=2,
                                    initial=1)


class RewardForm(SetupForm):
    translated = ("name", "description")
    fields_of = ("name", "description", "kind", "value", "sku", "cost", "stock", "min_tier", "members_only", "valid_from",
                 "valid_until", "active")
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Shown where a language has no name of its own."))
    description = forms.CharField(label=_("Description"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=_("Kind"), choices=list(REWARD_KINDS.items()))
    value = forms.DecimalField(label=_("Value"), min_value=0, max_digits=12, decimal_places=2, initial=0,
                               help_text=_("The amount off, or the percent off."))
    sku = forms.CharField(label=_("Product SKU"), max_length=64, required=False, help_text=_("For a free product."))
    cost = forms.IntegerField(label=_("Costs (points)"), min_value=1, max_value=10_000_000)
    stock = forms.IntegerField(label=_("In stock"), min_value=0, required=False, help_text=_("Blank: unlimited."))
    min_tier = forms.TypedChoiceField(label=_("Only from the tier"), required=False, coerce=int, empty_value=None)
    members_only = forms.BooleanField(label=_("Only for paid members"), required=False)
    valid_from = forms.DateTimeField(label=_("Offered from"), required=False, **MOMENT)
    valid_until = forms.DateTimeField(label=_("Offered until"), required=False, **MOMENT)
    active = forms.BooleanField(label=_("On offer"), required=False, initial=True)
    picture = forms.FileField(label=_("Picture"), required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
                              help_text=_("JPEG, PNG, WebP or GIF, up to 5 MB; shown at most 800 px wide."))
    drop_picture = forms.BooleanField(label=_("Remove the picture"), required=False)

    def __init__(self, *args, tiers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["min_tier"].choices = [("", _("Every tier"))] + [(t.pk, t.name_in(get_language() or "en")) for t in tiers]
        self.tiers = {t.pk: t for t in tiers}

    @classmethod
    def initial_of(cls, thing) -> dict:
        found = super().initial_of(thing)
        found["min_tier"] = thing.min_tier_id
        return found

    def values(self) -> dict:
        found = super().values()
        found["min_tier"] = self.tiers.get(found["min_tier"])
        return found


class RuleForm(SetupForm):
    translated = ()
    fields_of = ("kind", "target", "multiplier", "bonus_points", "weekdays", "valid_from", "valid_until")
    kind = forms.ChoiceField(label=_("Kind"), choices=list(RULE_KINDS.items()))
    target = forms.CharField(label=_("Category or product SKU"), max_length=100, required=False)
    multiplier = forms.DecimalField(label=_("Points multiplier"), min_value=Decimal("0.01"), max_digits=6, decimal_places=2, initial=1)
    bonus_points = forms.IntegerField(label=_("Bonus points"), min_value=0, max_value=1_000_000, initial=0)
    weekdays = forms.TypedMultipleChoiceField(label=_("On these weekdays"), choices=WEEKDAYS, coerce=int, required=False,
                                              widget=forms.CheckboxSelectMultiple)
    valid_from = forms.DateTimeField(label=_("In force from"), **MOMENT)
    valid_until = forms.DateTimeField(label=_("In force until"), required=False, **MOMENT)

    @classmethod
    def initial_of(cls, thing) -> dict:
        found = super().initial_of(thing)
        found["weekdays"] = [int(d) for d in thing.weekdays.split(",") if d.strip()]
        return found

    @classmethod
    def fresh(cls) -> dict:
        return {"valid_from": timezone.localtime().replace(second=0, microsecond=0)}

    def values(self) -> dict:
        found = super().values()
        found["weekdays"] = ",".join(str(d) for d in sorted(found["weekdays"]))
        return found


class PlanForm(SetupForm):
    fields_of = ("name", "fee", "period_months", "earn_multiplier", "free_delivery", "save_offer_percent", "reminder_days", "active")
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Shown where a language has no name of its own."))
    fee = forms.DecimalField(label=_("Fee per period"), min_value=0, max_digits=10, decimal_places=2,
                             help_text=_("In the program's currency."))
    period_months = forms.IntegerField(label=_("Period (months)"), min_value=1, max_value=36, initial=12,
                                       help_text=_("1 for monthly, 12 for yearly."))
    earn_multiplier = forms.DecimalField(label=_("Points multiplier for members"), min_value=Decimal("0.01"), max_digits=5,
                                         decimal_places=2, initial=1)
    free_delivery = forms.BooleanField(label=_("Free delivery"), required=False)
    save_offer_percent = forms.IntegerField(label=_("Offer to a member who cancels (% off)"), min_value=0, max_value=100, initial=0,
                                            help_text=_("0: no offer."))
    reminder_days = forms.IntegerField(label=_("Remind before a renewal (days)"), min_value=0, max_value=60, initial=7)
    active = forms.BooleanField(label=_("Open to new members"), required=False, initial=True)


FORMS = {"tier": TierForm, "reward": RewardForm, "rule": RuleForm, "plan": PlanForm}
PARTS = {"tier": Tier, "reward": Reward, "rule": EarningRule, "plan": PaidPlan}
