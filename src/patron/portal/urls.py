from django.urls import path

from patron.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("in/<str:token>/", views.link, name="link"),
    path("shop/", views.shop, name="shop"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("language/", views.language, name="language"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/<int:reward_id>/", views.redeem, name="redeem"),
    path("rewards/<int:reward_id>/picture/<slug:image_hash>.webp", views.reward_picture, name="reward_picture"),
    path("wallet/", views.wallet, name="wallet"),
    path("history/", views.history, name="history"),
    path("refer/", views.refer, name="refer"),
    path("preferences/", views.preferences, name="preferences"),
    path("surveys/", views.surveys, name="surveys"),
    path("membership/", views.membership, name="membership"),
    path("membership/join/<int:plan_id>/", views.confirm_join, name="confirm_join"),
    path("membership/<str:action>/", views.membership_action, name="membership_action"),
    path("widget/", views.widget, name="widget"),
]
