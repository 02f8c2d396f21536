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


class JourneyTestForm(forms.Form):
    """Which of a journey's messages to test, as which customer would get it."""

    step = forms.ChoiceField(label=_("Message"))
    customer = forms.CharField(label=_("As the customer"), max_length=254,
                               help_text=_("Their id or email address: the test is in their language, with their name."))

    def __init__(self, *args, steps: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [(position, f"{n}. {title}") for n, (position, title) in enumerate(steps, start=1)]

    def clean_customer(self):
        given = self.cleaned_data["customer"].strip()
        found = (Customer.objects.filter(erased_at__isnull=True, external_id=given).first()
                 or Customer.objects.filter(erased_at__isnull=True, email__iexact=given).order_by("-pk").first())
        if found is None:
            raise forms.ValidationError(_("No customer has the id or email address %(given)s."), params={"given": given})
        return found
