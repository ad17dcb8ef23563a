"""Runs the demo marketplace: three shops and the control site, each on its own loopback port."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

from demo_market import control
from demo_market.clock import ScenarioClock
from demo_market.faults import FaultBook, FaultRule
from demo_market.model import PLATFORMS
from demo_market.shops import SHOPS
from demo_market.shops.common import ShopContext
from demo_market.world import build_world

SITE_ORDER = ("control", *PLATFORMS)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 lets the kernel pick a free one (read back with getsockname)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


class Marketplace:
    """The demo marketplace, runnable inside any asyncio loop.

    `port=0` puts every site on a free port; `port=N` puts the control site on N and the shops on N+1, N+2, N+3
    (shangcheng, laodian, kuaigou), the ports the shipped config.toml expects.
    """

    def __init__(self, *, seed: int = 2026, scale: float = 1.0, step: int = 0, host: str = "127.0.0.1",
                 port: int = 0, faults: list[dict[str, Any]] | None = None,
                 ground_truth_file: str | Path | None = None) -> None:
        self.world = build_world(seed=seed, scale=scale)
        self.clock = ScenarioClock(step)
        self.faults = FaultBook(seed=seed)
        for rule in faults or []:
            self.faults.add(FaultRule.from_dict(rule))
        self.host = host
        self.port = port
        self.ground_truth_file = Path(ground_truth_file) if ground_truth_file else None
        self.urls: dict[str, str] = {}
        self._runners: list[web.AppRunner] = []

    def ground_truth(self) -> dict[str, Any]:
        truth = self.world.ground_truth(self.clock.step)
        for product in truth["products"]:
            shop = SHOPS[product["platform"]]
            product["url"] = self.urls[product["platform"]] + shop.product_path(product["item_id"])
        truth["sites"] = dict(self.urls)
        return truth

    def write_ground_truth(self, _step: int | None = None) -> None:
        if self.ground_truth_file is None:
            return
        self.ground_truth_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.ground_truth_file.with_suffix(".tmp")
        partial.write_text(json.dumps(self.ground_truth(), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(partial, self.ground_truth_file)  # readers never see a half-written file

    async def start(self) -> dict[str, str]:
        sockets = self._bind_all()
        self.urls = {name: f"http://{self.host}:{sock.getsockname()[1]}" for name, sock in sockets.items()}
        apps = {"control": control.build(self.clock, self.faults, self.ground_truth, self.urls)}
        for platform in PLATFORMS:
            context = ShopContext(platform=platform, world=self.world, clock=self.clock, faults=self.faults)
            apps[platform] = SHOPS[platform].build(context)
        for name in SITE_ORDER:
            runner = web.AppRunner(apps[name], access_log=None, handle_signals=False)
            await runner.setup()
            await web.SockSite(runner, sockets[name]).start()
            self._runners.append(runner)
        self.write_ground_truth()
        self.clock.on_change(self.write_ground_truth)
        return dict(self.urls)

    def _bind_all(self) -> dict[str, socket.socket]:
        sockets: dict[str, socket.socket] = {}
        try:
            for offset, name in enumerate(SITE_ORDER):
                sockets[name] = bind(self.host, self.port + offset if self.port else 0)
        except OSError:
            for sock in sockets.values():
                sock.close()
            raise
        return sockets

    async def stop(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()


async def serve_until_stopped(market: Marketplace, on_ready: Callable[[dict[str, str]], None]) -> None:
    """Start `market`, report its URLs, and serve until SIGINT or SIGTERM; then close every site cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        on_ready(await market.start())
        await stop.wait()
    finally:
        await market.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
