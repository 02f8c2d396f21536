"""The WSGI application: pages pass through MIDDLEWARE, the API's requests through API_MIDDLEWARE."""

import os

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")

API_PREFIX = "/api/"


class ApiMiddleware:
    """For a Django handler: load the API's middleware list instead of the pages' (Django reads it once, here)."""

    def load_middleware(self, is_async=False):
        pages = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = pages


class ApiHandler(ApiMiddleware, WSGIHandler):
    pass


class Application:
    """One WSGI entry point; a request goes to the API's handler or the pages' by its path."""

    def __init__(self):
        self.pages = get_wsgi_application()  # sets Django up
        self.api = ApiHandler()

    def __call__(self, environ, start_response):
        handler = self.api if environ.get("PATH_INFO", "").startswith(API_PREFIX) else self.pages
        return handler(environ, start_response)


application = Application()
