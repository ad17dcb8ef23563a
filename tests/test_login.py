"""Signed-in sessions: cookie exports become storage-state files, and the crawler sends those cookies."""

from __future__ import annotations

import http.server
import json
import stat
import threading

import pytest
from typer.testing import CliRunner

from agent import ExitCode, app
from conftest import fast_config
from crawlers.login import LoginError, cookies_from_export, import_cookies
from crawlers.run import CrawlPlan, run_crawl
from store import open_store

runner = CliRunner()
SECRET = "s3cr3t-session-value"


def test_json_export_becomes_a_private_storage_state(tmp_path):
    export = tmp_path / "cookies.json"
    export.write_text(json.dumps([{"name": "sid", "value": SECRET, "domain": ".shop.test", "sameSite": "no_restriction",
                                   "expirationDate": 1893456000.5, "secure": True}, {"name": "lang", "value": "zh"}]))
    target, count = import_cookies(export, "https://www.shop.test", tmp_path / "secrets" / "state.json")
    assert count == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    state = json.loads(target.read_text())
    assert state["cookies"][0] == {"name": "sid", "value": SECRET, "domain": ".shop.test", "path": "/",
                                   "expires": 1893456000.5, "httpOnly": False, "secure": True, "sameSite": "None"}
    assert state["cookies"][1]["domain"] == "www.shop.test"


def test_netscape_cookies_txt(tmp_path):
    export = tmp_path / "cookies.txt"
    export.write_text("# Netscape HTTP Cookie File\n.shop.test\tTRUE\t/\tFALSE\t1893456000\tsid\tabc\n")
    [cookie] = cookies_from_export(export, "shop.test")
    assert (cookie["name"], cookie["value"], cookie["domain"], cookie["expires"]) == ("sid", "abc", ".shop.test",
                                                                                      1893456000.0)


@pytest.mark.parametrize("content, message", [("[1, 2]", "name and value"), ("{not json", "not valid JSON"),
                                              ("hello", "neither a JSON cookie export")])
def test_bad_exports_are_refused_with_the_reason(tmp_path, content, message):
    export = tmp_path / "bad"
    export.write_text(content)
    with pytest.raises(LoginError, match=message):
        cookies_from_export(export, "shop.test")


def test_login_cli_imports_without_printing_cookie_values(tmp_path):
    config = fast_config(tmp_path)
    export = tmp_path / "cookies.json"
    export.write_text(json.dumps([{"name": "sid", "value": SECRET}]))
    result = runner.invoke(app, ["--config", str(config), "login", "shangcheng", "--import", str(export)])
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output and "cookies_file" in result.output
    assert (tmp_path / "var" / "secrets" / "shangcheng-state.json").is_file()


def test_login_without_a_screen_says_to_import(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = runner.invoke(app, ["--config", str(fast_config(tmp_path)), "login", "kuaigou"])
    assert result.exit_code == ExitCode.FINDINGS and "--import" in result.output


class CookieShop(http.server.BaseHTTPRequestHandler):
    """A one-page shop that shows its price only to a signed-in visitor, and remembers the cookies it got."""

    seen: list[str] = []

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.send_error(404)
            return
        cookie = self.headers.get("Cookie", "")
        self.seen.append(cookie)
        price = '<span itemprop="price" content="88.00">¥88.00</span>' if f"sid={SECRET}" in cookie else "登录后查看价格"
        body = f'<html><body itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">会员椅</h1>{price}' \
               f'<meta itemprop="priceCurrency" content="CNY"></body></html>'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.integration
def test_crawler_sends_the_imported_cookies(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CookieShop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        export = tmp_path / "cookies.json"
        export.write_text(json.dumps([{"name": "sid", "value": SECRET}]))
        state, _ = import_cookies(export, base, tmp_path / "state.json")
        config = fast_config(tmp_path)
        config.write_text(config.read_text(encoding="utf-8") + f'\n[platforms.members]\nname = "会员店"\n'
                          f'base_url = "{base}"\nlocal = true\ncookies_file = "{state}"\n', encoding="utf-8")
        run = run_crawl(config, CrawlPlan(platforms=["members"], products=[("members", base + "/item/1")])).runs[0]
        assert any(f"sid={SECRET}" in cookie for cookie in CookieShop.seen)
        assert run.stats["items"]["prices"] == 1
        with open_store(tmp_path / "var" / "shopsentinel.db") as store:
            assert float(next(iter(store.latest_prices().values())).price) == 88.0
    finally:
        server.shutdown()


