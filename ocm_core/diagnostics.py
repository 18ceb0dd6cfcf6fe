"""Operator diagnostics shared by every long-running process: SIGUSR1 dumps asyncio tasks."""

from __future__ import annotations

import asyncio
import io
import logging
import signal

logger = logging.getLogger(__name__)


def dump_tasks() -> str:
    """Every pending task with its stack, as text."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        out.write(f"{task!r}\n")
        task.print_stack(file=out)
    return out.getvalue()


def install_task_dump_signal(loop: asyncio.AbstractEventLoop) -> None:
    """`kill -USR1 <pid>` logs what every task is waiting on (for hangs in the field)."""
    loop.add_signal_handler(signal.SIGUSR1, lambda: logger.warning("tasks:\n%s", dump_tasks()))
