from pathlib import Path

import pandas as pd
import pytest

CDNOW = Path(__file__).parent.parent / "data" / "cdnow"


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    """The CDNOW sample's purchases: id (the sample id), date (int YYYYMMDD), cds, spent."""
    return pd.read_csv(CDNOW / "CDNOW_sample.txt", sep=r"\s+", header=None, names=["id_total", "id", "date", "cds", "spent"])


@pytest.fixture(scope="session")
def cdnow_paper() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv").set_index("ID")


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole run (it takes seconds to start)."""
    pytest.importorskip("pyspark", reason="the Spark engine is an extra: pip install 'patron[spark]'")
    from patron.analytics.engine import spark_session

    session = spark_session()
    yield session
    session.stop()
