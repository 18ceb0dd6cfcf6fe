"""``ocm up`` / ``ocm down``: the one-command local lab."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
from pathlib import Path

from ocm_core.lab import Lab, LabLayout

DEFAULT_DIR = Path(".ocm/lab")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = subparsers.add_parser(
        "up",
        help="start (or resume) a local hub with managed clusters; it prints the helm command "
        "that installs the tunnel (the cluster-proxy add-on)",
    )
    up.add_argument("--clusters", type=int, default=2, help="how many managed clusters (c1..cN)")
    up.add_argument("--data-dir", type=Path, default=DEFAULT_DIR, help="lab state and logs")
    up.set_defaults(handler=run_up)
    down = subparsers.add_parser("down", help="stop the local lab and remove its data")
    down.add_argument("--data-dir", type=Path, default=DEFAULT_DIR, help="lab state and logs")
    down.set_defaults(handler=run_down)


async def run_up(args: argparse.Namespace) -> int:
    if not 1 <= args.clusters <= 20:
        raise SystemExit("--clusters must be between 1 and 20")
    layout = LabLayout(args.data_dir.resolve())
    running = _running_pid(layout)
    if running:
        raise SystemExit(
            f"a lab is already running from {layout.root} (pid {running}); "
            "stop it with Ctrl-C there or `ocm down`"
        )
    clusters = layout.load_state().get("clusters") or [f"c{i}" for i in range(1, args.clusters + 1)]
    lab = Lab(layout, clusters, say=lambda text: print(text, flush=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        starting = asyncio.ensure_future(lab.start())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()
            print(lab.summary(), flush=True)
            await stopped
        else:
            starting.cancel()
    finally:
        await lab.stop()
    return 0


async def run_down(args: argparse.Namespace) -> int:
    layout = LabLayout(args.data_dir.resolve())
    pid = _running_pid(layout)
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(300):
            if not _running_pid(layout):
                break
            await asyncio.sleep(0.1)
    if layout.root.exists():
        shutil.rmtree(layout.root)
        print(f"removed {layout.root}")
    else:
        print(f"no lab at {layout.root}")
    return 0


def _running_pid(layout: LabLayout) -> int | None:
    try:
        pid = int(layout.pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid
