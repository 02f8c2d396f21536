import datetime as dt
import json
import math

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from patron.core.cli import patron_errors
from patron.core.errors import InvalidInput
from patron.core.values import parse_day
from patron.customers.services import get_customer
from patron.feedback import queries, services


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class Command(BaseCommand):
    help = "Feedback: NPS and CSAT by group, themes in what customers write, survey links, ideas shipped."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        table = sub.add_parser("scores", help="NPS and CSAT with 95%% intervals, overall or by month, language, segment")
        table.add_argument("--by", choices=queries.GROUPS)
        table.add_argument("--start", help="first day, YYYY-MM-DD")
        table.add_argument("--end", help="last day, YYYY-MM-DD (included)")
        table.add_argument("--json", action="store_true", dest="as_json")
        found = sub.add_parser("themes", help="themes in the comments per language, their monthly trend, and alerts")
        found.add_argument("--since", help="only comments from this day, YYYY-MM-DD")
        found.add_argument("--k", type=int, help="themes per language (default: chosen per language)")
        found.add_argument("--json", action="store_true", dest="as_json")
        link = sub.add_parser("link", help="print a survey link for one customer")
        link.add_argument("external_id")
        link.add_argument("--kind", choices=["nps", "csat"], default="nps")
        shipped = sub.add_parser("implement", help="mark an idea implemented; everyone who asked for it is told")
        shipped.add_argument("idea_id")

    @patron_errors
    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_scores(self, by, start, end, as_json, **_):
        last = parse_day(end, "end")
        result = queries.score_table(by, parse_day(start, "start"), last + dt.timedelta(days=1) if last else None)
        rows = [{"group": str(key), **{k: _clean(v.item() if hasattr(v, "item") else v) for k, v in row.items()}}
                for key, row in result.iterrows()]
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        out = Table(title=f"NPS and CSAT{' by ' + by if by else ''}")
        for col in (by or "group", "NPS", "95% interval", "answers", "CSAT %", "95% interval ", "answers "):
            out.add_column(col, justify="left" if col == (by or "group") else "right")

        def num(v):
            return "n/a" if v is None else f"{v:.1f}"

        for r in rows:
            out.add_row(r["group"], num(r["nps"]), f"{num(r['nps_low'])} to {num(r['nps_high'])}", f"{r['nps_answers']:,}",
                        num(r["csat"]), f"{num(r['csat_low'])} to {num(r['csat_high'])}", f"{r['csat_answers']:,}")
        Console(file=self.stdout, width=110).print(out)

    def do_themes(self, since, k, as_json, **_):
        if k is not None and k < 1:
            raise InvalidInput("--k must be at least 1")
        report = queries.comment_themes(parse_day(since, "since"), k=k)
        for theme in report["themes"]:
            theme["nps"] = _clean(theme["nps"])
        if as_json:
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False, default=str))
            return
        self.stdout.write(f"{report['comments']:,} comments")
        for t in report["themes"]:
            nps = "" if t["nps"] is None else f", NPS {t['nps']:.0f}"
            self.stdout.write(f"\n[{t['language']}] #{t['theme']} {t['name']}: {t['size']} comments ({t['share']:.0%}{nps})")
            self.stdout.write(f"  terms: {', '.join(t['terms'])}")
            for example in t["examples"]:
                self.stdout.write(f"  - {example[:160]}")
        for s in report["spikes"]:
            self.stdout.write(f"\nALERT theme #{s['theme']} is spiking in {s['period']}: {s['share']:.0%} of comments "
                              f"against {s['baseline_share']:.0%} before (p = {s['p_value']:.1g})")
        drop = report["nps_drop"]
        if drop:
            self.stdout.write(f"\nALERT NPS dropped in {drop['period']}: {drop['nps']:.0f} against {drop['baseline_nps']:.0f} "
                              f"before ({drop['answers']} answers, p = {drop['p_value']:.1g})")

    def do_link(self, external_id, kind, **_):
        self.stdout.write(services.answer_link(get_customer(external_id), kind))

    def do_implement(self, idea_id, **_):
        idea = services.get_idea(idea_id)
        told = services.implement_idea(idea)
        self.stdout.write(f"idea {idea.pk} ({idea.title}) implemented: {told} customer(s) will be told by the 'idea_shipped' journey")
