"""Start the demo marketplace in a child process and talk to its control site.

Tests, benchmarks and `make demo` use this, so the marketplace never shares a process (or a GIL) with the crawler
that measures it, and the crawlers reach it only over HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class LaunchError(RuntimeError):
    """The marketplace process did not come up."""


@dataclass
class RunningMarketplace:
    process: subprocess.Popen
    sites: dict[str, str]
    _stderr: list[str] = field(default_factory=list, repr=False)

    @property
    def control(self) -> str:
        return self.sites["control"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """Call the control API and return its decoded JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.control + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode("utf-8"))

    def ground_truth(self) -> dict[str, Any]:
        return self.call("GET", "/ground-truth")

    def set_step(self, step: int) -> dict[str, Any]:
        return self.call("POST", "/admin/clock", {"step": step})

    def advance(self, steps: int = 1) -> dict[str, Any]:
        return self.call("POST", "/admin/clock", {"advance": steps})

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        return self.call("POST", "/admin/faults", rule)

    def clear_faults(self) -> None:
        self.call("DELETE", "/admin/faults")

    def reset(self) -> None:
        self.call("POST", "/admin/reset", {})

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> RunningMarketplace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def launch(*, seed: int = 2026, scale: float = 1.0, step: int = 0, port: int = 0,
           faults_file: str | Path | None = None, ground_truth_file: str | Path | None = None,
           timeout: float = 60) -> RunningMarketplace:
    """Run `python -m demo_market` and wait until it reports its URLs."""
    command = [sys.executable, "-m", "demo_market", "--ready-json", "--seed", str(seed), "--scale", str(scale),
               "--step", str(step), "--port", str(port)]
    if faults_file:
        command += ["--faults", str(faults_file)]
    if ground_truth_file:
        command += ["--ground-truth", str(ground_truth_file)]
    package_root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    stderr: list[str] = []
    threading.Thread(target=_drain, args=(process.stderr, stderr), daemon=True).start()
    ready: list[str] = []
    reader = threading.Thread(target=lambda: ready.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not ready or not ready[0].strip():
        process.kill()
        process.wait()
        raise LaunchError(f"demo marketplace did not start within {timeout:.0f} s: {''.join(stderr).strip()[-2000:]}")
    return RunningMarketplace(process=process, sites=json.loads(ready[0])["sites"], _stderr=stderr)


def _drain(stream, sink: list[str]) -> None:
    # Keep reading so a chatty child never blocks on a full pipe; keep the tail for error messages.
    for line in stream:
        sink.append(line)
        del sink[:-200]
