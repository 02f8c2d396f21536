import datetime as dt

from patron.customers.models import ConsentEvent, Customer
from tests.conftest import CUSTOMER_HEADER, read_rejects

GOOD = ["c1", "Jonas@Example.LT", "+37061234567", "Jonas", "Jonaitis", "LT", "lt", "Europe/Vilnius",
        "1980-05-01", "2024-01-01T10:00:00Z", "true", "false"]


def row(**changes):
    values = dict(zip(CUSTOMER_HEADER, GOOD))
    values.update(changes)
    return [values[c] for c in CUSTOMER_HEADER]


def test_good_rows_are_imported_normalised(write_csv, run):
    path = write_csv("c.csv", CUSTOMER_HEADER, [row(), row(external_id="c2", email="", language="en-gb", country="GB",
                                                          timezone="Europe/London", created_at="2024-02-01 08:00:00+02:00")])
    result = run("customers", path)
    assert (result.rows, result.imported, result.updated, result.rejected) == (2, 2, 0, 0)
    jonas = Customer.objects.get(external_id="c1")
    assert (jonas.email, jonas.language, jonas.country, jonas.birth_date) == ("jonas@example.lt", "lt", "LT", dt.date(1980, 5, 1))
    assert jonas.created_at == dt.datetime(2024, 1, 1, 10, tzinfo=dt.UTC)
    assert (jonas.email_consent, jonas.sms_consent) == (True, False)
    other = Customer.objects.get(external_id="c2")
    assert other.language == "en-GB"
    assert other.created_at == dt.datetime(2024, 2, 1, 6, tzinfo=dt.UTC)
    assert not (tmp := path.with_name("c.csv.rejects.csv")).exists(), tmp


def test_every_kind_of_bad_row_is_rejected_with_its_line_and_reason(write_csv, run):
    rows = [
        row(),                                             # line 2: good
        row(external_id="b1", email="not-an-email"),       # 3
        row(external_id="b2", phone="call me"),            # 4
        row(external_id="b3", language="xx"),              # 5
        row(external_id="b4", country="XY"),               # 6
        row(external_id="b5", timezone="Mars/Olympus"),    # 7
        row(external_id="b6", birth_date="1990-02-30"),    # 8
        row(external_id="b7", birth_date="2999-01-01"),    # 9
        row(external_id="b8", created_at="yesterday"),     # 10
        row(external_id="b9", email_consent="maybe"),      # 11
        row(external_id=""),                               # 12
        row(email="dup@example.com"),                      # 13: c1 again
        row(external_id="x" * 101),                        # 14
        ["short", "row"],                                  # 15
        row(external_id="ok2", email=""),                  # 16: good
    ]
    path = write_csv("c.csv", CUSTOMER_HEADER, rows)
    result = run("customers", path)
    assert (result.rows, result.imported, result.rejected) == (15, 2, 13)
    rejects = {int(r["line"]): r["reason"] for r in read_rejects(path)}
    assert sorted(rejects) == list(range(3, 16))
    expect = {
        3: "bad email", 4: "bad phone number", 5: "unknown language", 6: "unknown country", 7: "unknown time zone",
        8: "birth_date is not an ISO date", 9: "birth_date is in the future", 10: "created_at is not an ISO date-time",
        11: "email_consent must be true or false", 12: "external_id is empty",
        13: "duplicate external_id within the file; the first is on line 2", 14: "longer than 100 characters",
        15: "the line has 2 fields, the header 12",
    }
    for line, words in expect.items():
        assert words in rejects[line], (line, rejects[line])
    # The rejected row itself is copied out, so it can be fixed and imported again.
    first = read_rejects(path)[0]
    assert first["external_id"] == "b1" and first["email"] == "not-an-email"
    # The good row with the duplicate id kept its first version.
    assert Customer.objects.get(external_id="c1").email == "jonas@example.lt"


def test_running_the_same_file_again_changes_nothing(write_csv, run):
    path = write_csv("c.csv", CUSTOMER_HEADER, [row(), row(external_id="c2", created_at="2024-03-04T05:06:07.123456Z")])
    run("customers", path)
    before = list(Customer.objects.order_by("id").values())
    events = ConsentEvent.objects.count()
    again = run("customers", path)
    assert (again.imported, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 0)
    assert list(Customer.objects.order_by("id").values()) == before
    assert ConsentEvent.objects.count() == events


def test_changes_update_and_blank_cells_keep_what_is_stored(write_csv, run):
    run("customers", write_csv("a.csv", CUSTOMER_HEADER, [row()]))
    changed = row(first_name="Jonukas", email="", phone="", email_consent="false", sms_consent="")
    result = run("customers", write_csv("b.csv", CUSTOMER_HEADER, [changed]))
    assert (result.updated, result.imported, result.unchanged) == (1, 0, 0)
    jonas = Customer.objects.get(external_id="c1")
    assert jonas.first_name == "Jonukas"
    assert jonas.email == "jonas@example.lt" and jonas.phone == "+37061234567"
    assert (jonas.email_consent, jonas.sms_consent) == (False, False)
    history = list(jonas.consent_events.filter(channel="email").order_by("id").values_list("granted", "source"))
    assert history == [(True, "import"), (False, "import")]


def test_a_file_with_only_the_required_column_works(write_csv, run):
    result = run("customers", write_csv("ids.csv", ["external_id"], [["a"], ["b"], [""], [" c "]]))
    # A row whose every cell is empty is a blank line, not a row.
    assert (result.rows, result.imported, result.rejected) == (3, 3, 0)
    assert Customer.objects.filter(external_id="c").exists()


def test_blank_lines_are_not_rows(tmp_path, run):
    path = tmp_path / "c.csv"
    path.write_text("external_id,email\n\na1,a@b.lt\n\n\na2,\n", encoding="utf-8")
    result = run("customers", path)
    assert (result.rows, result.imported, result.rejected) == (2, 2, 0)


def test_nul_characters_are_rejected_not_fatal(tmp_path, run):
    path = tmp_path / "c.csv"
    path.write_bytes(b"external_id,email\nn1,a\x00b@c.lt\nn2,ok@c.lt\nn3\x00,x,y\n")
    result = run("customers", path)
    assert (result.imported, result.rejected) == (1, 2)
    assert "email contains a NUL character" in read_rejects(path)[0]["reason"]


def test_a_large_file_keeps_consent_history_indexes_and_foreign_keys(write_csv, run, monkeypatch):
    from django.db import connection

    import patron.imports.stage as stage

    def schema():
        with connection.cursor() as cursor:
            return {t: connection.introspection.get_constraints(cursor, t) for t in ("customers_customer", "customers_consentevent")}

    run("customers", write_csv("a.csv", CUSTOMER_HEADER, [row(), row(external_id="c2", email_consent="")]))
    before = schema()
    monkeypatch.setattr(stage, "BULK_ROWS", 10)
    rows = [row(email_consent="false")] + [row(external_id=f"n{i}", sms_consent="", email_consent=["true", "false", ""][i % 3]) for i in range(60)]
    result = run("customers", write_csv("b.csv", CUSTOMER_HEADER, rows))
    assert (result.imported, result.updated) == (60, 1)
    assert schema() == before
    history = list(ConsentEvent.objects.filter(customer__external_id="c1", channel="email").order_by("id").values_list("granted", flat=True))
    assert history == [True, False]
    assert ConsentEvent.objects.filter(customer__external_id__startswith="n").count() == 40
    assert Customer.objects.filter(external_id__startswith="n", email_consent=True).count() == 20
    assert not ConsentEvent.objects.filter(customer__external_id="c2").filter(channel="email").exists()
