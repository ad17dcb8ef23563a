"""Finding a Chromium for Playwright.

Playwright's own browser download is not possible everywhere (no internet, or a distribution that prefers its own
package), so ShopSentinel uses, in this order: the path configured in config.toml, $SHOPSENTINEL_CHROMIUM,
a browser Playwright has installed, then the system's Chromium or Chrome. `python -m crawlers.browser` prints the
one it would use and exits 1 when there is none, which is how `make` decides whether to install one.
"""

from __future__ import annotations

import glob
import os
import shutil
import sys
from pathlib import Path

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


class BrowserNotFound(RuntimeError):
    """No usable Chromium: the message says how to get one."""


def _executable(path: str | os.PathLike) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def playwright_chromium() -> str | None:
    """The newest Chromium that `python -m playwright install chromium` put in Playwright's cache, if any."""
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or str(Path.home() / ".cache" / "ms-playwright")
    patterns = ("chromium-*/chrome-linux*/chrome", "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
                "chromium-*/chrome-win*/chrome.exe")
    found = sorted((p for pattern in patterns for p in glob.glob(os.path.join(root, pattern))), reverse=True)
    return next((p for p in found if _executable(p)), None)


def find_chromium(configured: str | os.PathLike | None = None) -> str:
    """The Chromium executable to launch. A configured or $SHOPSENTINEL_CHROMIUM path must exist: a wrong explicit
    choice is an error, not something to silently replace."""
    for source, explicit in (("config.toml crawl.chromium_path", configured), (f"${ENV_VAR}", os.environ.get(ENV_VAR))):
        if explicit:
            if not _executable(explicit):
                raise BrowserNotFound(f"{source} is {str(explicit)!r}, which is not an executable file")
            return str(explicit)
    candidates = [playwright_chromium(), *SYSTEM_PATHS, *(shutil.which(name) for name in PATH_NAMES)]
    for candidate in candidates:
        if candidate and _executable(candidate):
            return candidate
    raise BrowserNotFound(
        "no Chromium found. Install one: `sudo apt-get install chromium` (Debian/Ubuntu), or "
        "`python -m playwright install chromium` where downloads work, or set "
        f"{ENV_VAR} / crawl.chromium_path to a Chromium or Chrome executable")


def main() -> int:
    try:
        print(find_chromium())
    except BrowserNotFound as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
