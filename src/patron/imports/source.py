"""Reading an import file as a stream of string batches, each row with its line number."""

import csv
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from patron.core.errors import ImportFileError

CSV_BLOCK_BYTES = 4 << 20
# Python's csv module refuses fields over 128 KiB by default; a long comment or a broken quote makes one,
# and it must become a reject or a one-line error, not a traceback.
csv.field_size_limit(2**31 - 1)
NAME_SHOWN = 60  # characters of a column name shown in a message


@dataclass
class MalformedRow:
    line: int
    text: str
    reason: str


@dataclass
class Batch:
    """Raw values of some rows: stripped strings, None for an empty cell."""

    columns: dict[str, pa.Array]
    lines: np.ndarray

    def __len__(self) -> int:
        return len(self.lines)


@dataclass
class Source:
    path: Path
    format: str  # "csv" or "parquet"
    columns: list[str]
    size: int  # bytes for CSV, rows for Parquet: what the progress bar counts
    position_name: str  # "line" for CSV, "row" for Parquet
    malformed: deque = field(default_factory=deque)
    _bytes_read: int = 0
    _rows_read: int = 0

    @property
    def progress(self) -> int:
        return self._bytes_read if self.format == "csv" else self._rows_read

    def batches(self, columns: list[str], batch_rows: int) -> Iterator[Batch]:
        self._bytes_read = self._rows_read = 0
        self.malformed.clear()
        yield from (self._csv_batches(columns) if self.format == "csv" else self._parquet_batches(columns, batch_rows))

    def _csv_batches(self, columns: list[str]) -> Iterator[Batch]:
        skipped: deque[int] = deque()

        def on_invalid(row) -> str:
            skipped.append(row.number)
            self.malformed.append(
                MalformedRow(row.number, row.text, f"the line has {row.actual_columns} fields, the header {row.expected_columns}")
            )
            return "skip"

        with open(self.path, "rb") as raw:
            counting = _CountingReader(raw, self)
            next_line = 2  # line 1 is the header
            try:
                reader = pa_csv.open_csv(
                    counting,
                    read_options=pa_csv.ReadOptions(
                        use_threads=False, block_size=CSV_BLOCK_BYTES, column_names=self.columns, skip_rows=1
                    ),
                    parse_options=pa_csv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=False),
                    convert_options=pa_csv.ConvertOptions(
                        column_types={name: pa.string() for name in self.columns},
                        include_columns=columns,
                        strings_can_be_null=False,
                        quoted_strings_can_be_null=False,
                    ),
                )
                try:
                    for record_batch in reader:
                        lines, next_line = _number_lines(record_batch.num_rows, next_line, skipped)
                        yield _clean(record_batch, columns, lines)
                finally:
                    # Stopped early (a full disk for the rejects list), the reader's read-ahead thread is stopped here:
                    # left to the end of the process, it once aborted it ("terminate called without an active exception").
                    reader.close()
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                bad = _first_line_not_utf8(self.path) if "UTF8" in str(exc) or isinstance(exc, UnicodeDecodeError) else None
                if bad is not None:
                    raise ImportFileError(f"{self.path}: line {bad[0]:,} is not UTF-8 text ({bad[1]}); save the CSV as "
                                          "UTF-8; nothing was imported") from None
                raise ImportFileError(f"cannot read {self.path} after line {next_line - 1}: {_arrow_message(exc)}") from None

    def _parquet_batches(self, columns: list[str], batch_rows: int) -> Iterator[Batch]:
        parquet = pq.ParquetFile(self.path)
        for name in columns:
            kind = parquet.schema_arrow.field(name).type
            if not _readable_as_text(kind):
                raise ImportFileError(f"{self.path}: column {shown(name)} holds {kind}, which is not one value per cell; "
                                      "Patron reads text, numbers, dates and true/false (nothing was imported)")
        for record_batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
            start = self._rows_read + 1
            self._rows_read += record_batch.num_rows
            lines = np.arange(start, start + record_batch.num_rows, dtype=np.int64)
            yield _clean(record_batch, columns, lines)


