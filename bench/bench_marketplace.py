"""How fast the demo marketplace serves, against a bare aiohttp server sending the same bytes.

Crawler benchmarks (pages per second through Scrapy or Playwright) are only meaningful if the marketplace is not
the bottleneck. This fetches every product page of every shop (and the kuaigou item API) with a concurrent
client, then fetches the same number of pages of identical size from a bare aiohttp server in a child process,
and prints the ratio. Both servers run in their own process, on 127.0.0.1.

    .venv/bin/python bench/bench_marketplace.py [--concurrency 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo_market.launcher import launch  # noqa: E402

KG_HEADERS = {"Cookie": "kg_sid=bench", "X-KG-Client": "web/bench"}
BARE_SERVER = """
import sys
from aiohttp import web
body = b"x" * int(sys.argv[1])
async def page(request):
    return web.Response(body=body, content_type="text/html")
app = web.Application()
app.router.add_get("/{tail:.*}", page)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[2]), print=lambda *a: print("ready", flush=True),
            access_log=None)
"""


def product_urls(truth: dict) -> list[tuple[str, dict]]:
    urls = []
    for product in truth["products"]:
        if product["platform"] == "kuaigou":
            urls.append((f"{truth['sites']['kuaigou']}/api/item/{product['item_id']}", KG_HEADERS))
        else:
            urls.append((product["url"], {}))
    return urls


async def fetch_all(urls: list[tuple[str, dict]], concurrency: int) -> tuple[float, int]:
    """Seconds to fetch every URL with `concurrency` requests in flight, and the bytes received."""
    queue: asyncio.Queue = asyncio.Queue()
    for item in urls:
        queue.put_nowait(item)
    received = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal received
        while not queue.empty():
            url, headers = queue.get_nowait()
            async with session.get(url, headers=headers) as response:
                if response.status != 200:
                    raise RuntimeError(f"{url}: HTTP {response.status}")
                received += len(await response.read())

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return time.perf_counter() - started, received


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="repeat and keep the best round of each")
    args = parser.parse_args()

    with launch() as market:
        truth = market.ground_truth()
        urls = product_urls(truth)
        asyncio.run(fetch_all(urls[:20], args.concurrency))  # warm-up: templates compiled, connections open
        market_best, size = min(asyncio.run(fetch_all(urls, args.concurrency)) for _ in range(args.rounds))

    port = free_port()
    bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(size // len(urls)), str(port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        if bare.stdout.readline().strip() != "ready":
            raise RuntimeError("bare server did not start")
        bare_urls = [(f"http://127.0.0.1:{port}/p/{i}", {}) for i in range(len(urls))]
        bare_best = min(asyncio.run(fetch_all(bare_urls, args.concurrency))[0] for _ in range(args.rounds))
    finally:
        bare.terminate()
        bare.wait()

    market_rate, bare_rate = len(urls) / market_best, len(urls) / bare_best
    print(json.dumps({"pages": len(urls), "avg_bytes": size // len(urls), "concurrency": args.concurrency,
                      "marketplace_pages_per_s": round(market_rate, 1), "bare_pages_per_s": round(bare_rate, 1)}))
    print(f"marketplace_product_pages: {market_rate:.0f} pages/s, ratio {market_rate / bare_rate:.2f} "
          f"against bare aiohttp serving the same bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
