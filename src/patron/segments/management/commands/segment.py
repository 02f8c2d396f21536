import json
import time

from django.core.management.base import BaseCommand

from patron.core.cli import patron_errors
from patron.core.errors import InvalidSegment
from patron.segments import services


class Command(BaseCommand):
    help = "Count a segment's customers now: a saved segment by name, or rules given as JSON."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        count = sub.add_parser("count", help="how many customers the rules select (evaluated in the database)")
        count.add_argument("name", nargs="?", help="a saved segment")
        count.add_argument("--rules", help='rules as JSON, e.g. \'{"field": "language", "op": "in", "value": ["lv"]}\'')
        count.add_argument("--json", action="store_true", dest="as_json")

    @patron_errors
    def handle(self, *args, action, name, rules, as_json, **options):
        if bool(name) == bool(rules):
            raise InvalidSegment("give a segment name or --rules, not both or neither", path="")
        if rules:
            try:
                rules = json.loads(rules)
            except json.JSONDecodeError as exc:
                raise InvalidSegment(f"--rules is not JSON: {exc}", path="rules") from None
        else:
            rules = services.get_segment(name).rules
        started = time.perf_counter()
        n = services.count(rules)
        seconds = time.perf_counter() - started
        if as_json:
            self.stdout.write(json.dumps({"customers": n, "seconds": round(seconds, 3)}))
        else:
            self.stdout.write(f"{n:,} customers ({seconds:.2f} s)")
