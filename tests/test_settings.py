"""Scrapy settings from config.toml: politeness, one browser, proxies without credentials in the address."""

from __future__ import annotations

from types import SimpleNamespace

from scrapy.settings.default_settings import DOWNLOADER_MIDDLEWARES_BASE

from config import load_config
from conftest import ROOT
from crawlers.settings import playwright_proxy, scrapy_settings


def test_http_only_crawl_has_no_browser_and_keeps_consoles_off():
    settings = scrapy_settings(load_config(ROOT / "config.toml"), ["shangcheng", "laodian"])
    assert "DOWNLOAD_HANDLERS" not in settings
    assert settings["TELNETCONSOLE_ENABLED"] is False and settings["REMOTE_CONTROL_ENABLED"] is False
    assert settings["ROBOTSTXT_OBEY"] is True and settings["COOKIES_DEBUG"] is False
    assert set(settings["DOWNLOAD_SLOTS"]) == {"shangcheng", "laodian"}


def test_browser_crawl_starts_one_chromium_for_the_schemes_it_needs():
    settings = scrapy_settings(load_config(ROOT / "config.toml"), ["kuaigou", "shangcheng"])
    assert list(settings["DOWNLOAD_HANDLERS"]) == ["http"]
    assert set(settings["PLAYWRIGHT_CONTEXTS"]) == {"kuaigou"}
    assert settings["PLAYWRIGHT_LAUNCH_OPTIONS"]["executable_path"]
    abort = settings["PLAYWRIGHT_ABORT_REQUEST"]
    assert abort(SimpleNamespace(resource_type="image", url="http://127.0.0.1:8703/a.png"))
    assert not abort(SimpleNamespace(resource_type="xhr", url="http://127.0.0.1:8703/api/items"))
    assert abort(SimpleNamespace(resource_type="xhr", url="http://169.254.169.254/latest/meta-data/"))


def test_the_url_policy_replaces_scrapys_offsite_check_before_robots_txt():
    middlewares = scrapy_settings(load_config(ROOT / "config.toml"), ["shangcheng"])["DOWNLOADER_MIDDLEWARES"]
    assert middlewares["scrapy.downloadermiddlewares.offsite.OffsiteMiddleware"] is None
    robots = DOWNLOADER_MIDDLEWARES_BASE["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"]
    assert middlewares["crawlers.middlewares.UrlPolicyMiddleware"] < robots
    spider_side = scrapy_settings(load_config(ROOT / "config.toml"), ["shangcheng"])["SPIDER_MIDDLEWARES"]
    assert "crawlers.middlewares.UrlPolicySpiderMiddleware" in spider_side, "what a spider yields is checked too"


def test_proxy_credentials_are_split_for_playwright():
    assert playwright_proxy("http://user:p%40ss@proxy.example:3128") == {
        "server": "http://proxy.example:3128", "username": "user", "password": "p@ss"}
    assert playwright_proxy("socks5://proxy.example") == {"server": "socks5://proxy.example"}
