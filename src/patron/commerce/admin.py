from django.contrib import admin

from patron.commerce.models import Category, Order, OrderLine, Product, Refund
from patron.core.admin_tools import EstimatedCountPaginator


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ("product",)


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = ("amount", "refunded_at", "reason", "external_id")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("external_id", "customer", "placed_at", "total", "currency", "status")
    list_filter = ("status",)
    search_fields = ("=external_id", "=customer__external_id")
    search_help_text = "Exact order or customer external id"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    ordering = ("-id",)
    inlines = [OrderLineInline, RefundInline]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "category")
    search_fields = ("=sku", "name")
    list_filter = ("category",)
    list_select_related = ("category",)
    paginator = EstimatedCountPaginator


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent")
    search_fields = ("name",)


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ("order", "amount", "refunded_at", "reason")
    raw_id_fields = ("order",)
    list_select_related = ("order",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # refunds go through commerce.services.refund_order, which checks the amount left

    def has_change_permission(self, request, obj=None):
        return False
