from django.contrib.auth import views as auth
from django.urls import path

from patron.dashboard import designer, message_views, views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth.LoginView.as_view(template_name="dashboard/login.html", redirect_authenticated_user=True), name="login"),
    path("logout/", auth.LogoutView.as_view(next_page="dashboard:login"), name="logout"),
    path("language/", views.language, name="language"),
    path("overview/", views.overview, name="overview"),
    path("cohorts/", views.cohorts, name="cohorts"),
    path("segments/", views.segments, name="segments"),
    path("matrix/", views.matrix, name="matrix"),
    path("at-risk/", views.at_risk, name="at_risk"),
    path("customers/", views.customers, name="customers"),
    path("customers/<int:customer_id>/", views.customer, name="customer"),
    path("customers/<int:customer_id>/grant/", views.grant_points, name="grant_points"),
    path("customers/<int:customer_id>/correct/", views.correct_points, name="correct_points"),
    path("customers/<int:customer_id>/export/", views.export_customer, name="export_customer"),
    path("customers/<int:customer_id>/erase/", views.erase_customer, name="erase_customer"),
    path("loyalty/", views.loyalty_page, name="loyalty"),
    path("journeys/", views.journeys_page, name="journeys"),
    path("journeys/new/", designer.design_journey, name="new_journey"),
    path("journeys/audience/", designer.audience_count, name="audience_count"),
    path("journeys/<slug:key>/edit/", designer.design_journey, name="edit_journey"),
    path("journeys/<slug:key>/switch-on/", views.switch_on_journey, name="switch_on_journey"),
    path("journeys/<slug:key>/test/", views.test_journey, name="test_journey"),
    path("journeys/<slug:key>/<slug:verb>/", views.toggle_journey, name="toggle_journey"),
    path("messages/", message_views.messages_page, name="messages"),
    path("messages/new/", message_views.new_message, name="new_message"),
    path("messages/brand/", message_views.brand_page, name="brand"),
    path("messages/brand/save/", message_views.save_brand, name="save_brand"),
    path("messages/<slug:key>/", message_views.message_page, name="message"),
    path("messages/<slug:key>/<slug:language>/", message_views.save_message, name="save_message"),
    path("messages/<slug:key>/<slug:language>/preview/", message_views.preview_message, name="preview_message"),
    path("feedback/", views.feedback, name="feedback"),
    path("service/", views.service, name="service"),
    path("audit/", views.audit, name="audit"),
    path("shop/", views.shop, name="shop"),
    path("shop/connect/<slug:kind>/", views.connect_shop, name="connect_shop"),
    path("shop/<int:connection_id>/<slug:verb>/", views.manage_shop, name="manage_shop"),
]
