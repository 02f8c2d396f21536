from django.core.management.base import BaseCommand
from waitress import serve

from patron.wsgi import application


class Command(BaseCommand):
    help = "Serve Patron over HTTP with a production WSGI server (waitress); static files included."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host: str, port: int, threads: int, **options):
        self.stdout.write(f"Patron is at http://{host}:{port}/  (Ctrl-C stops it)")
        self.stdout.flush()
        serve(application, host=host, port=port, threads=threads, _quiet=True)
