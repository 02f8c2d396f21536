from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from patron.api.routes import api
from patron.connectors import hooks
from patron.core.admin_tools import INDEX_TITLE
from patron.messaging import mail_events
from patron.portal import link_urls, links

admin.site.site_header = "Patron"
admin.site.site_title = "Patron"
admin.site.index_title = INDEX_TITLE

urlpatterns = [
    # Browsers ask for /favicon.ico on pages that name no icon (a file download, the API's pages).
    path("favicon.ico", RedirectView.as_view(url=static("dashboard/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("m/", include(link_urls.messages)),
    path("f/", include(link_urls.surveys)),
    path("r/<str:token>", links.click, name="click"),
    path("o/<str:token>.gif", links.pixel, name="opened"),
    path("portal/", include("patron.portal.urls")),
    path("hooks/woocommerce/<int:connection_id>", hooks.woocommerce, name="hooks-woocommerce"),
    path("hooks/shopify/<int:connection_id>", hooks.shopify, name="hooks-shopify"),
    path("mail/events/<slug:provider>/", mail_events.events, name="mail-events"),
    path("", include("patron.dashboard.urls")),
]
