"""Helpers the management commands share: errors to exit codes, progress on a terminal."""

import contextlib
import functools

from django.core.management import CommandError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from patron.core.errors import PatronError


def patron_errors(handle):
    """A PatronError ends the command with one line naming the problem and exit code 2."""

    @functools.wraps(handle)
    def wrapper(*args, **kwargs):
        try:
            return handle(*args, **kwargs)
        except PatronError as exc:
            raise CommandError(exc.message, returncode=2) from None

    return wrapper


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

