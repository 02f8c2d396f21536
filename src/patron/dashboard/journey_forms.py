"""The journey designer's forms: the journey (trigger and its settings, segment, measuring), the audience's
conditions (a field, an operator, a value) and the steps (an action and its settings), each turned into
what campaigns.design saves. Nothing here is JSON to the marketer."""

from decimal import Decimal

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from patron.campaigns import design
from patron.campaigns.models import Step, Trigger
from patron.segments.models import Segment
from patron.segments.rules import FIELDS

TRIGGERS = {
    Trigger.SIGNED_UP: _("A customer joins"), Trigger.FIRST_ORDER: _("Their first order"),
    Trigger.ORDER: _("Any completed order"), Trigger.TIER_UPGRADE: _("They reach a higher tier"),
    Trigger.POINTS_EXPIRING: _("Their points are about to expire"),
    Trigger.LAPSED: _("They lapse against their own rhythm"), Trigger.INTERACTION: _("Something happens on their timeline"),
    Trigger.SEGMENT_ENTERED: _("They enter a segment"), Trigger.SEGMENT_LEFT: _("They leave a segment"),
    Trigger.BIRTHDAY: _("Their birthday"), Trigger.NAME_DAY: _("Their name day"),
    Trigger.PUBLIC_HOLIDAY: _("A public holiday of their country"), Trigger.ANNIVERSARY: _("The anniversary of their first order"),
    Trigger.SCHEDULE: _("On a schedule (a newsletter)"),
}
KINDS = {
    "complaint_resolved": _("A complaint is resolved"), "ticket_resolved": _("A ticket is resolved"),
    "nps_detractor": _("They answer NPS as a detractor"), "suggestion_implemented": _("Their idea is shipped"),
    "checkout_started": _("They start a checkout"), "added_to_cart": _("They add to the cart"),
    "product_viewed": _("They look at a product"),
}
STOPS = {"order": _("They order"), "added_to_cart": _("They add to the cart"), "checkout_started": _("They start a checkout")}
WEEKDAYS = [(1, _("Monday")), (2, _("Tuesday")), (3, _("Wednesday")), (4, _("Thursday")), (5, _("Friday")),
            (6, _("Saturday")), (7, _("Sunday"))]
ACTIONS = {
    Step.Action.SEND: _("Send a message"), Step.Action.WAIT: _("Wait"), Step.Action.COUPON: _("Give a coupon"),
    Step.Action.GRANT_POINTS: _("Give points"), Step.Action.TAG: _("Tag the customer"),
    Step.Action.TASK: _("Create a task for staff"),
}
FIELD_NAMES = {
    "language": _("Language"), "country": _("Country"), "email_consent": _("Agreed to emails"),
    "sms_consent": _("Agreed to SMS"), "has_email": _("Has an email address"), "has_phone": _("Has a phone number"),
    "days_as_customer": _("Days as a customer"), "orders": _("Orders"), "spend": _("Total spent"),
    "days_since_last_order": _("Days since the last order"),
    "lapse_ratio": _("Days since the last order, in their own rhythms"), "bought_category": _("Bought in the category"),
    "rfm_segment": _("RFM segment"), "quadrant": _("Loyalty matrix quadrant"), "p_alive": _("Probability still active"),
    "clv_12m": _("Value in the next 12 months"), "churn_risk": _("Churn risk"),
    "expected_purchases_90": _("Expected orders in 90 days"), "nps": _("Latest NPS answer"),
    "csat": _("Latest CSAT answer"), "tier": _("Tier"), "tag": _("Tag"),
}
OPERATORS = {"gt": _("more than"), "gte": _("at least"), "lt": _("less than"), "lte": _("at most"), "eq": _("is"),
             "ne": _("is not"), "in": _("is one of"), "not_in": _("is none of"), "is": _("is")}
# The operators each kind of field takes (segments.rules checks them again).
KIND_OPERATORS = {"number": ["gt", "gte", "lt", "lte", "eq", "ne"], "age": ["gt", "gte", "lt", "lte"],
                  "ratio": ["gt", "gte", "lt", "lte"], "text": ["eq", "ne", "in", "not_in"], "bool": ["is"],
                  "set": ["in", "not_in"]}
