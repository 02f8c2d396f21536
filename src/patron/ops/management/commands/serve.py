import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from waitress import serve

from patron.wsgi import application


class Command(BaseCommand):
    help = ("Serve Patron over HTTP with a production WSGI server, static files included: waitress in one process, "
            "or uWSGI with --processes N (Unix) to use more than one core.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="threads per process (default 8)")
        parser.add_argument("--processes", type=int, default=1,
                            help="server processes (default 1: waitress; more: uWSGI workers, each with --threads threads)")

    def handle(self, *args, host: str, port: int, threads: int, processes: int, **options):
        if threads < 1 or processes < 1:
            raise CommandError("--threads and --processes must be at least 1")
        self.stdout.write(f"Patron is at http://{host}:{port}/  (Ctrl-C stops it)")
        given = "PATRON_BASE_URL" in os.environ
        base = served_at(host, port)
        if not given:
            self.stdout.write(f"links in messages point to {base} (PATRON_BASE_URL sets the address customers reach)")
        self.stdout.flush()
        if processes == 1:
            serve(application, host=host, port=port, threads=threads, _quiet=True)
            return
        try:
            import pyuwsgi  # Unix only: imported when asked for more than one process
        except ImportError:
            raise CommandError("--processes above 1 needs uWSGI (the pyuwsgi package, Unix only); "
                               "install it, or serve with one process") from None
        pyuwsgi.run(uwsgi_arguments(f"{host}:{port}", processes, threads))  # becomes uWSGI's master and does not return


def served_at(host: str, port: int) -> str:
    """The address links in messages (sign-in, unsubscribe, surveys) point to: PATRON_BASE_URL when it is set,
    else the address served here, so that a server on another port never mails a dead link. The environment
    carries it to uWSGI's workers."""
    if "PATRON_BASE_URL" not in os.environ:
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::", "", "localhost") else host
        os.environ["PATRON_BASE_URL"] = settings.PATRON_BASE_URL = f"http://{shown}:{port}"
    return settings.PATRON_BASE_URL


def uwsgi_arguments(bind: str, processes: int, threads: int) -> list[str]:
    """uWSGI's options for `processes` workers of `threads` threads each, speaking HTTP/1.1 (keep-alive) on `bind`."""
    return [
        "--http11-socket", bind,
        "--module", "patron.wsgi:application",
        "--master", "--processes", str(processes), "--threads", str(threads), "--enable-threads",
        "--lazy-apps",  # each worker loads the app itself: no connection or thread is shared across a fork
        "--need-app", "--strict", "--single-interpreter",
        "--die-on-term",  # SIGTERM stops the server (uWSGI's default would reload it)
        "--binary-path", sys.executable,  # SIGHUP reloads by running this same command again, in this environment
        "--thunder-lock",  # the workers take turns to accept
        "--buffer-size", "32768",  # request headers up to 32 KiB (uWSGI's default is 4 KiB)
        "--disable-logging",  # no line per request; errors still go to stderr
        "--ignore-sigpipe", "--ignore-write-errors", "--disable-write-exception",  # a client that hangs up is not an error
    ]
