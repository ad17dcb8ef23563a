"""Shared by the tests and the benchmarks: a config.toml for crawling a demo marketplace on loopback, and the
process tree a crawl leaves under /proc (a browser crawl's driver and Chromium processes).

The demo is ours and local, so politeness delays and AutoThrottle only slow the crawl down: they are off, and the
store lives in the given directory. Crawl settings are replaced by key, and a key the shipped config.toml does
not have is an error rather than a setting silently ignored.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_PORTS = {"shangcheng": 8701, "laodian": 8702, "kuaigou": 8703}  # where the shipped config.toml points
FAST = {"download_delay_s": 0.0, "retry_backoff_s": 0.2, "concurrency_per_domain": 4}


def demo_config(directory: Path, sites: dict[str, str] | None = None, **crawl: object) -> Path:
    """The shipped config.toml with its [crawl] settings replaced (FAST first, then `crawl`), AutoThrottle off,
    its store under `directory` and, given a running marketplace's `sites`, its platforms at their real ports."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for key, value in {**FAST, **crawl}.items():
        text, found = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
        if not found:
            raise KeyError(f"config.toml has no {key}")
    text = re.sub(r"(?m)^enabled = true(\s+# slow down)", r"enabled = false\1", text, count=1)
    for site, port in DEMO_PORTS.items():
        if sites:
            text = text.replace(f"http://127.0.0.1:{port}", sites[site])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def process_table() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, command line) of every process."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat, open(f"/proc/{entry.name}/cmdline", "rb") as cmd:
                table[int(entry.name)] = (int(stat.read().rsplit(b")", 1)[1].split()[1]), cmd.read())
        except (OSError, IndexError, ValueError):
            continue  # it ended while being read
    return table


def descendants(table: dict[int, tuple[int, bytes]], root: int | None) -> list[int]:
    """`root` and every process below it."""
    tree, frontier = ([root], [root]) if root is not None else ([], [])
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _) in table.items() if ppid == parent]
        tree += children
        frontier += children
    return tree
