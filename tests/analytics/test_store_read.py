"""Reading a SQLite store leaves the application's own connections whole, small store or large."""

import sqlite3

import pytest

from patron.analytics import frames
from patron.analytics.frames import StoreQuery


@pytest.mark.parametrize("child_read_bytes", [0, 10**12], ids=["child process", "in process"])
def test_reading_a_wal_store_keeps_the_apps_connections_working(tmp_path, monkeypatch, child_read_bytes):
    monkeypatch.setattr(frames, "SQLITE_CHILD_READ_BYTES", child_read_bytes)
    path = tmp_path / "store.sqlite3"
    app = sqlite3.connect(path)
    app.execute("PRAGMA journal_mode=WAL")
    app.execute("CREATE TABLE t (customer_id INTEGER, placed_at TEXT, value REAL)")
    app.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, f"2025-06-0{1 + i % 9} 10:00:00", i / 2) for i in range(1000)])
    app.commit()
    table = StoreQuery(f"sqlite:///{path}", "SELECT customer_id, placed_at, value FROM t ORDER BY customer_id").to_arrow()
    assert table.num_rows == 1000 and table.column("value").to_pylist()[3] == 1.5
    assert (tmp_path / "store.sqlite3-shm").exists() and (tmp_path / "store.sqlite3-wal").exists()
    another = sqlite3.connect(path)  # a new connection of the app, as the server's next request opens
    another.execute("PRAGMA journal_mode=WAL")
    app.execute("INSERT INTO t VALUES (1000, '2025-07-01 10:00:00', 1.0)")
    app.commit()
    assert another.execute("SELECT COUNT(*) FROM t").fetchone() == (1001,)


def test_an_empty_result_keeps_its_columns(tmp_path):
    path = tmp_path / "store.sqlite3"
    app = sqlite3.connect(path)
    app.execute("CREATE TABLE t (customer_id INTEGER, value REAL)")
    app.commit()
    table = StoreQuery(f"sqlite:///{path}", "SELECT customer_id, value FROM t").to_arrow()
    assert table.column_names == ["customer_id", "value"] and table.num_rows == 0
