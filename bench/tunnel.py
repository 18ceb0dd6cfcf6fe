"""`make bench`: the tunnel benchmark of issue 3 (direct vs `ssh -N -R` vs our tunnel).

    python bench/tunnel.py [--quick] [--rows 1,3] [--paths direct,ssh] [--no-install]

Prints a table (with ratios to direct and to OpenSSH, and each issue target's PASS/MISS)
and writes JSON to bench/results/tunnel-<timestamp>.json. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Sequence

import uvloop
from tunnelbench import cli, runner


async def _run_cancellable(argv: Sequence[str] | None) -> int:
    config = cli.parse_args(argv)
    task = asyncio.current_task()
    assert task is not None
    # SIGTERM tears down like Ctrl-C: cancel the run so every child is stopped in order.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await runner.run(config)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as loop_runner:
            return loop_runner.run(_run_cancellable(argv))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted: every process the benchmark started has been stopped", flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
