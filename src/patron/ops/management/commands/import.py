import json

from django.core.management.base import BaseCommand

from patron.core.cli import patron_errors, progress_bar
from patron.imports import kinds
from patron.imports.runner import run_import
from patron.imports.source import shown


class Command(BaseCommand):
    help = (
        "Import customers, orders or order-lines from a CSV or Parquet file. Rows are upserted by "
        "external id; rejected rows go to FILE.rejects.csv with their line and reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(kinds()), help="what the file holds")
        parser.add_argument("file", help="a .csv (UTF-8, header row) or .parquet file")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    @patron_errors
    def handle(self, *args, kind, file, json: bool = False, **options):
        spec = kinds()[kind]
        with progress_bar(f"import {kind}", in_bytes=file.lower().endswith((".csv", ".txt"))) as progress:
            result = run_import(spec, file, progress=progress)
        if json:
            self.stdout.write(_json(result.as_dict()))
            return
        self.stdout.write(
            f"{kind}: {result.rows:,} rows: imported {result.imported:,}, updated {result.updated:,}, "
            f"unchanged {result.unchanged:,}, rejected {result.rejected:,} in {result.seconds:.1f} s"
        )
        if result.rejects_file:
            self.stdout.write(f"rejected rows and reasons: {result.rejects_file}")
        if result.ignored_columns:
            self.stdout.write(f"ignored columns: {', '.join(map(shown, result.ignored_columns))}")


def _json(data) -> str:
    return json.dumps(data, indent=2)
