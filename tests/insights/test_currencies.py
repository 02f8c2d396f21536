"""Money counted right: each order converted to the reporting currency at its day's rate (the ECB's, shipped with
Patron, and the shop's own for GEL); an amount without a rate is left out of the money, visibly, and never summed."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from patron.commerce import rates
from patron.commerce.models import ExchangeRate
from patron.commerce.services import record_order
from patron.customers.services import upsert_customer
from patron.insights import money

pytestmark = pytest.mark.django_db(transaction=True)  # the store is read through a connection of its own

# The ECB's published reference rates (units per euro), as in its eurofxref-hist file: GBP on 10 and 14 March 2025.
GBP_10_MARCH, GBP_14_MARCH = 0.83849, 0.84183
GEL_PER_EURO = "2.9871"  # a rate the shop loads: the ECB publishes none for the lari


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T12:00:00+00:00")


@pytest.fixture
def shop():
    ona, _ = upsert_customer("eur-1", language="lt")
    tom, _ = upsert_customer("gbp-1", language="en-GB")
    nino, _ = upsert_customer("gel-1", language="ka")
    record_order(ona, "o-1", total=Decimal("40.00"), currency="EUR", placed_at=_at("2025-03-10"))
    record_order(ona, "o-2", total=Decimal("48.36"), currency="EUR", placed_at=_at("2025-03-12"))
    record_order(tom, "o-3", total=Decimal("50.00"), currency="GBP", placed_at=_at("2025-03-10"))
    record_order(tom, "o-4", total=Decimal("20.00"), currency="GBP", placed_at=_at("2025-03-15"))  # a Saturday: Friday's rate
    record_order(nino, "o-5", total=Decimal("5306.00"), currency="GEL", placed_at=_at("2025-03-11"))
    return ona, tom, nino


def _kpis(capsys, start="2025-03-01", end="2025-03-31") -> dict:
    call_command("kpi", "--start", start, "--end", end, "--json")
    return json.loads(capsys.readouterr().out)


def test_kpis_in_euros_equal_a_hand_computation_and_gel_without_rates_is_left_out_visibly(shop, capsys):
    report = _kpis(capsys)
    euros = [40.00, 48.36, 50.00 / GBP_10_MARCH, 20.00 / GBP_14_MARCH]
    assert report["currency"] == "EUR" and report["orders"] == 5 and report["orders_without_value"] == 1
    assert report["revenue"] == round(sum(euros), 2)
    assert report["average_order_value"] == round(sum(euros) / 4, 2)
    assert report["left_out"] == [{"currency": "GEL", "orders": 1, "amount": 5306.0}]
    assert report["purchasing_customers"] == 3  # the Georgian customer still counts as a buyer

    call_command("kpi", "--start", "2025-03-01", "--end", "2025-03-31")
    shown = capsys.readouterr().out
    assert "Left out of the money figures: 1 orders in GEL (5,306.00 GEL)" in shown and "patron rates import" in shown


def test_loaded_gel_rates_bring_the_lari_in(shop, capsys, tmp_path):
    path = tmp_path / "gel.csv"
    path.write_text(f"date,currency,rate\n2025-03-11,GEL,{GEL_PER_EURO}\n2025-03-11,ABC,1\n2025-13-01,GEL,3\n"
                    "2025-03-12,GEL,-2\n2025-03-12,EUR,1\n")
    call_command("rates", "import", str(path))
    out, err = capsys.readouterr()
    assert "GEL: rates from 2025-03-11 to 2025-03-11" in out and "1 rates loaded, 4 rows refused" in out
    assert "line 3: 'ABC' is not an ISO 4217 currency code" in err and "line 4: '2025-13-01' is not a date" in err
    assert "line 5" in err and "line 6: a euro is worth one euro" in err
    report = _kpis(capsys)
    euros = [40.00, 48.36, 50.00 / GBP_10_MARCH, 20.00 / GBP_14_MARCH, 5306.00 / float(GEL_PER_EURO)]
    assert report["left_out"] == [] and report["orders_without_value"] == 0
    assert report["revenue"] == round(sum(euros), 2) and report["average_order_value"] == round(sum(euros) / 5, 2)


def test_a_report_in_pounds_converts_through_the_euro(shop, settings, capsys):
    settings.PATRON_REPORTING_CURRENCY = "GBP"
    report = _kpis(capsys)
    pounds = [40.00 * GBP_10_MARCH, 48.36 * 0.84078, 50.00, 20.00]  # 12 March: 0.84078 (ECB)
    assert report["currency"] == "GBP" and report["revenue"] == round(sum(pounds), 2)


def test_a_rate_serves_only_so_long(db, settings):
    ExchangeRate.objects.create(currency="GEL", day=dt.date(2026, 1, 5), per_euro=Decimal("3.1"))
    settings.PATRON_RATE_MAX_AGE_DAYS = 45
    found = rates.Rates({"GEL", "GBP"})
    assert found.per_euro("GEL", dt.date(2026, 1, 5)) == (3.1, dt.date(2026, 1, 5))
    assert found.per_euro("GEL", dt.date(2026, 2, 19)) == (3.1, dt.date(2026, 1, 5))  # 45 days on
    assert found.per_euro("GEL", dt.date(2026, 2, 20)) is None and found.per_euro("GEL", dt.date(2026, 1, 4)) is None
    last = rates.ecb_last_day()
    assert found.per_euro("GBP", last + dt.timedelta(days=45))[1] == last
    assert found.per_euro("GBP", last + dt.timedelta(days=46)) is None
    # The shop's rate for a day after the shipped file wins over the ECB's older one.
    ExchangeRate.objects.create(currency="GBP", day=last + dt.timedelta(days=30), per_euro=Decimal("0.9"))
    assert rates.Rates({"GBP"}).per_euro("GBP", last + dt.timedelta(days=60)) == (0.9, last + dt.timedelta(days=30))


def test_the_ecbs_own_file_can_be_loaded_and_a_bad_file_is_refused(db, tmp_path, capsys):
    wide = tmp_path / "eurofxref.csv"
    wide.write_text("Date, USD, GBP, GEL,\n2026-12-04, 1.1612, 0.8720, N/A,\n")
    loaded = rates.import_file(wide)
    assert loaded.rates == 2 and set(loaded.currencies) == {"USD", "GBP"}
    bad = tmp_path / "notes.csv"
    bad.write_text("hello,world\n1,2\n")
    with pytest.raises(CommandError, match="date,currency,rate"):
        call_command("rates", "import", str(bad))
    call_command("rates", "list")
    listed = capsys.readouterr().out
    assert "GBP  1999-01-04 to 2026-12-04  (ECB and shop)" in listed and "USD" in listed


def test_the_scores_and_the_overview_count_money_in_the_reporting_currency(shop):
    from patron.dashboard.models import Snapshot
    from patron.ops.scoring import score_everything

    result = score_everything(_at("2025-04-01"))
    assert result.money == {"currency": "EUR", "left_out": [{"currency": "GEL", "orders": 1, "amount": 5306.0}]}
    overview = Snapshot.objects.get(name="overview").data
    assert overview["currency"] == "EUR" and overview["left_out"][0]["currency"] == "GEL"
    converted = money.purchases()
    assert converted.orders.num_rows == 5 and converted.priced().num_rows == 4
