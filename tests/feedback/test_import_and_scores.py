"""Survey history imported from a file: checked row by row, upserted, and counted by the KPIs as the formulas say."""

import json

import pytest
from django.core.management import call_command

from patron.customers import services as customers
from patron.feedback.models import Response
from tests.conftest import read_rejects

HEADER = ["customer_external_id", "kind", "score", "comment", "answered_at"]


@pytest.fixture
def people(db):
    for external_id, language in (("a", "lt"), ("b", "lv"), ("c", "en-GB"), ("d", "lt")):
        customers.upsert_customer(external_id, language=language)


# Hand-built: NPS answers 10, 9, 8, 7, 6, 0 in June -> 2 promoters, 2 detractors of 6 -> NPS 0;
# NPS in May 10, 10, 3 -> 2 promoters, 1 detractor of 3 -> NPS 33.33. CSAT 5, 4, 2 in June -> 2 of 3 -> 66.67 %.
ROWS = [
    ["a", "nps", "10", "Greitas pristatymas", "2026-06-01T10:00:00"],
    ["b", "nps", "9", "", "2026-06-02T10:00:00"],
    ["c", "NPS", "8", "Fine", "2026-06-03T10:00:00"],
    ["d", "nps", "7", "", "2026-06-04T10:00:00"],
    ["a", "nps", "6", "Per brangu", "2026-06-05T10:00:00"],
    ["b", "nps", "0", "Kurjers kavējās", "2026-06-06T10:00:00"],
    ["a", "nps", "10", "", "2026-05-01T10:00:00"],
    ["c", "nps", "10", "", "2026-05-02T10:00:00"],
    ["d", "nps", "3", "", "2026-05-03T10:00:00"],
    ["a", "csat", "5", "", "2026-06-07T10:00:00"],
    ["b", "csat", "4", "", "2026-06-08T10:00:00"],
    ["c", "csat", "2", "Slow reply", "2026-06-09T10:00:00"],
]
BAD = [
    ["a", "nps", "11", "", "2026-06-10T10:00:00"],  # off the NPS scale
    ["a", "csat", "0", "", "2026-06-10T11:00:00"],  # off the CSAT scale
    ["a", "ces", "3", "", "2026-06-10T12:00:00"],  # unknown kind
    ["zz", "nps", "9", "", "2026-06-10T13:00:00"],  # unknown customer
    ["a", "nps", "9", "", "yesterday"],  # not a date
    ["a", "nps", "10", "again", "2026-06-01T10:00:00"],  # the same answer twice in the file: the first is kept
]


def test_import_checks_rows_and_upserts(people, write_csv, run):
    path = write_csv("answers.csv", HEADER, ROWS + BAD)
    result = run("survey-responses", path)
    assert (result.rows, result.imported, result.rejected) == (18, 12, 6)
    reasons = [r["reason"] for r in read_rejects(path)]
    assert "score must be a whole number from 0 to 10" in reasons[0] and "from 1 to 5" in reasons[1]
    assert "kind must be nps or csat" in reasons[2] and "unknown or erased customer zz" in reasons[3]
    assert "answered_at" in reasons[4] and "duplicate" in reasons[5]
    stored = Response.objects.get(customer__external_id="b", kind="nps", score=0)
    assert stored.comment == "Kurjers kavējās" and stored.language == "lv" and stored.source == "import"

    again = run("survey-responses", write_csv("again.csv", HEADER, ROWS[:2] + [["b", "nps", "1", "Vēlu", "2026-06-06T10:00:00"]]))
    assert (again.imported, again.updated, again.unchanged) == (0, 1, 2)
    assert Response.objects.count() == 12 and Response.objects.get(customer__external_id="b", kind="nps", score=1).comment == "Vēlu"


@pytest.mark.django_db(transaction=True)  # the KPIs read committed rows through their own connection
def test_nps_and_csat_match_the_formulas(write_csv, run, capsys):
    for external_id, language in (("a", "lt"), ("b", "lv"), ("c", "en-GB"), ("d", "lt")):
        customers.upsert_customer(external_id, language=language)
    run("survey-responses", write_csv("answers.csv", HEADER, ROWS))

    call_command("kpi", "--start", "2026-06-01", "--end", "2026-06-30", "--json")
    june = json.loads(capsys.readouterr().out)
    assert june["nps"] == 0.0 and june["csat"] == 66.67
    call_command("kpi", "--start", "2026-05-01", "--end", "2026-05-31", "--json")
    may = json.loads(capsys.readouterr().out)
    assert may["nps"] == 33.33 and may["csat"] is None

    call_command("feedback", "scores", "--by", "month", "--json")
    by_month = {r["group"]: r for r in json.loads(capsys.readouterr().out)}
    assert by_month["2026-06"]["nps"] == 0.0 and by_month["2026-06"]["nps_answers"] == 6
    assert by_month["2026-05"]["nps"] == 33.33 and by_month["2026-05"]["promoters"] == 2
    assert by_month["2026-06"]["csat"] == 66.67 and by_month["2026-05"]["csat"] is None
    assert by_month["2026-06"]["nps_low"] < 0 < by_month["2026-06"]["nps_high"]

    call_command("feedback", "scores", "--by", "language", "--json")
    by_language = {r["group"]: r for r in json.loads(capsys.readouterr().out)}
    # lt: a (10, 6, 10) and d (7, 3) -> 2 promoters, 2 detractors of 5 -> 0; en-GB counts as en: 8, 10 -> 50.
    assert by_language["lt"]["nps"] == 0.0 and by_language["lt"]["nps_answers"] == 5
    assert by_language["en"]["nps"] == 50.0 and by_language["lv"]["csat"] == 100.0

    call_command("feedback", "scores", "--start", "2026-06-01", "--end", "2026-06-30", "--json")
    [overall] = json.loads(capsys.readouterr().out)
    assert overall["nps"] == 0.0 and overall["nps_answers"] == 6 and overall["csat_answers"] == 3
