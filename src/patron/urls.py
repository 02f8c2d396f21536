from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Patron"
admin.site.site_title = "Patron"
admin.site.index_title = "Customers, orders and loyalty"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
