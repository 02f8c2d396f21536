"""Run one import: stream the file, check each batch, stage it, merge in one transaction, write the rejects."""

import csv
import os
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patron.core.errors import ImportFileError
from patron.imports.checks import Checked
from patron.imports.source import Source, open_source, shown
from patron.imports.stage import Stage


class ImportKind(Protocol):
    """What one kind of file means; each context defines its own (customers.importing, commerce.importing).

    A kind may also define `merged(stage)`: called when the merge changed rows, after the indexes a
    large file dropped are built again, in the import's transaction (orders tell loyalty there)."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    stage_columns: list[tuple[str, str]]
    key: list[str]
    key_label: str
    models: list  # the tables the merge fills, whose indexes a large file rebuilds once
    exists: str  # SQL that holds when staged row s is already stored

    def check(self, checked: Checked, now) -> dict[str, pa.Array]: ...

    def reject_unknown(self, stage: Stage) -> None: ...

    def merge(self, stage: Stage, now) -> tuple[int, int]:
        """Write the staged rows; returns (updated, imported)."""


@dataclass
class ImportResult:
    kind: str
    file: str
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    seconds: float = 0.0
    rejects_file: str | None = None
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


Progress = Callable[[str, int, int], None]


def rejects_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.csv")


def run_import(kind: ImportKind, path, *, progress: Progress | None = None) -> ImportResult:
    started = time.perf_counter()
    source = open_source(path)
    missing = [c for c in kind.required if c not in source.columns]
    if missing:
        raise ImportFileError(
            f"{source.path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the {kind.name} file needs {', '.join(kind.required)}; found {', '.join(map(shown, source.columns)) or 'none'})"
        )
    known = set(kind.required) | set(kind.optional)
    used = [c for c in source.columns if c in known]
    result = ImportResult(kind.name, str(source.path), ignored_columns=[c for c in source.columns if c not in known])
    now = timezone.now()
    stage = Stage(kind.stage_columns)
    try:
        with transaction.atomic():
            stage.create()
            with closing(source.batches(used, settings.PATRON_IMPORT_BATCH_ROWS)) as batches:  # closed on any failure too
                for batch in batches:
                    checked = Checked(batch)
                    values = kind.check(checked, now)
                    good = pa.array(checked.ok)
                    stage.insert({n: v.filter(good) for n, v in values.items()}, batch.lines[checked.ok])
                    bad = ~checked.ok
                    stage.add_rejects(list(zip(batch.lines[bad].tolist(), checked.reasons[bad].tolist(), [None] * int(bad.sum()))))
                    result.rows += len(batch)
                    _drain_malformed(source, stage, result)
                    if progress:
                        progress("reading", source.progress, source.size)
            _drain_malformed(source, stage, result)
            if progress:
                progress("merging", source.size, source.size)
            stage.index(kind.key)
            stage.reject_duplicates(kind.key, kind.key_label)
            kind.reject_unknown(stage)
            with stage.bulk_load(kind.models, kind.exists):
                result.updated, result.imported = kind.merge(stage, now)
            if (result.updated or result.imported) and hasattr(kind, "merged"):
                kind.merged(stage)
            result.unchanged = stage.staged - result.updated - result.imported
            result.rejected = stage.count_rejects()
            # The rejects are written before the merge commits, beside the file under a temporary name, and
            # renamed once it has: a disk that fills up or refuses leaves nothing half-written, neither rows
            # in the store without their rejects list nor a list for rows that were never stored.
            target = rejects_path(source.path)
            written = target.with_name(f".{target.name}.{os.getpid()}.part")
            if result.rejected:
                try:
                    _write_rejects(source, used, stage, written, progress)
                except OSError as exc:
                    written.unlink(missing_ok=True)
                    raise ImportFileError(f"cannot write the rejects file {target}: {exc.strerror or exc}; "
                                          "nothing was imported") from None
        if result.rejected:
            os.replace(written, target)
            result.rejects_file = str(target)
        elif target.exists():
            target.unlink()  # a stale list from an earlier run would mislead
    finally:
        stage.drop()
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _drain_malformed(source: Source, stage: Stage, result: ImportResult) -> None:
    rows = []
    while source.malformed:
        row = source.malformed.popleft()
        rows.append((row.line, row.reason, row.text.replace("\x00", "\\x00")))
    stage.add_rejects(rows)
    result.rows += len(rows)


def _write_rejects(source: Source, used: list[str], stage: Stage, target: Path, progress: Progress | None) -> None:
    """Read the file once more and copy out each rejected row beside its line and reason."""
    with open(target, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([source.position_name, "reason", *source.columns])
        last = 0
        with closing(source.batches(source.columns, settings.PATRON_IMPORT_BATCH_ROWS)) as batches:  # closed on a full disk too
            for batch in batches:
                high = int(batch.lines[-1]) if len(batch) else last
                _write_reject_rows(writer, stage.rejects_between(last, high), batch, source.columns)
                last = high
                if progress:
                    progress("writing rejects", source.progress, source.size)
        _write_reject_rows(writer, stage.rejects_between(last, None), None, source.columns)


def _write_reject_rows(writer, rejects, batch, columns) -> None:
    if not rejects:
        return
    positions = np.searchsorted(batch.lines, [line for line, _, raw in rejects]) if batch is not None else None
    for i, (line, reason, raw) in enumerate(rejects):
        if raw is not None:
            writer.writerow([line, reason, *next(csv.reader([raw]), [])])
        else:
            position = int(positions[i])
            writer.writerow([line, reason, *(batch.columns[c][position].as_py() or "" for c in columns)])
