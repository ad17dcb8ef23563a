"""Finding a Chromium for Playwright.

Playwright's own browser download is not possible everywhere (no internet, or a distribution that prefers its own
package), so ShopSentinel uses, in this order: the path configured in config.toml, $SHOPSENTINEL_CHROMIUM,
a browser Playwright has installed, then the system's Chromium or Chrome. Headless work (every crawl) prefers the
headless shell where one is installed, as Playwright itself does; a headed window (`agent.py login`) needs the full
browser. `python -m crawlers.browser [--headed]` prints the one it would use and exits 1 when there is none, which
is how `make` decides whether to install one.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import logging
import os
import re
import shutil
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.async_api import TimeoutError as PlaywrightTimeout

from crawlers.documents import body_document

if TYPE_CHECKING:
    from crawlers.url_policy import UrlPolicy

logger = logging.getLogger(__name__)

ENV_VAR = "SHOPSENTINEL_CHROMIUM"

# /usr/lib/chromium/chromium is Debian's real binary; /usr/bin/chromium is a shell wrapper that prints a harmless
# warning on every start, so the binary comes first.
SYSTEM_PATHS = (
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/lib/chromium-browser/chromium-browser",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome-stable",
    "/usr/bin/google-chrome",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
HEADLESS_SHELL_PATHS = ("/usr/lib/chromium/chromium-headless-shell", "/usr/bin/chromium-headless-shell")
HEADLESS_SHELL_NAMES = ("chromium-headless-shell", "chrome-headless-shell")


class BrowserNotFound(RuntimeError):
    """No usable Chromium: the message says how to get one."""


def _executable(path: str | os.PathLike) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def playwright_browsers(headless_shell: bool) -> list[str]:
    """Chromium builds that `python -m playwright install chromium` put in Playwright's cache, newest first: its
    headless shell (installed beside the full browser since Playwright 1.49) or the full browser."""
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or str(Path.home() / ".cache" / "ms-playwright")
    if headless_shell:
        patterns = ("chromium_headless_shell-*/chrome-headless-shell-*/chrome-headless-shell",
                    "chromium_headless_shell-*/chrome-headless-shell-*/chrome-headless-shell.exe",
                    "chromium_headless_shell-*/chrome-linux/headless_shell")
    else:
        patterns = ("chromium-*/chrome-linux*/chrome", "chromium-*/chrome-mac*/*.app/Contents/MacOS/*",
                    "chromium-*/chrome-win*/chrome.exe")
    return sorted((p for pattern in patterns for p in glob.glob(os.path.join(root, pattern))), reverse=True)


def chromium_candidates(headless: bool = True) -> list[str]:
    """Where to look for Chromium when none is chosen explicitly, in order of preference. A headless crawl tries
    headless shells first: the shell is Chromium without the desktop browser around it, and on 2,000 demo pages
    its processes took about half the memory of the full browser's (see MEMORY_ARGS)."""
    full = [*playwright_browsers(headless_shell=False), *SYSTEM_PATHS, *filter(None, map(shutil.which, PATH_NAMES))]
    if not headless:
        return full
    shells = [*playwright_browsers(headless_shell=True), *HEADLESS_SHELL_PATHS,
              *filter(None, map(shutil.which, HEADLESS_SHELL_NAMES))]
    return [*shells, *full]


def find_chromium(configured: str | os.PathLike | None = None, *, headless: bool = True) -> str:
    """The Chromium executable to launch. A configured or $SHOPSENTINEL_CHROMIUM path must exist: a wrong explicit
    choice is an error, not something to silently replace."""
    for source, explicit in (("config.toml crawl.chromium_path", configured), (f"${ENV_VAR}", os.environ.get(ENV_VAR))):
        if explicit:
            if not _executable(explicit):
                raise BrowserNotFound(f"{source} is {str(explicit)!r}, which is not an executable file")
            return str(explicit)
    for candidate in chromium_candidates(headless):
        if _executable(candidate):
            return candidate
    raise BrowserNotFound(
        "no Chromium found. Install one: `sudo apt-get install chromium` (Debian/Ubuntu), or "
        "`python -m playwright install chromium` where downloads work, or set "
        f"{ENV_VAR} / crawl.chromium_path to a Chromium or Chrome executable")


# --- The browser path through scrapy-playwright ------------------------------------------------------------------