BOOL_VALUES = {"yes": True, "no": False, "unknown": None}


def _segments():
    language = get_language() or "en"
    return [("", _("Everyone"))] + [(s.name, s.name_in(language)) for s in Segment.objects.only("name", "names").order_by("name")]


class JourneyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("What it is for"), max_length=300, required=False)
    trigger = forms.ChoiceField(label=_("Starts when"), choices=list(TRIGGERS.items()))
    kind = forms.ChoiceField(label=_("What happens"), required=False)
    trigger_segment = forms.ChoiceField(label=_("Segment"), required=False)
    weekdays = forms.TypedMultipleChoiceField(label=_("On these days"), choices=WEEKDAYS, coerce=int, required=False,
                                              widget=forms.CheckboxSelectMultiple)
    hour = forms.IntegerField(label=_("From the hour (UTC)"), min_value=0, max_value=23, initial=9, required=False)
    at = forms.DateTimeField(label=_("Or once, at (UTC)"), required=False,
                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    holidays = forms.CharField(label=_("Which holidays (blank: all)"), required=False, max_length=500,
                               help_text=_("Their English names, separated by commas, e.g. Christmas Day, New Year's Day"))
    reentry_days = forms.IntegerField(label=_("Not again within (days)"), min_value=1, max_value=3650, required=False)
    stop_on = forms.MultipleChoiceField(label=_("Leaves the journey early when"), choices=list(STOPS.items()),
                                        required=False, widget=forms.CheckboxSelectMultiple)
    segment = forms.ChoiceField(label=_("Only customers in"), required=False)
    match = forms.ChoiceField(label=_("Who match"), choices=[("all", _("all of the conditions")),
                                                              ("any", _("any of the conditions"))], initial="all")
    holdout_percent = forms.IntegerField(label=_("Held out as a control group (%)"), min_value=0, max_value=50, initial=10,
                                         help_text=_("They enter but get nothing, so the report can show what the journey adds."))
    conversion_days = forms.IntegerField(label=_("An order within this many days counts as a conversion"), min_value=1,
                                         max_value=design.MAX_CONVERSION_DAYS, initial=14)
    auto_winner = forms.BooleanField(label=_("Choose the winning variant automatically"), required=False,
                                     help_text=_("When a step has variants: from then on every treated customer gets the winner."))
    winner_percent = forms.DecimalField(label=_("when it is the best with a probability of (%)"), min_value=80,
                                        max_value=Decimal("99.9"), decimal_places=1, initial=95)
    winner_minimum = forms.IntegerField(label=_("and each variant has reached (customers)"), min_value=design.MIN_RECIPIENTS,
                                        max_value=1_000_000, initial=200)

    def __init__(self, *args, config: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept = {k: v for k, v in (config or {}).items() if k in ("rules",)}  # settings the page does not show
        self.fields["kind"].choices = [(k, KINDS.get(k, k)) for k in design.interaction_kinds()]
        segments = _segments()
        self.fields["trigger_segment"].choices = segments[1:]
        self.fields["segment"].choices = segments

    def clean(self):
        data = super().clean()
        trigger = data.get("trigger")
        if trigger == Trigger.INTERACTION and not data.get("kind"):
            self.add_error("kind", _("Choose what happens."))
        if trigger in (Trigger.SEGMENT_ENTERED, Trigger.SEGMENT_LEFT) and not data.get("trigger_segment"):
            self.add_error("trigger_segment", _("Choose a segment (create one on the Segments page first)."))
        if trigger == Trigger.SCHEDULE and not data.get("weekdays") and not data.get("at"):
            self.add_error("weekdays", _("Choose the days of the week, or a date and time."))
        return data

    def trigger_config(self) -> dict:
        data = self.cleaned_data
        config = dict(self.kept) if data["trigger"] == Trigger.LAPSED else {}
        trigger = data["trigger"]
        if trigger == Trigger.INTERACTION:
            config["kind"] = data["kind"]
        elif trigger in (Trigger.SEGMENT_ENTERED, Trigger.SEGMENT_LEFT):
            config["segment"] = data["trigger_segment"]
        elif trigger == Trigger.SCHEDULE:
            if data.get("at"):
                config["at"] = data["at"].isoformat()
            else:
                config["weekdays"] = sorted(data["weekdays"])
                config["hour"] = data["hour"] if data.get("hour") is not None else 9
        elif trigger == Trigger.PUBLIC_HOLIDAY and data.get("holidays"):
            config["holidays"] = [h.strip() for h in data["holidays"].split(",") if h.strip()]
        if data.get("reentry_days"):
            config["reentry_days"] = data["reentry_days"]
        if data.get("stop_on"):
            config["stop_on"] = list(data["stop_on"])
        return config

    @staticmethod
    def initial_of(found: design.Design) -> dict:
        config = found.trigger_config
        initial = {"name": found.name, "description": found.description, "trigger": found.trigger,
                   "kind": config.get("kind", ""), "trigger_segment": config.get("segment", ""),
                   "weekdays": config.get("weekdays", []), "hour": config.get("hour", 9),
                   "holidays": ", ".join(config.get("holidays", [])), "reentry_days": config.get("reentry_days"),
                   "stop_on": config.get("stop_on", []), "segment": found.segment,
                   "match": next(iter(found.audience), "all") if found.audience else "all",
                   "holdout_percent": int(found.holdout_share * 100), "conversion_days": found.conversion_days,
                   "auto_winner": found.auto_winner, "winner_percent": (found.winner_probability * 100).normalize(),
                   "winner_minimum": found.winner_minimum}
        if config.get("at"):
            initial["at"] = config["at"][:16]
        return initial


class ConditionForm(forms.Form):
    """One condition of the audience: a field, an operator and a value, as segments.rules reads them."""

    field = forms.ChoiceField(label=_("Field"), choices=[(k, FIELD_NAMES.get(k, k)) for k in FIELDS])
    op = forms.ChoiceField(label=_("Operator"), choices=list(OPERATORS.items()))
    value = forms.CharField(label=_("Value"), max_length=500, required=False)

    def clean(self):
        data = super().clean()
        name, op, raw = data.get("field"), data.get("op"), (data.get("value") or "").strip()
        if not name or not op:
            return data
        kind = FIELDS[name].kind
        if op not in KIND_OPERATORS[kind]:
            raise forms.ValidationError(_("“%(op)s” does not go with %(field)s."),
                                        params={"op": OPERATORS[op], "field": FIELD_NAMES.get(name, name)})
        if kind == "bool":
            if raw not in BOOL_VALUES:
                raise forms.ValidationError(_("Choose yes, no or unknown."))
            data["rule"] = {"field": name, "op": "is", "value": BOOL_VALUES[raw]}
        elif kind in ("number", "age", "ratio"):
            try:
                number = Decimal(raw.replace(",", ".").replace(" ", ""))
            except ArithmeticError:
                raise forms.ValidationError(_("%(value)s is not a number."), params={"value": raw or "–"}) from None
            if not number.is_finite():
                raise forms.ValidationError(_("%(value)s is not a number."), params={"value": raw})
            data["rule"] = {"field": name, "op": op, "value": int(number) if number == number.to_integral() else float(number)}
        else:
            values = [v.strip() for v in raw.split(",") if v.strip()]
            if not values:
                raise forms.ValidationError(_("Write a value."))
            if op in ("eq", "ne") and len(values) > 1:
                op = "in" if op == "eq" else "not_in"
            data["rule"] = {"field": name, "op": op, "value": values if op in ("in", "not_in") else values[0]}
        return data

    @staticmethod
    def initial_of(rule: dict) -> dict | None:
        """A saved condition as the form's fields; None for a nested rule the form cannot show."""
        if not isinstance(rule, dict) or "field" not in rule or rule.get("field") not in FIELDS:
            return None
        value = rule.get("value")
        if isinstance(value, bool) or value is None:
            value = {True: "yes", False: "no", None: "unknown"}[value]
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        return {"field": rule["field"], "op": rule.get("op"), "value": str(value)}


class StepForm(forms.Form):
    """One step: its action, and the settings of that action (the others are left blank)."""

    action = forms.ChoiceField(label=_("Action"), choices=list(ACTIONS.items()))
    template = forms.ChoiceField(label=_("Message"), required=False)
    channel = forms.ChoiceField(label=_("By"), choices=[("email", _("Email")), ("sms", _("SMS"))], required=False)
    products = forms.BooleanField(label=_("With three recommended products"), required=False,
                                  help_text=_("From the shop's catalogue, in the categories each customer is likeliest to "
                                              "buy next; without a catalogue, those categories' names."))
    days = forms.IntegerField(label=_("Days"), min_value=0, max_value=3650, required=False)
    hours = forms.IntegerField(label=_("Hours"), min_value=0, max_value=23 * 365, required=False)
    template_b = forms.ChoiceField(label=_("Variant B: message"), required=False)
    template_c = forms.ChoiceField(label=_("Variant C: message"), required=False)
    reward = forms.ChoiceField(label=_("Reward"), required=False)
    reward_b = forms.ChoiceField(label=_("Variant B: reward"), required=False)
    reward_c = forms.ChoiceField(label=_("Variant C: reward"), required=False)
    valid_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=3650, required=False, initial=30)
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=1_000_000, required=False)
    reason = forms.CharField(label=_("Reason in the ledger"), max_length=150, required=False)
    tag = forms.CharField(label=_("Tag"), max_length=60, required=False)
    title = forms.CharField(label=_("Task"), max_length=200, required=False)

    def __init__(self, *args, templates: list[tuple[str, str]] = (), rewards: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = list(templates)
        self.fields["reward"].choices = [(r, r) for r in rewards]
        for letter in "bc":
            self.fields[f"template_{letter}"].choices = [("", _("none"))] + list(templates)
            self.fields[f"reward_{letter}"].choices = [("", _("none"))] + [(r, r) for r in rewards]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if self.cleaned_data.get("DELETE") or not action:
            return data
        needs = {Step.Action.SEND: ("template",), Step.Action.COUPON: ("reward",), Step.Action.GRANT_POINTS: ("points",),
                 Step.Action.TAG: ("tag",), Step.Action.TASK: ("title",)}.get(action, ())
        for name in needs:
            if not data.get(name):
                self.add_error(name, _("This step needs it."))
        if action == Step.Action.WAIT and not (data.get("days") or data.get("hours")):
            self.add_error("days", _("Wait at least an hour or a day."))
        return data

    def config(self) -> dict:
        data, action = self.cleaned_data, self.cleaned_data["action"]
        wanted = {Step.Action.SEND: ("template", "channel", "products"), Step.Action.WAIT: ("days", "hours"),
                  Step.Action.COUPON: ("reward", "valid_days"), Step.Action.GRANT_POINTS: ("points", "reason"),
                  Step.Action.TAG: ("tag",), Step.Action.TASK: ("title",)}[action]
        config = {name: data[name] for name in wanted if data.get(name) not in (None, "", False)}
        if config.get("channel") == "email":
            del config["channel"]  # email is the default
        varied = {Step.Action.SEND: "template", Step.Action.COUPON: "reward"}.get(action)
        others = [data[f"{varied}_{letter}"] for letter in "bc" if varied and data.get(f"{varied}_{letter}")]
        if others:
            config["variants"] = others
        return config

    @staticmethod
    def initial_of(action: str, config: dict) -> dict:
        known = {k: v for k, v in config.items() if k in StepForm.base_fields and not isinstance(v, (dict, list))}
        varied = {Step.Action.SEND: "template", Step.Action.COUPON: "reward"}.get(action)
        for letter, other in zip("bc", (config.get("variants") or []) if varied else []):
            known[f"{varied}_{letter}"] = other
        return {"action": action, **known}


ConditionFormSet = forms.formset_factory(ConditionForm, extra=0, can_delete=True, max_num=50, validate_max=True)
StepFormSet = forms.formset_factory(StepForm, extra=0, can_delete=True, can_order=True, max_num=design.MAX_STEPS,
                                    validate_max=True)
