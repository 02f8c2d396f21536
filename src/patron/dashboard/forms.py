from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from patron.customers.models import Customer
from patron.loyalty.models import Program


class GrantForm(forms.Form):
    """Goodwill points for one customer, with the reason the ledger and the audit log keep."""

    program = forms.ModelChoiceField(queryset=Program.objects.order_by("name"), label=_("Program"), empty_label=None)
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=1_000_000)
    reason = forms.CharField(label=_("Reason"), max_length=150)


class CorrectionForm(forms.Form):
    """An admin's correction of a balance, either way (taking points draws from the lots nearest expiry)."""

    program = forms.ModelChoiceField(queryset=Program.objects.order_by("name"), label=_("Program"), empty_label=None)
    points = forms.IntegerField(label=_("Points (negative to take)"), min_value=-1_000_000, max_value=1_000_000)
    reason = forms.CharField(label=_("Reason"), max_length=150)

    def clean_points(self):
        if self.cleaned_data["points"] == 0:
            raise forms.ValidationError(_("A correction cannot be zero."))
        return self.cleaned_data["points"]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES, label=_("Language"))


class EraseForm(forms.Form):
    """GDPR erasure from the customer page: the external id typed again, so it is never a slip."""

    confirm = forms.CharField(label=_("Type the customer's external id to confirm"), max_length=100)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class WooCommerceForm(forms.Form):
    """A WooCommerce store's address and REST API keys (Read/Write)."""

    url = forms.CharField(label=_("Store address"), max_length=300,
                          widget=forms.TextInput(attrs={"placeholder": "https://shop.example.lt", "inputmode": "url"}))
    key = forms.CharField(label=_("Consumer key"), max_length=200, widget=forms.TextInput(attrs={"placeholder": "ck_…",
                                                                                              "autocomplete": "off"}))
    secret = forms.CharField(label=_("Consumer secret"), max_length=200,
                             widget=forms.PasswordInput(attrs={"placeholder": "cs_…", "autocomplete": "off"}))


class ShopifyForm(forms.Form):
    """A Shopify shop's .myshopify.com domain, its custom app's access token, and the app's API secret key."""

    shop = forms.CharField(label=_("Shop domain"), max_length=300,
                           widget=forms.TextInput(attrs={"placeholder": "my-shop.myshopify.com"}))
    token = forms.CharField(label=_("Admin API access token"), max_length=200,
                            widget=forms.PasswordInput(attrs={"placeholder": "shpat_…", "autocomplete": "off"}))
    secret = forms.CharField(label=_("The app's API secret key"), max_length=200,
                                 help_text=_("Shopify signs its webhooks with it."),
                                 widget=forms.PasswordInput(attrs={"autocomplete": "off"}))


def customer_by_id_or_email(given: str) -> Customer | None:
    """A customer (not erased) by their external id, else by their email address."""
    given = (given or "").strip()
    if not given:
        return None
    return (Customer.objects.filter(erased_at__isnull=True, external_id=given).first()
            or Customer.objects.filter(erased_at__isnull=True, email__iexact=given).order_by("-pk").first())


class JourneyTestForm(forms.Form):
    """Which of a journey's messages to test, as which customer would get it."""

    step = forms.ChoiceField(label=_("Message"))
    customer = forms.CharField(label=_("As the customer"), max_length=254,
                               help_text=_("Their id or email address: the test is in their language, with their name."))

    def __init__(self, *args, steps: list[tuple[str, str]], **kwargs):
        """`steps`: ("position:variant", its title as the page lists it)."""
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = steps

    def clean_customer(self):
        given = self.cleaned_data["customer"].strip()
        found = customer_by_id_or_email(given)
        if found is None:
            raise forms.ValidationError(_("No customer has the id or email address %(given)s."), params={"given": given})
        return found


class MessageTextForm(forms.Form):
    """One language of a message: what the customer reads, in template syntax ({{ first_name }}, {{ coupon }})."""

    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    preheader = forms.CharField(label=_("Preheader"), max_length=200, required=False,
                                help_text=_("What the inbox shows beside the subject. Blank: the opening of the text."))
    text = forms.CharField(label=_("Text"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 12}),
                           help_text=_("Paragraphs are separated by a blank line; a paragraph that starts with # and a space is a heading."))
    sms = forms.CharField(label=_("SMS"), max_length=480, required=False, widget=forms.Textarea(attrs={"rows": 3}),
                          help_text=_("Blank: this message is not sent by SMS."))


class NewMessageForm(MessageTextForm):
    key = forms.RegexField(label=_("Name"), regex=r"^[a-z][a-z0-9_]{1,59}$", max_length=60,
                           help_text=_("Small Latin letters, digits and _, e.g. spring_sale; steps name the message by it."),
                           error_messages={"invalid": _("Use 2 to 60 small Latin letters, digits or _, starting with a letter.")})
    field_order = ["key", "subject", "preheader", "text", "sms"]


class BrandForm(forms.Form):
    """The shop's look in its emails; a blank field keeps the server's setting (shown as the placeholder)."""

    logo_url = forms.CharField(label=_("Logo (an https address of the image)"), max_length=500, required=False)
    colour = forms.CharField(label=_("Colour of buttons and links"), max_length=7, required=False,
                             widget=forms.TextInput(attrs={"type": "color"}))
    background = forms.CharField(label=_("Background colour"), max_length=7, required=False,
                                 widget=forms.TextInput(attrs={"type": "color"}))
    fonts = forms.CharField(label=_("Fonts (the first the reader has is used)"), max_length=200, required=False)
    shop_address = forms.CharField(label=_("The shop's postal address (in every email's footer)"), max_length=300,
                                   required=False)
    shop_url = forms.CharField(label=_("The shop's address on the web (the button of an offer)"), max_length=500,
                               required=False)
    reply_to = forms.CharField(label=_("Replies go to (email address)"), max_length=254, required=False)

    def __init__(self, *args, defaults: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if defaults.get(name) and field.widget.input_type != "color":
                field.widget.attrs["placeholder"] = defaults[name]


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply to the customer"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 7}))
    wait = forms.BooleanField(label=_("Wait for the customer's answer (the SLA clock stops)"), required=False)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note (the customer never sees it)"), max_length=20_000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=[("low", _("low")), ("normal", _("normal")),
                                                               ("high", _("high")), ("urgent", _("urgent"))])


class ResolveForm(forms.Form):
    """Resolving a ticket, with a recovery gesture if the agent makes one: goodwill points or a reward by name."""

    gesture = forms.ChoiceField(label=_("Recovery gesture"), widget=forms.RadioSelect, initial="none",
                                choices=[("none", _("None")), ("points", _("Goodwill points")), ("reward", _("A reward"))])
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=100_000, required=False)
    reward = forms.ChoiceField(label=_("Reward"), required=False)
    note = forms.CharField(label=_("Internal note (optional)"), max_length=20_000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, rewards: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reward"].choices = rewards

    def clean(self):
        data = super().clean()
        if data.get("gesture") == "points" and not data.get("points"):
            self.add_error("points", _("How many points?"))
        if data.get("gesture") == "reward" and not data.get("reward"):
            self.add_error("reward", _("Choose the reward."))
        return data

    def chosen_gesture(self) -> dict | None:
        data = self.cleaned_data
        if data["gesture"] == "points":
            return {"points": data["points"]}
        if data["gesture"] == "reward":
            return {"reward": int(data["reward"])}
        return None
