"""Per-process memos of rows that seldom change and that every order reads (API keys, programs).

Reading the API key and the programs on every order costs two statements; a memo costs none, and
stays exact:
- On PostgreSQL a trigger on each memoised table (migration core 0002) notifies the channel
  `patron_memo` for every statement that writes it: saves, bulk writes, raw SQL and other tools
  alike. PostgreSQL delivers the notice when the writing transaction commits. Each process listens on
  a connection of its own (a daemon thread) and drops all its memos on every notice.
- A save or delete through Django drops the writing process's memos at once as well, so it sees
  its own change before it commits.
- Until a process listens, and whenever its listening connection fails, the memos are off: every
  read goes to the store. SQLite has no notifications, so they are always off there.

A memo holds rows, not instances: each read builds fresh instances, and no request shares one.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from django.db import connection, connections, migrations
from django.db.models.signals import post_delete, post_save

log = logging.getLogger(__name__)

CHANNEL = "patron_memo"
TABLES: set[str] = set()  # the memoised tables, registered by their apps (watch)
MOST = 10_000  # memos kept at most; past that they start over (a flood of different keys cannot fill memory)

_rows: dict = {}
_lock = threading.Lock()
_generation = 0
_listener: _Listener | None = None


def watch(*models) -> None:
    """Memoise rows of these models: a save or delete through Django drops this process's memos at
    once (other processes hear of it on commit, through the table's trigger: `notify_on_write`).
    Called from the owning app's ready()."""
    for model in models:
        TABLES.add(model._meta.db_table)
        post_save.connect(clear, sender=model, weak=False, dispatch_uid=f"memo-{model._meta.label}-save")
        post_delete.connect(clear, sender=model, weak=False, dispatch_uid=f"memo-{model._meta.label}-delete")


def notify_on_write(*model_names: str):
    """A migration operation for the app that owns the models: on PostgreSQL, every statement that writes
    their tables notifies the memo channel when it commits (the function is core 0002's)."""
    def create(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite: memos are off, nothing to notify
        for name in model_names:
            table = schema_editor.quote_name(apps.get_model(name)._meta.db_table)
            schema_editor.execute(f"CREATE OR REPLACE TRIGGER patron_memo_notice AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                                  f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION patron_memo_notice()")

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in model_names:
            table = schema_editor.quote_name(apps.get_model(name)._meta.db_table)
            schema_editor.execute(f"DROP TRIGGER IF EXISTS patron_memo_notice ON {table}")

    return migrations.RunPython(create, drop)


def clear(*args, **kwargs) -> None:
    """Drop every memo (the arguments let it serve as a signal receiver)."""
    global _generation
    with _lock:
        _generation += 1
        _rows.clear()


def rows(key, read: Callable[[], list]) -> list:
    """The memoised rows for `key`, or `read()`'s, kept when some were found and no change arrived
    while reading (a miss is never kept: keys that do not exist cannot fill the memo)."""
    if not _listening():
        return read()
    found = _rows.get(key)
    if found is not None:
        return found
    generation = _generation
    found = read()
    with _lock:
        if found and generation == _generation:  # a notice that came while reading may be about these very rows
            if len(_rows) >= MOST:
                _rows.clear()
            _rows[key] = found
    return found


def _listening() -> bool:
    global _listener
    if connection.vendor != "postgresql":
        return False
    if _listener is None or _listener.pid != os.getpid():  # first use, or a forked child: the thread is not ours
        with _lock:
            if _listener is None or _listener.pid != os.getpid():
                _listener = _Listener()
    return _listener.ready.is_set()


def stop() -> None:
    """Stop listening (memos off) and close the listening connection; the next read starts again."""
    global _listener
    with _lock:
        listener, _listener = _listener, None
    if listener is not None:
        listener.stop()


class _Listener:
    """LISTEN on a connection of its own; drop the memos on every notice. Retries while the store is away."""

    def __init__(self):
        self.pid = os.getpid()
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="patron-memo", daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping.is_set():
            wrapper = connections.create_connection("default")  # never the requests' connection
            link = None
            try:
                link = wrapper.get_new_connection(wrapper.get_connection_params())
                link.autocommit = True
                link.execute(f"LISTEN {CHANNEL}")
                clear()  # anything memoised before now was read without listening
                self.ready.set()
                while not self.stopping.is_set():
                    for _ in link.notifies(timeout=1.0):
                        clear()
            except Exception:
                log.warning("memos are off: cannot listen for changes", exc_info=True)
            finally:
                self.ready.clear()
                clear()
                if link is not None:
                    link.close()
            self.stopping.wait(2.0)

    def stop(self):
        self.stopping.set()
        self.ready.clear()
        self.thread.join(timeout=10)
