from django import forms
from django.contrib import admin
from django.shortcuts import render as render_page
from django.template import TemplateSyntaxError
from django.urls import path, reverse
from django.utils.html import escape, format_html

from patron.core.admin_tools import ByCustomerSearch, ReadOnlyAdmin
from patron.messaging import content
from patron.messaging.models import Message, MessageTemplate
from patron.messaging.render import preview


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ("key", "language", "subject", "preheader", "text", "sms")

    def clean_language(self):
        language = content.primary(self.cleaned_data["language"])
        if not language.isalpha() or not 2 <= len(language) <= 3:
            raise forms.ValidationError("a language code such as lt, lv, et, ka or en")
        return language

    def clean(self):
        cleaned = super().clean()
        for name in ("subject", "preheader", "text", "sms"):
            try:
                content.compiled(cleaned.get(name) or "")
            except TemplateSyntaxError as exc:
                self.add_error(name, f"not a valid template: {exc}")
        return cleaned


def _email_styles(response):
    """Email HTML needs inline styles (mail clients ignore style sheets); the sandboxed preview frames
    inherit the page's Content-Security-Policy, so these pages allow inline styles, and nothing else."""
    response._csp_update = {"style-src": ["'unsafe-inline'"]}
    return response


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """Staff edits of a message in one language; they win over the built-in text."""

    form = MessageTemplateForm
    list_display = ("key", "language", "subject", "updated_at", "preview_link")
    list_filter = ("key", "language")
    readonly_fields = ("rendered",)
    change_list_template = "admin/messaging/messagetemplate/change_list.html"

    class Media:
        css = {"all": ["messaging/preview.css"]}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return _email_styles(super().change_view(request, object_id, form_url, extra_context))

    @admin.display(description="preview")
    def preview_link(self, obj: MessageTemplate) -> str:
        return format_html('<a href="{}">every language</a>', reverse("admin:messaging_messagetemplate_preview", args=[obj.key]))

    @admin.display(description="as the customer sees it (saved text, sample values)")
    def rendered(self, obj: MessageTemplate) -> str:
        if not obj.pk:
            return "-"
        out = preview(obj.key, obj.language)
        return format_html('<strong>{}</strong><iframe title="preview" sandbox srcdoc="{}" class="message-frame"></iframe>'
                           '<pre>{}</pre>', out.subject, escape(str(out.html)), out.sms)

    def get_urls(self):
        views = [path("preview/<slug:key>/", self.admin_site.admin_view(self.preview_view),
                      name="messaging_messagetemplate_preview")]
        return [*views, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra = {"builtin_keys": [(key, content.purpose_of(key)) for key in content.builtin_keys()], **(extra_context or {})}
        return super().changelist_view(request, extra)

    def preview_view(self, request, key: str):
        languages = dict.fromkeys([*content.LANGUAGES, *MessageTemplate.objects.filter(key=key)
                                   .values_list("language", flat=True)])
        edited = set(MessageTemplate.objects.filter(key=key).values_list("language", flat=True))
        shown = []
        for language in languages:
            out = preview(key, language)
            if out is not None:
                shown.append({"language": language, "rendered": out, "fallback": out.language != language,
                              "edited": language in edited})
        context = {**self.admin_site.each_context(request), "title": f"{key}: every language", "key": key,
                   "purpose": content.purpose_of(key), "shown": shown, "opts": self.model._meta}
        return _email_styles(render_page(request, "admin/messaging/messagetemplate/preview.html", context,
                                         status=200 if shown else 404))


@admin.register(Message)
class MessageAdmin(ByCustomerSearch, ReadOnlyAdmin):
    """The outbox: what was decided, what went, what was held back and why."""

    list_display = ("created_at", "customer", "journey", "template", "channel", "purpose", "status", "reason",
                    "due_at", "sent_at", "attempts", "language")
    list_filter = ("status", "channel", "purpose", "journey", "template")
    list_select_related = ("customer", "journey")
    ordering = ("-id",)
    raw_id_fields = ("customer", "enrollment")
