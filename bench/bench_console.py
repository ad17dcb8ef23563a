"""The operator console's page latency: p50 / p99 of the alerts and competitors pages over the store of a full
cycle on a 4x demo marketplace, against a bare Starlette handler returning the same bytes.

ShopSentinel's side is `agent.py serve` (uvicorn, its own process) over the store `bench_cycle.one_cycle` leaves
(hot terms, every keyword's whole ranking, every product page with its reviews, analysis, monitors), plus alerts
added through the store's API up to --alerts, so the alerts page shows a full list (the console lists at most 200).
An operator signs in, then each page is requested --requests times, one after the other on one kept-alive
connection, after a warm-up of 20: each request opens the store, checks the session's user, queries and renders.
The baseline is a bare Starlette app under the same uvicorn settings in its own process, answering the same paths
with the bytes the console returned: what the HTTP server and the framework cost alone. Target (issue 19): p99 under
100 ms on this machine.

    .venv/bin/python bench/bench_console.py [--scale 4] [--requests 300] [--alerts 300] [--work DIR]

On 2 cores shared with other work the 4x cycle that fills the store takes most of the run (8.5 minutes). With
--work DIR the cycle's folder is kept there, and a later run with the same DIR and scale measures that store again
without a new cycle.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from common import ROOT, report

from store import AlertRecord, UserRecord, open_store
from web.auth import hash_password

PAGES = ("/alerts", "/competitors")
WARM_UP = 20
NAME, PASSWORD = "bench", "bench-operator-pw"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[None]:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command} did not start") from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(10)


class Client:
    """One kept-alive connection carrying the session cookie."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, fields: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        if cookie := response.getheader("set-cookie"):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, content

    def sign_in(self) -> None:
        _, page = self.request("GET", "/signin")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        status, _ = self.request("POST", "/signin", {"csrf_token": token, "name": NAME, "password": PASSWORD})
        assert status == 303, f"sign-in answered {status}"


def latencies_ms(client: Client, path: str, requests: int) -> list[float]:
    for _ in range(WARM_UP):
        client.request("GET", path)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        status, _ = client.request("GET", path)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, f"{path} answered {status}"
    return times


def percentiles(times: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"p50_ms": round(statistics.median(times), 2), "p99_ms": round(cuts[98], 2)}


def fill_store(db: Path, alerts: int) -> int:
    """Accounts and alerts on top of what the cycle left; returns how many alerts the store holds."""
    with open_store(db) as store:
        store.add_user(UserRecord(name=NAME, role="operator", password_hash=hash_password(PASSWORD)))
        products = store.products()
        for index in range(max(alerts - store.count_alerts(), 0)):
            product = products[index % len(products)]
            store.add_alert(AlertRecord(
                dedup_key=f"bench:{index}", kind="price_move", category="price",
                severity=("info", "warning", "critical")[index % 3], subject=str(product.id),
                title=f"Competitor price moved on {product.title}", body=f"{product.url}",
                evidence={"product_id": product.id, "url": product.url, "title": product.title}))
        return store.count_alerts()


def kept_cycle(config: Path, scale: float, alerts: int) -> dict:
    """A cycle's summary, from a kept folder or from a new cycle (then the accounts and alerts go in)."""
    from bench_cycle import one_cycle

    summary = config.parent / "cycle.json"
    if summary.exists():
        return json.loads(summary.read_text())
    cycle = one_cycle(scale, config.parent.parent)
    cycle["alerts_held"] = fill_store(config.parent / "var" / "shopsentinel.db", alerts)
    summary.write_text(json.dumps(cycle))
    return cycle


def bare_server(port: int, bodies_file: str) -> None:
    """The baseline: a Starlette app answering each measured path with the console's bytes for it."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    bodies = {path: body.encode() for path, body in json.loads(Path(bodies_file).read_text()).items()}

    def answer(body: bytes):
        async def handler(request) -> Response:
            return Response(body, media_type="text/html")
        return handler

    app = Starlette(routes=[Route(path, answer(body)) for path, body in bodies.items()])
    uvicorn.run(app, host="127.0.0.1", port=port, proxy_headers=True, server_header=False, log_level="warning")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--alerts", type=int, default=300)
    parser.add_argument("--work", type=Path, help="keep the cycle's store here; reuse it when it is there")
    parser.add_argument("--bare", nargs=2, metavar=("PORT", "BODIES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_server(int(args.bare[0]), args.bare[1])
        return 0
    with (nullcontext(args.work) if args.work else tempfile.TemporaryDirectory()) as work:
        config = Path(work) / f"x{args.scale:g}" / "config.toml"
        cycle = kept_cycle(config, args.scale, args.alerts)
        port = free_port()
        env = {**os.environ, "SHOPSENTINEL_WEB_SECRET": secrets.token_hex(32)}
        console: dict[str, dict[str, float]] = {}
        bodies: dict[str, str] = {}
        with server([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "serve", "--port", str(port)],
                    port, env):
            client = Client(port)
            client.sign_in()
            for path in PAGES:
                console[path] = percentiles(latencies_ms(client, path, args.requests))
                bodies[path] = client.request("GET", path)[1].decode()
        bodies_file = Path(work) / "bodies.json"
        bodies_file.write_text(json.dumps(bodies, ensure_ascii=False))
        bare_port = free_port()
        bare: dict[str, dict[str, float]] = {}
        with server([sys.executable, __file__, "--bare", str(bare_port), str(bodies_file)], bare_port):
            client = Client(bare_port)
            for path in PAGES:
                bare[path] = percentiles(latencies_ms(client, path, args.requests))
    worst = max(PAGES, key=lambda path: console[path]["p99_ms"])
    details = {"scale": args.scale, "products": cycle["products"], "alerts": cycle["alerts_held"], "requests": args.requests,
               "page_bytes": {path: len(body.encode()) for path, body in bodies.items()},
               "console": console, "bare_starlette": bare, "cycle_wall_s": cycle["wall_s"]}
    report(details, f"console p99 ({worst}, {args.scale:g}x demo store)", console[worst]["p99_ms"], "ms",
           console[worst]["p99_ms"] / bare[worst]["p99_ms"], "a bare Starlette handler returning the same bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
