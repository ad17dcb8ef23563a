"""Signed-in sessions for sites that show prices only to logged-in shoppers.

Two ways in: sign in by hand in a visible Chromium (where a screen exists) and keep its Playwright storage
state, or import a cookie export from a desktop browser (a JSON list as cookie-export extensions write it, or a
Netscape cookies.txt). Either way the result is a Playwright storage-state file, readable only by its owner,
that config.toml points at (storage_state for browser platforms, cookies_file for HTTP ones). Cookie values are
secrets: nothing here prints or logs them.
"""

from __future__ import annotations

import json
import os
import sys
from http.cookiejar import MozillaCookieJar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class LoginError(RuntimeError):
    """The session could not be captured or imported; the message says why and what to do instead."""


def has_screen() -> bool:
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _same_site(value: Any) -> str:
    text = str(value or "").lower()
    return {"strict": "Strict", "lax": "Lax", "none": "None", "no_restriction": "None"}.get(text, "Lax")


def cookies_from_export(path: Path, default_domain: str) -> list[dict[str, Any]]:
    """Playwright cookies from a JSON export or a Netscape cookies.txt; domains default to the platform's."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LoginError(f"cannot read cookie export {path}: {exc.strerror}") from exc
    if text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LoginError(f"{path} is not valid JSON (line {exc.lineno}): expected a cookie export") from exc
        entries = data.get("cookies", []) if isinstance(data, dict) else data
        if not isinstance(entries, list) or not all(isinstance(e, dict) and "name" in e and "value" in e
                                                    for e in entries):
            raise LoginError(f"{path}: expected a list of cookies with name and value")
        return [{"name": e["name"], "value": e["value"], "domain": e.get("domain") or default_domain,
                 "path": e.get("path") or "/",
                 "expires": float(e.get("expirationDate") or e.get("expires") or -1),
                 "httpOnly": bool(e.get("httpOnly", False)), "secure": bool(e.get("secure", False)),
                 "sameSite": _same_site(e.get("sameSite"))} for e in entries]
    jar = MozillaCookieJar()
    try:
        jar.load(str(path), ignore_discard=True, ignore_expires=True)
    except Exception as exc:  # http.cookiejar raises LoadError and others for a file that is not cookies.txt
        raise LoginError(f"{path} is neither a JSON cookie export nor a Netscape cookies.txt: {exc}") from exc
    return [{"name": c.name, "value": c.value or "", "domain": c.domain or default_domain, "path": c.path or "/",
             "expires": float(c.expires) if c.expires else -1, "httpOnly": False, "secure": bool(c.secure),
             "sameSite": "Lax"} for c in jar]


def write_state(state: dict[str, Any], target: Path) -> Path:
    """Write a storage state readable only by its owner (it holds session cookies)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(state, handle, ensure_ascii=False)
    os.replace(partial, target)
    return target


def import_cookies(export: Path, base_url: str, target: Path) -> tuple[Path, int]:
    """Turn a cookie export into a storage-state file; returns the file and how many cookies it holds."""
    host = urlsplit(base_url).hostname or ""
    cookies = cookies_from_export(export, host)
    if not cookies:
        raise LoginError(f"{export} holds no cookies")
    return write_state({"cookies": cookies, "origins": []}, target), len(cookies)


def login_in_browser(base_url: str, target: Path, chromium: str, wait_for_user) -> tuple[Path, int]:
    """Open a visible Chromium at the site, let the operator sign in, and keep the session when they confirm
    (`wait_for_user` blocks until then, e.g. by waiting for Enter in the terminal)."""
    if not has_screen():
        raise LoginError("no screen here to show a browser on; sign in on a desktop and import the cookies with "
                         "--import FILE (a cookie export JSON or cookies.txt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=False)
        try:
            context = browser.new_context(locale="zh-CN")
            context.new_page().goto(base_url)
            wait_for_user()
            state = context.storage_state()
        finally:
            browser.close()
    return write_state(state, target), len(state.get("cookies", []))
