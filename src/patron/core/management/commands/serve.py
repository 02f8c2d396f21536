from django.core.management.base import BaseCommand, CommandError
from waitress import serve

from patron.wsgi import application


class Command(BaseCommand):
    help = ("Serve Patron over HTTP with a production WSGI server, static files included: waitress in one process, "
            "or gunicorn with --processes N (Unix) to use more than one core.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="threads per process (default 8)")
        parser.add_argument("--processes", type=int, default=1,
                            help="server processes (default 1: waitress; more: gunicorn workers, each with --threads threads)")

    def handle(self, *args, host: str, port: int, threads: int, processes: int, **options):
        if threads < 1 or processes < 1:
            raise CommandError("--threads and --processes must be at least 1")
        self.stdout.write(f"Patron is at http://{host}:{port}/  (Ctrl-C stops it)")
        self.stdout.flush()
        if processes == 1:
            serve(application, host=host, port=port, threads=threads, _quiet=True)
            return
        gunicorn(f"{host}:{port}", processes, threads).run()


def gunicorn(bind: str, workers: int, threads: int):
    """gunicorn's arbiter with `workers` processes of `threads` threads each (the gthread worker)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for name, value in {"bind": bind, "workers": workers, "threads": threads, "worker_class": "gthread",
                                "keepalive": 5, "accesslog": None, "loglevel": "warning"}.items():
                self.cfg.set(name, value)

        def load(self):
            return application

    return Server()