# Chromium otherwise phones home (updates, sync, field trials); on closed networks those connections fail noisily.
QUIET_ARGS = ("--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-quic", "--no-first-run", "--disable-gpu")


# Memory. Every Chromium process maps its own view of the binary, fonts and ICU data (in the full browser a renderer
# holds about 40 MB of its own memory and 128-180 MB of such shared file pages), so fewer and smaller processes cost
# less. The headless shell (preferred by find_chromium) is the smaller binary and runs no storage-service process:
# its browser process took 116 MB against 218 (+ 80 for that service), a renderer 115 against 149.
# - Site isolation stays on (--site-per-process: the full browser's default, not the shell's). Without it one
#   renderer serves every tab and it grew: 2,000 demo pages through the crawl, a renderer of 955 MB and a peak of
#   1,403 MB in the shell (peak PSS 1,190 MB in the full browser). With it tabs get renderers of their own that end
#   with the tab, and a soft limit of one process lets racing tabs share one (at most 3 alive on 2,000 pages).
# - The GPU thread (software only, with --disable-gpu) and the network service run inside the browser process, and
#   renderers are started directly instead of forked from two zygotes (which needs no sandbox: Playwright's default,
#   chromium_sandbox off).
# 2,000 demo pages through the crawl (three runs each), full browser -> headless shell with these flags: peak summed
# RSS of the crawl's process tree 996-1,112 -> 740-813 MB, median 782-816 -> 546-586 MB, peak PSS 660-704 -> 512-535
# MB. (The flags alone had taken the full browser from 1,344 to about 1,100 MB peak.) A fresh tab per page stays:
# reusing four tabs kept one renderer, but it grew to 746 MB within 300 pages.
# Chromium keeps only the last --enable-features it is given, and Playwright passes its own first: they are
# repeated here (this Playwright's list) so that ours does not switch theirs off.
PLAYWRIGHT_FEATURES = ("CDPScreenshotNewSurface", "SkipListAccountsWithoutGaiaCookies")
MEMORY_ARGS = ("--site-per-process", "--renderer-process-limit=1", "--in-process-gpu", "--no-zygote",
               "--enable-features=" + ",".join((*PLAYWRIGHT_FEATURES, "NetworkServiceInProcess2")))
# Playwright's driver is a Node process whose young generation (16 MB semi-spaces by default) it barely needs:
# with 2 MB ones its RSS after 150 demo pages was 118-125 MB instead of 143-153, at the same pages per second.
# Without a heap limit Node sizes it from the machine's memory (about 4 GB here) and puts off full collections, so
# the driver's RSS saws up to about 200 MB; any explicit limit makes V8 collect sooner. 512 MB is far above what
# the driver holds (tens of MB) and still did it: 300 demo pages, driver peak 198 -> 132 MB, median 146 -> 128 MB,
# same pages per second (64, 128 and 256 MB gave the same peak).
DRIVER_NODE_OPTIONS = ("--max-semi-space-size=2", "--max-old-space-size=512")


