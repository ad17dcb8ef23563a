"""Shared fixtures: the demo marketplace in a child process, reached over real HTTP on 127.0.0.1."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo_market.launcher import RunningMarketplace, launch


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding)


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> Fetched:
    """GET a URL and return status, headers and raw body, also for HTTP error statuses."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Fetched(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, dict(exc.headers), exc.read())


ROOT = Path(__file__).resolve().parent.parent
DEMO_PORTS = {"shangcheng": 8701, "laodian": 8702, "kuaigou": 8703}


def fast_config(directory: Path, sites: dict[str, str] | None = None, **crawl: object) -> Path:
    """The shipped config.toml, its store under `directory`, crawling the local demo without politeness delays
    (the demo is ours and on loopback) and, given the marketplace's `sites`, pointing at its real ports."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    settings = {"download_delay_s": 0.0, "retry_backoff_s": 0.2, "concurrency_per_domain": 4, **crawl}
    for key, value in settings.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
    text = re.sub(r"(?m)^enabled = true(\s+# slow down)", r"enabled = false\1", text, count=1)
    for site, port in DEMO_PORTS.items():
        if sites:
            text = text.replace(f"http://127.0.0.1:{port}", sites[site])
    path = directory / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def marketplace() -> RunningMarketplace:
    """One marketplace for read-only tests. Tests that move the clock or add faults use `fresh_marketplace`."""
    with launch() as market:
        yield market


@pytest.fixture
def fresh_marketplace() -> RunningMarketplace:
    with launch() as market:
        yield market


@pytest.fixture(scope="session")
def truth(marketplace: RunningMarketplace) -> dict:
    return marketplace.ground_truth()
