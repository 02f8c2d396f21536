from django.contrib import admin
from django.urls import include, path

from patron.api.routes import api

admin.site.site_header = "Patron"
admin.site.site_title = "Patron"
admin.site.index_title = "Customers, orders and loyalty"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("m/", include("patron.messaging.urls")),
    path("f/", include("patron.feedback.urls")),
    path("portal/", include("patron.portal.urls")),
    path("", include("patron.dashboard.urls")),
]
