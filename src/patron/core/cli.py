"""Helpers the management commands share: errors to exit codes, progress on a terminal."""

import contextlib
import functools
import os
import shutil
from pathlib import Path

from django.core.management import CommandError
from django.db import OperationalError, connection
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from patron.core.errors import PatronError


def patron_errors(handle):
    """A PatronError ends the command with one line naming the problem and exit code 2; so do the faults of
    the surroundings (a full or read-only disk, a database that went away), whose transaction rolled back."""

    @functools.wraps(handle)
    def wrapper(*args, **kwargs):
        try:
            return handle(*args, **kwargs)
        except PatronError as exc:
            raise CommandError(exc.message, returncode=2) from None
        except OperationalError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(f"the database refused: {first}{_room()}; nothing of this run was kept", returncode=2) from None
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise CommandError(f"{exc.strerror or exc}{where}; nothing of this run was kept", returncode=2) from None

    return wrapper


def _room() -> str:
    """For a SQLite store, the free space where it lives: what a full disk's "disk I/O error" means."""
    if connection.vendor != "sqlite":
        return ""
    where = Path(connection.settings_dict["NAME"]).parent
    try:
        read_only = hasattr(os, "statvfs") and os.statvfs(where).f_flag & getattr(os, "ST_RDONLY", 0)
        if read_only or not os.access(where, os.W_OK):
            return f" ({where} is read-only)"
        free = shutil.disk_usage(where).free
    except OSError:
        return ""
    return f" ({where} has {free:,} bytes free)"


@contextlib.contextmanager
def progress_bar(description: str, *, in_bytes: bool):
    """Yields a callback(phase, done, total); draws a bar only when stderr is a terminal."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    columns = [TextColumn("{task.description}"), BarColumn()]
    columns += [DownloadColumn()] if in_bytes else [TextColumn("{task.completed:,.0f}/{task.total:,.0f} rows")]
    columns += [TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=None)

        def update(phase: str, done: int, total: int) -> None:
            progress.update(task, description=f"{description}: {phase}", completed=done, total=total)

        yield update