def driver_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Environment for a process that will start Playwright's driver: NODE_OPTIONS with the driver's memory
    settings added, each unless NODE_OPTIONS already sets it (a user's choice wins)."""
    options = environ.get("NODE_OPTIONS", "")
    missing = [flag for flag in DRIVER_NODE_OPTIONS if flag.split("=")[0] not in options]
    if not missing:
        return {}
    return {"NODE_OPTIONS": " ".join([options, *missing]).strip()}


def launch_options(configured: str | os.PathLike | None = None) -> dict:
    return {"executable_path": find_chromium(configured), "headless": True, "chromium_sandbox": False,
            "args": [*QUIET_ARGS, *MEMORY_ARGS]}


class AbortResources:
    """PLAYWRIGHT_ABORT_REQUEST: skip images, fonts and media a crawl never reads (configurable), and whatever a
    page asks for against the URL policy, which Chromium would otherwise fetch past Scrapy's middlewares (see
    `UrlPolicy.resource_refusal`). Chromium asks only about the first request of a redirect chain; a page that
    ended somewhere refused is refused by UrlPolicyMiddleware before it is read."""

    def __init__(self, resource_types: Iterable[str], policy: UrlPolicy | None = None) -> None:
        self.resource_types = frozenset(resource_types)
        self.policy = policy
        self.logged: set[str] = set()

    def __call__(self, request) -> bool:
        if request.resource_type in self.resource_types:
            return True
        refusal = self.policy.resource_refusal(request.url) if self.policy is not None else None
        if refusal is not None and refusal.host not in self.logged:
            self.logged.add(refusal.host)
            logger.warning("a browser page asked for what the URL policy refuses, aborted: %s (further requests "
                           "to this host are aborted silently)", refusal.detail)
        return refusal is not None


class JsonCapture:
    """Collects the JSON bodies of the responses a page fetches whose URL matches a pattern (a regex searched in
    the URL), because real marketplaces load prices by XHR and the JSON is more exact than the DOM."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)
        self.documents: list = []
        self._pending: set[asyncio.Task] = set()

    async def on_response(self, response) -> None:
        if self.pattern.search(response.url) and response.ok:
            task = asyncio.ensure_future(self._read(response))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _read(self, response) -> None:
        try:
            document = body_document(await response.text())  # JSON or JSONP (review feeds are often JSONP)
        except Exception as exc:  # an aborted or undecodable body is simply not evidence
            logger.debug("ignoring response %s: %s", response.url, exc)
            return
        if document is not None:
            self.documents.append(document)

    async def settle(self) -> list:
        """Wait for bodies still being read, then return every document captured so far."""
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
        return self.documents

    def __getstate__(self) -> dict:
        # A request carrying a capture is pickled into Redis by the scale-out crawl (crawlers/fleet/), a retried one
        # too: reads still pending belong to the attempt that started them, not to the request.
        return {**self.__dict__, "_pending": set()}


StopCheck = Callable[[object], Awaitable[bool]]  # given the page: has it loaded enough already?


async def run_steps(page, steps, timeout_ms: float, enough: StopCheck | None = None) -> bool:
    """Perform a profile's browser steps on a loaded page: waits, clicks, "load more" loops and scrolling.
    `enough`, when given, is asked before every "load more" click and scroll; once it says yes, loading stops
    (an incremental review crawl that has reached stored reviews). Returns whether it did stop loading."""
    stopped = False
    for step in steps:
        if step.wait_for is not None:
            await page.wait_for_selector(step.wait_for, timeout=timeout_ms)
        elif step.click is not None:
            await page.click(step.click, timeout=timeout_ms)
        elif step.click_until_gone is not None:
            stopped = await _click_until_gone(page, step.click_until_gone, step.max_repeats, timeout_ms, enough)
        elif step.scroll:
            stopped = await _scroll_to_end(page, step.max_repeats, timeout_ms, enough)
        elif step.wait_ms is not None:
            await page.wait_for_timeout(step.wait_ms)
        if stopped:
            return True
    return False


async def _click_until_gone(page, selector: str, max_repeats: int, timeout_ms: float,
                            enough: StopCheck | None) -> bool:
    button = page.locator(selector)
    for _ in range(max_repeats):
        if await button.count() == 0:
            return False
        if enough is not None and await enough(page):
            return True
        handle = await button.first.element_handle()
        before = await page.evaluate("document.body.innerHTML.length")
        await handle.click(timeout=timeout_ms)
        try:  # wait until the click changed the page (new entries, a busy button), then until it is done
            await page.wait_for_function("n => document.body.innerHTML.length !== n", arg=before, timeout=timeout_ms)
            await page.wait_for_function("b => !b.isConnected || !b.disabled", arg=handle, timeout=timeout_ms)
        except PlaywrightTimeout:
            return False  # nothing more loads
    logger.warning("%s: still a %r after %d clicks; stopped there", page.url, selector, max_repeats)
    return False


async def _scroll_to_end(page, max_repeats: int, timeout_ms: float, enough: StopCheck | None) -> bool:
    for _ in range(max_repeats):
        if enough is not None and await enough(page):
            return True
        height = await page.evaluate("document.body.scrollHeight")
        await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        try:
            await page.wait_for_function("h => document.body.scrollHeight > h", arg=height, timeout=timeout_ms)
        except PlaywrightTimeout:
            return False
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawlers.browser",
                                     description="Print the Chromium that ShopSentinel would launch.")
    parser.add_argument("--headed", action="store_true",
                        help="the one for a visible window (agent.py login), not for crawls")
    args = parser.parse_args(argv)
    try:
        print(find_chromium(headless=not args.headed))
    except BrowserNotFound as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
