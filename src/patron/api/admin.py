from django.contrib import admin, messages

from patron.api import services
from patron.api.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made with `patron apikey create` (the secret is shown once, there); here they are listed,
    with their last use, and revoked."""

    list_display = ("name", "prefix", "scope_list", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    readonly_fields = ("name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    fields = readonly_fields
    actions = ["revoke"]
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False  # `patron apikey create` shows the secret once

    def has_delete_permission(self, request, obj=None):
        return False  # revoked keys stay as the record of who could call the API

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            services.revoke_key(key.prefix, actor=request.user)
        self.message_user(request, f"revoked {queryset.count()} key(s); requests with them are refused", messages.SUCCESS)
