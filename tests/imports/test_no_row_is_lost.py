"""Hypothesis: whatever the rows, each one is imported, updated, unchanged or rejected, exactly once."""

import csv

from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patron.imports import kinds
from patron.imports.runner import run_import

cells = {
    "external_id": st.sampled_from(["a", "b", "c", "d", "", " e ", "x" * 101]),
    "email": st.sampled_from(["", "a@b.lt", "A@B.LT", "bad", "x@y"]),
    "language": st.sampled_from(["", "lt", "LV", "zz", "en-gb"]),
    "birth_date": st.sampled_from(["", "1990-01-01", "1990-13-01", "2990-01-01"]),
    "created_at": st.sampled_from(["", "2024-01-01T00:00:00Z", "2024-01-01 10:00", "soon"]),
    "email_consent": st.sampled_from(["", "true", "no", "perhaps"]),
}
rows = st.lists(st.fixed_dictionaries(cells), max_size=25)
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=rows, second=rows, junk=st.lists(st.lists(text, max_size=4), max_size=3))
def test_every_row_is_accounted_for(tmp_path_factory, db, first, second, junk):
    folder = tmp_path_factory.mktemp("h")
    header = ["external_id", "email", "language", "birth_date", "created_at", "email_consent"]
    totals = []
    for n, batch in enumerate((first, second)):
        path = folder / f"f{n}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows([[r[c] for c in header] for r in batch])
            writer.writerows(junk)  # rows of any shape and text at the end
        result = run_import(kinds()["customers"], path)
        assert result.imported + result.updated + result.unchanged + result.rejected == result.rows
        rejects = folder / f"f{n}.csv.rejects.csv"
        if result.rejected:
            with open(rejects, newline="", encoding="utf-8") as handle:
                assert sum(1 for _ in csv.reader(handle)) == result.rejected + 1
        else:
            assert not rejects.exists()
        totals.append(result)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_consentevent")
        cursor.execute("DELETE FROM customers_customer")
