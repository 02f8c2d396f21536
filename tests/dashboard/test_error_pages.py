"""The 403, 404 and 500 pages speak the visitor's language, with the page's lang attribute to match."""

import pytest
from django.test import Client

from patron.dashboard import roles
from patron.dashboard.services import add_staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language, not_found", [("lt", "Puslapis nerastas"), ("ka", "გვერდი ვერ მოიძებნა"),
                                                 ("en", "Page not found")])
def test_a_missing_page_is_named_in_the_browsers_language(client, language, not_found):
    answer = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)
    html = answer.content.decode()
    assert answer.status_code == 404 and f'<html lang="{language}">' in html and not_found in html


def test_a_page_the_role_may_not_open_says_so_in_latvian(client):
    agent, _password = add_staff("agent", roles.SUPPORT)
    client.force_login(agent)
    answer = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="lv")
    assert answer.status_code == 403 and "Nav Jūsu lomai" in answer.content.decode()


def test_a_server_error_is_in_estonian(settings):
    settings.DEBUG = False
    from django.urls import path

    from patron import urls

    def broken(request):
        raise RuntimeError("a fault")

    urls.urlpatterns.append(path("broken-for-test/", broken))
    try:
        answer = Client(raise_request_exception=False).get("/broken-for-test/", HTTP_ACCEPT_LANGUAGE="et")
    finally:
        urls.urlpatterns.pop()
    assert answer.status_code == 500 and '<html lang="et">' in answer.content.decode()
    assert "Midagi läks valesti" in answer.content.decode()
