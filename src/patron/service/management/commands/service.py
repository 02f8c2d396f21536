import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from patron.core.cli import patron_errors
from patron.core.errors import InvalidInput
from patron.service import inbound, services


class Command(BaseCommand):
    help = "The service desk: take inbound email as tickets; escalate tickets near their SLA and record breaches."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        mail = sub.add_parser("inbound", help="one email per file (RFC 5322, e.g. .eml), or one on standard input")
        mail.add_argument("files", nargs="*")
        sweep = sub.add_parser("sweep", help="escalate and record breaches (the worker runs this every interval)")
        sweep.add_argument("--json", action="store_true", dest="as_json")

    @patron_errors
    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_inbound(self, files, **_):
        sources = [(name, Path(name)) for name in files] or [("stdin", None)]
        for name, path in sources:
            if path is not None and not path.is_file():
                raise InvalidInput(f"{name}: no such file")
            raw = path.read_bytes() if path is not None else sys.stdin.buffer.read()
            ticket, created = inbound.receive(raw)
            self.stdout.write(f"{name}: {'opened' if created else 'added to'} ticket #{ticket.pk} ({ticket.priority})")

    def do_sweep(self, as_json, **_):
        result = services.sweep()
        self.stdout.write(json.dumps(result) if as_json else f"escalated {result['escalated']}, breached {result['breached']}")
