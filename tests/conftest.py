import csv
from pathlib import Path

import pytest

from patron.imports import kinds
from patron.imports.runner import run_import


@pytest.fixture
def write_csv(tmp_path):
    """write_csv(name, header, rows) -> Path of a UTF-8 CSV file."""

    def write(name: str, header: list[str], rows: list[list]) -> Path:
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def run(db):
    """run(kind, path) -> ImportResult through the real engine."""

    def go(kind: str, path):
        return run_import(kinds()[kind], path)

    return go


def read_rejects(path: Path) -> list[dict]:
    with open(str(path) + ".rejects.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


CUSTOMER_HEADER = ["external_id", "email", "phone", "first_name", "last_name", "language", "country",
                   "timezone", "birth_date", "created_at", "email_consent", "sms_consent"]
