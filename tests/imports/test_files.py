"""Whole-file problems: one clear error, exit code 2, nothing written."""

import io
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from patron.customers.models import Customer
from tests.conftest import CUSTOMER_HEADER


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, content, words",
    [
        ("none.csv", None, "no such file"),
        ("empty.csv", b"", "the file is empty"),
        ("cols.csv", b"id,mail\n1,a@b.lt\n", "missing column external_id"),
        ("twice.csv", b"external_id,email,email\n1,a,b\n", "columns named twice in the header: 'email'"),
        ("latin1.csv", "external_id,first_name\n1,J\xfcrgen\n".encode("latin-1"), "not UTF-8"),
        ("data.xlsx", b"PK", "unknown file type '.xlsx'"),
        ("broken.parquet", b"not parquet", "not a readable Parquet file"),
    ],
)
def test_file_errors_name_the_problem_and_write_nothing(tmp_path, name, content, words):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError) as error:
        call_command("import", "customers", str(path))
    assert error.value.returncode == 2
    assert words in str(error.value)
    assert Customer.objects.count() == 0
    assert not (tmp_path / f"{name}.rejects.csv").exists()


def test_cli_exit_code_is_2_with_one_line(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("external_id,total\n1,2\n")
    done = subprocess.run(
        [sys.executable, "-m", "patron.cli", "import", "orders", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "missing columns customer_external_id, placed_at" in lines[0]


@pytest.mark.django_db
def test_bad_bytes_mid_file_abort_and_write_nothing(tmp_path):
    path = tmp_path / "c.csv"
    good = "".join(f"g{i},a{i}@b.lt\n" for i in range(5000))
    path.write_bytes(b"external_id,email\n" + good.encode() + b"bad,\xff\xfe@x.lt\n")
    with pytest.raises(CommandError) as error:
        call_command("import", "customers", str(path))
    # The physical line of the bad bytes: 1 header line, 5,000 good ones, then the bad one.
    assert error.value.returncode == 2 and "line 5,002 is not UTF-8 text" in str(error.value)
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_parquet_gives_the_same_result_as_csv(tmp_path, write_csv):
    rows = [
        ["p1", "a@b.lt", "", "Ona", "", "lt", "LT", "", "1970-01-02", "2024-01-01T00:00:00Z", "true", ""],
        ["p2", "bad", "", "", "", "", "", "", "", "", "", ""],
        ["p1", "c@d.lt", "", "", "", "", "", "", "", "", "", ""],
    ]
    csv_path = write_csv("c.csv", CUSTOMER_HEADER, rows)
    table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(CUSTOMER_HEADER)})
    parquet_path = tmp_path / "c.parquet"
    pq.write_table(table, parquet_path)
    call_command("import", "customers", str(parquet_path))
    parquet_state = list(Customer.objects.values("external_id", "email", "birth_date", "email_consent"))
    assert parquet_state == [{"external_id": "p1", "email": "a@b.lt", "birth_date": parquet_state[0]["birth_date"], "email_consent": True}]
    rejects = (tmp_path / "c.parquet.rejects.csv").read_text().splitlines()
    assert rejects[0].startswith("row,reason") and rejects[1].startswith("2,bad email")
    assert "duplicate external_id within the file; the first is on line 1" in rejects[2]
    Customer.objects.all().delete()
    call_command("import", "customers", str(csv_path))
    assert list(Customer.objects.values("external_id", "email", "birth_date", "email_consent")) == parquet_state


@pytest.mark.django_db
def test_typed_parquet_columns_are_read(tmp_path):
    import datetime as dt

    from patron.commerce.models import Order

    Customer.objects.create(external_id="c1")
    table = pa.table({
        "external_id": ["o1"], "customer_external_id": ["c1"],
        "placed_at": pa.array([dt.datetime(2024, 5, 6, 7, 8, 9)], pa.timestamp("us", "UTC")),
        "total": pa.array([12.5], pa.float64()),
    })
    pq.write_table(table, tmp_path / "o.parquet")
    call_command("import", "orders", str(tmp_path / "o.parquet"))
    order = Order.objects.get()
    assert order.placed_at == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC) and str(order.total).startswith("12.5")


@pytest.mark.django_db
def test_a_malformed_row_with_a_field_over_128_kib_is_a_reject_and_the_rest_is_kept(tmp_path):
    path = tmp_path / "c.csv"
    rows = [f"g{i},g{i}@b.lt" for i in range(10)] + [f"long,long@b.lt,{'x' * (200 * 1024)}"]
    path.write_text("external_id,email\n" + "\n".join(rows + ["g10,g10@b.lt"]) + "\n")
    call_command("import", "customers", str(path), stdout=io.StringIO())
    assert Customer.objects.count() == 11
    rejects = (tmp_path / "c.csv.rejects.csv").read_text().splitlines()
    assert len(rejects) == 2 and rejects[1].startswith("12,") and "x" * 1000 in rejects[1]


@pytest.mark.django_db
def test_a_header_cell_over_128_kib_is_named_short(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(f"id,{'y' * (200 * 1024)}\n1,2\n")
    with pytest.raises(CommandError) as error:
        call_command("import", "customers", str(path))
    assert error.value.returncode == 2 and "missing column external_id" in str(error.value)
    assert len(str(error.value)) < 500 and "…" in str(error.value)


@pytest.mark.django_db
@pytest.mark.parametrize("column, values, kind", [
    ("email", [["a@b.lt"], ["c@d.lt"]], "list"),
    ("email", [{"at": "a@b.lt"}, {"at": "c@d.lt"}], "struct"),
    ("first_name", [b"\x00\x01", b"\x02"], "binary"),
])
def test_parquet_columns_that_are_not_one_value_per_cell_are_named(tmp_path, column, values, kind):
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"external_id": ["a", "b"], column: values}), path)
    with pytest.raises(CommandError) as error:
        call_command("import", "customers", str(path))
    assert error.value.returncode == 2 and f"column '{column}' holds {kind}" in str(error.value)
    assert Customer.objects.count() == 0
