"""Which Chromium ShopSentinel launches: an explicit choice first, then Playwright's cache, then the system's, with
the headless shell preferred for headless crawls and never offered for a visible window."""

from __future__ import annotations

import os

import pytest

from crawlers import browser
from crawlers.browser import BrowserNotFound, chromium_candidates, find_chromium


def _executable(path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def playwright_cache(tmp_path, monkeypatch):
    """A Playwright browser cache holding two builds of the full browser and one headless shell (1.65's layout)."""
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    monkeypatch.delenv(browser.ENV_VAR, raising=False)
    return {
        "old": _executable(tmp_path / "chromium-1100" / "chrome-linux" / "chrome"),
        "new": _executable(tmp_path / "chromium-1200" / "chrome-linux64" / "chrome"),
        "shell": _executable(tmp_path / "chromium_headless_shell-1200" / "chrome-headless-shell-linux64"
                             / "chrome-headless-shell"),
    }


def test_headless_crawls_prefer_the_headless_shell_then_the_full_browser(playwright_cache):
    candidates = chromium_candidates(headless=True)
    assert candidates[0] == playwright_cache["shell"]
    shells = candidates[:candidates.index(playwright_cache["new"])]
    assert set(browser.HEADLESS_SHELL_PATHS) <= set(shells), "the system's shells come before any full browser"
    assert candidates.index(playwright_cache["new"]) < candidates.index(playwright_cache["old"]), "newest first"
    assert find_chromium() == playwright_cache["shell"]


def test_a_visible_window_never_gets_the_headless_shell(playwright_cache):
    candidates = chromium_candidates(headless=False)
    assert candidates[0] == playwright_cache["new"]
    assert not [c for c in candidates if "headless" in c], candidates
    assert find_chromium(headless=False) == playwright_cache["new"]


def test_an_older_playwrights_headless_shell_is_found_too(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    shell = _executable(tmp_path / "chromium_headless_shell-1148" / "chrome-linux" / "headless_shell")
    assert chromium_candidates()[0] == shell


def test_an_explicit_choice_wins_and_a_wrong_one_is_an_error(playwright_cache, tmp_path, monkeypatch):
    mine = _executable(tmp_path / "my" / "chrome")
    assert find_chromium(mine) == mine
    assert find_chromium(mine, headless=False) == mine
    monkeypatch.setenv(browser.ENV_VAR, mine)
    assert find_chromium() == mine
    with pytest.raises(BrowserNotFound, match="crawl.chromium_path is '/nowhere/chrome'"):
        find_chromium("/nowhere/chrome")
    monkeypatch.setenv(browser.ENV_VAR, str(tmp_path / "my"))
    with pytest.raises(BrowserNotFound, match="which is not an executable file"):
        find_chromium()


def test_no_chromium_anywhere_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    monkeypatch.delenv(browser.ENV_VAR, raising=False)
    monkeypatch.setattr(browser, "chromium_candidates", lambda headless=True: [str(tmp_path / "absent")])
    with pytest.raises(BrowserNotFound, match="apt-get install chromium"):
        find_chromium()


def test_the_command_prints_the_headless_and_the_headed_choice(playwright_cache, capsys):
    assert browser.main([]) == 0
    assert capsys.readouterr().out.strip() == playwright_cache["shell"]
    assert browser.main(["--headed"]) == 0
    assert capsys.readouterr().out.strip() == playwright_cache["new"]


@pytest.mark.integration
@pytest.mark.skipif(not any(os.access(p, os.X_OK) for p in browser.HEADLESS_SHELL_PATHS),
                    reason="Debian's chromium-headless-shell is not installed")
def test_crawls_launch_the_headless_shell_when_it_is_installed(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.delenv(browser.ENV_VAR, raising=False)
    options = browser.launch_options()
    assert "headless" in os.path.basename(options["executable_path"])
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(**options)
        try:
            page = chromium.new_page()
            page.set_content("<p class=price>¥129</p><script>document.body.dataset.ok = 'yes'</script>")
            assert page.inner_text(".price") == "¥129"
            assert page.evaluate("document.body.dataset.ok") == "yes"
        finally:
            chromium.close()
