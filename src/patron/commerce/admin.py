from django.contrib import admin
from django.db.models import Q

from patron.commerce.events import orders_written
from patron.commerce.models import Category, Order, OrderLine, Product, Refund
from patron.core.admin_tools import EstimatedCountPaginator
from patron.customers.models import Customer


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


class StatusFilter(admin.SimpleListFilter):
    """Written so the rare statuses are read from the partial index order_exception_status."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Order.Status.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value == Order.Status.COMPLETED:
            return queryset.filter(status=value)
        if value in Order.Status.values:
            return queryset.exclude(status=Order.Status.COMPLETED).filter(status=value)
        return queryset


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("external_id", "customer", "placed_at", "total", "currency", "status")
    list_filter = (StatusFilter,)
    search_fields = ("external_id",)  # searched exactly, see get_search_results
    search_help_text = "Exact order or customer external id"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    ordering = ("-id",)
    inlines = [OrderLineInline, RefundInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After its lines are saved, the contexts above hear of the order (loyalty earns its points, once).
        orders_written.send(sender=Order, order_ids=[form.instance.pk])

    def get_search_results(self, request, queryset, search_term):
        # Exact matches only, each served by a unique index (Django's "=" search is case-insensitive, which no index serves).
        term = search_term.strip()
        if not term:
            return queryset, False
        customers = Customer.objects.filter(external_id=term).values("id")
        return queryset.filter(Q(external_id=term) | Q(customer_id__in=customers)), False


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