class _CountingReader:
    """A file wrapper that tells the source how far into the file the reader is."""

    def __init__(self, raw, source: Source):
        self._raw, self._source = raw, source

    def read(self, size=-1):
        data = self._raw.read(size)
        self._source._bytes_read += len(data)
        return data

    def __getattr__(self, name):
        return getattr(self._raw, name)


def _number_lines(rows: int, next_line: int, skipped: deque) -> tuple[np.ndarray, int]:
    """Physical line numbers of `rows` parsed rows, stepping over the malformed lines pyarrow skipped."""
    lines = np.empty(rows, dtype=np.int64)
    i = 0
    while i < rows:
        while skipped and skipped[0] < next_line:
            skipped.popleft()
        run = rows - i if not skipped else min(rows - i, skipped[0] - next_line)
        lines[i : i + run] = np.arange(next_line, next_line + run)
        i += run
        next_line += run
        if skipped and skipped[0] == next_line:
            skipped.popleft()
            next_line += 1
    return lines, next_line


def _clean(record_batch: pa.RecordBatch, columns: list[str], lines: np.ndarray) -> Batch:
    values = {}
    for name in columns:
        column = record_batch.column(name)
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            column = _to_text(column)
        column = pc.utf8_trim_whitespace(column)
        values[name] = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
    # A blank line is no row: drop rows where every cell is empty.
    present = np.zeros(len(lines), dtype=bool)
    for column in values.values():
        present |= column.is_valid().to_numpy(zero_copy_only=False)
    if not present.all():
        mask = pa.array(present)
        values = {name: column.filter(mask) for name, column in values.items()}
        lines = lines[present]
    return Batch(values, lines)


def _to_text(column: pa.Array) -> pa.Array:
    """Parquet columns may be typed; the checks read text, as from a CSV."""
    if pa.types.is_timestamp(column.type):
        if column.type.tz is None:
            return pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
        return pc.strftime(column, format="%Y-%m-%dT%H:%M:%S%z")
    if pa.types.is_boolean(column.type):
        return pc.if_else(column, "true", "false")
    return column.cast(pa.string())


def _readable_as_text(kind: pa.DataType) -> bool:
    nested = pa.types.is_nested(kind) or pa.types.is_dictionary(kind) and pa.types.is_nested(kind.value_type)
    raw = pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind)
    return not nested and not raw


def _first_line_not_utf8(path: Path) -> tuple[int, str] | None:
    """The physical line number of the first bytes that are not UTF-8, and those bytes (read again on an error only)."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, f"bytes {raw[exc.start:exc.start + 4]!r} at character {exc.start + 1}"
    return None


def shown(name: str) -> str:
    """A column name as a message shows it: quoted, and cut when it is long."""
    return repr(name if len(name) <= NAME_SHOWN else name[:NAME_SHOWN] + "…")


def _arrow_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0]
    return text.replace("CSV parse error: ", "")


def open_source(path: str | os.PathLike) -> Source:
    """Open FILE and read its columns; ImportFileError (nothing written) when it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"{path}: no such file")
    if not path.is_file() or not os.access(path, os.R_OK):
        raise ImportFileError(f"{path}: not a readable file")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            meta = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ImportFileError(f"{path}: not a readable Parquet file ({_arrow_message(exc)})") from None
        columns = meta.schema_arrow.names
        return Source(path, "parquet", columns, meta.metadata.num_rows, "row")
    if suffix not in (".csv", ".txt"):
        raise ImportFileError(f"{path}: unknown file type {suffix or '(none)'!r}; use .csv or .parquet")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError:
        raise ImportFileError(f"{path}: the header is not UTF-8 text; save the CSV as UTF-8") from None
    if not header:
        raise ImportFileError(f"{path}: the file is empty (a header row is needed)")
    columns = [name.strip() for name in header]
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise ImportFileError(f"{path}: columns named twice in the header: {', '.join(map(shown, duplicates))}")
    return Source(path, "csv", columns, path.stat().st_size, "line")
