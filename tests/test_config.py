"""The config loader: the shipped config.toml, every kind of error message, secrets, paths and demo URLs."""

import textwrap
from datetime import time, timedelta
from pathlib import Path

import pytest

from config import Config, ConfigError, OwnProduct, load_config, with_demo_urls

SHIPPED = Path(__file__).resolve().parent.parent / "config.toml"

# A small valid config; tests append tables to it or replace one of its lines.
MINIMAL = """\
[platforms.shop]
name = "Shop"
base_url = "http://127.0.0.1:9000"
demo_site = "shangcheng"
search_url = "/search?q={keyword}&page={page}"

[[own_products]]
platform = "shop"
url = "/item/1.html"
cost = 10
band = [20, 30]
safety_stock = 5
"""


def write(tmp_path: Path, text: str, name: str = "cfg.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> tuple[Path, str]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return path, str(caught.value)


def replaced(old: str, new: str) -> str:
    assert old in MINIMAL
    return MINIMAL.replace(old, new)


# --- the shipped config -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped() -> Config:
    return load_config(SHIPPED)


def test_shipped_config_has_the_three_demo_platforms(shipped: Config) -> None:
    assert {key: (p.render, p.base_url, p.demo_site) for key, p in shipped.platforms.items()} == {
        "shangcheng": ("http", "http://127.0.0.1:8701", "shangcheng"),
        "laodian": ("http", "http://127.0.0.1:8702", "laodian"),
        "kuaigou": ("browser", "http://127.0.0.1:8703", "kuaigou"),
    }
    assert shipped.platforms["laodian"].encoding == "gbk"
    assert shipped.platforms["shangcheng"].search_page_url("充电宝", 2) == \
        "http://127.0.0.1:8701/search?q=%E5%85%85%E7%94%B5%E5%AE%9D&page=2"
    # The legacy shop gets its search terms in its own charset, as its own links carry them.
    assert shipped.platforms["laodian"].search_page_url("充电宝") == \
        "http://127.0.0.1:8702/list.php?kw=%B3%E4%B5%E7%B1%A6&p=1"
    assert shipped.platforms["kuaigou"].product_page_url("7100000001") == "http://127.0.0.1:8703/p/7100000001"


def test_shipped_own_products_resolve_to_demo_urls(shipped: Config) -> None:
    rows = [(p.platform, shipped.own_product_url(p), p.cost, p.band, p.safety_stock) for p in shipped.own_products]
    assert rows == [
        ("shangcheng", "http://127.0.0.1:8701/item/SC10001.html", 62.0, (89.0, 139.0), 200),
        ("shangcheng", "http://127.0.0.1:8701/item/SC10002.html", 75.0, (109.0, 169.0), 200),
        ("laodian", "http://127.0.0.1:8702/goods.php?id=880001", 58.0, (85.0, 129.0), 200),
        ("laodian", "http://127.0.0.1:8702/goods.php?id=880002", 45.0, (69.0, 99.0), 200),
        ("kuaigou", "http://127.0.0.1:8703/p/7100000001", 80.0, (119.0, 179.0), 200),
        ("kuaigou", "http://127.0.0.1:8703/p/7100000002", 38.0, (59.0, 99.0), 200),
    ]


def test_shipped_keywords_default_to_every_platform(shipped: Config) -> None:
    assert [k.term for k in shipped.keywords] == ["露营椅", "猫咪饮水机", "充电宝", "代餐奶昔"]
    assert all(k.platforms == ("shangcheng", "laodian", "kuaigou") and k.top == 10 for k in shipped.keywords)


def test_shipped_thresholds_are_the_playbook_numbers(shipped: Config) -> None:
    t = shipped.thresholds
    assert (t.price.undercut_pct, t.price.move_pct, t.price.debounce_observations, t.price.min_abs_change,
            t.price.band_shift_pct) == (5, 10, 2, 1.0, 10)
    assert (t.reviews.negative_max_stars, t.reviews.negative_score, t.reviews.surge_window_reviews,
            t.reviews.surge_window_hours, t.reviews.surge_share, t.reviews.surge_z,
            t.reviews.response_minutes) == (2, 0.4, 20, 24, 0.30, 2.0, 60)
    assert t.opportunity.theme_share == 0.30
    assert t.stock.safety_ratio == 0.5
    assert t.compliance.scan_competitors is True
    assert (t.compliance.alert_severity, t.compliance.competitor_severity) == ("warning", "info")
    assert shipped.compliance.add == () and shipped.compliance.allow == ()
    assert [p.category for p in shipped.own_products if p.name == "代餐奶昔"] == ["food"]


def test_shipped_schedule_alerts_and_smtp(shipped: Config) -> None:
    s = shipped.schedule
    assert (s.hot_terms, s.prices, s.reviews, s.jitter) == (
        timedelta(hours=1), timedelta(minutes=30), timedelta(hours=2), timedelta(minutes=5))
    assert s.digest == time(8, 30) and s.tzinfo.key == "Asia/Shanghai"
    assert (s.retrain, s.retrain_min_new) == (timedelta(days=1), 500)
    assert shipped.alerts.cooldown == timedelta(hours=6)
    oncall, digest = shipped.alerts.routes
    assert oncall.matches("price", "critical") and not oncall.matches("price", "warning")
    assert digest.matches("review", "info")
    assert (oncall.send, oncall.group_by, oncall.group_wait, oncall.group_interval) == (
        "auto", ("category", "subject"), timedelta(0), timedelta(minutes=5))
    assert (digest.send, digest.also_digest, digest.repeat_interval) == ("digest", False, None)
    assert shipped.smtp.uses_demo_capture and shipped.smtp.password_env == "SHOPSENTINEL_SMTP_PASSWORD"
    assert shipped.store.path == SHIPPED.parent / "var" / "shopsentinel.db"
    assert shipped.paths.outbox_dir == SHIPPED.parent / "var" / "outbox"


# --- error messages ---------------------------------------------------------------------------------------------

def test_wrong_type_names_file_key_expectation_and_value(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, replaced("cost = 10", 'cost = "abc"'))
    assert message == f'{path}: own_products[0].cost: expected a number >= 0, got "abc"'


def test_missing_required_key(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, replaced("cost = 10\n", ""))
    assert message == f"{path}: own_products[0].cost: missing required key, expected a number >= 0"


def test_unknown_key_suggests_the_intended_one(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + "[crawl]\nconcurent_requests = 4\n")
    assert message == f'{path}: crawl.concurent_requests: unknown key (did you mean "concurrent_requests"?)'


def test_bad_enum_value_lists_the_choices(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, replaced('name = "Shop"', 'name = "Shop"\nrender = "brwser"'))
    assert message == f'{path}: platforms.shop.render: expected one of "http", "browser", got "brwser"'


def test_bad_duration(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[schedule]\nprices = "30 minutes"\n')
    assert message == (f'{path}: schedule.prices: expected a duration > 0 such as "30s", "30m", "2h", "1d" or '
                       f'"1h30m", got "30 minutes"')


def test_retrain_min_new_is_a_count_from_zero(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[schedule]\nretrain_min_new = -1\n')
    assert message == f"{path}: schedule.retrain_min_new: expected an integer >= 0, got -1"
    path, message = error_of(tmp_path, MINIMAL + '[schedule]\nretrain_min_new = 2.5\n')
    assert message.startswith(f"{path}: schedule.retrain_min_new: expected an integer")


def test_locale_is_chinese_by_default_and_checked(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, MINIMAL)).locale == "zh_CN"
    assert load_config(write(tmp_path, 'locale = "en-US"\n' + MINIMAL)).locale == "en"
    path, message = error_of(tmp_path, 'locale = "fr"\n' + MINIMAL)
    assert message == f'{path}: locale: expected a language: "zh_CN" or "en", got "fr"'


def test_bad_digest_time(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[schedule]\ndigest = "8.30"\n')
    assert message == f'{path}: schedule.digest: expected a local time "HH:MM" such as "08:30", got "8.30"'


def test_band_min_must_be_below_max(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, replaced("band = [20, 30]", "band = [30, 20]"))
    assert message == (f"{path}: own_products[0].band: expected [min, max] prices with 0 <= min < max, "
                       f"such as [89, 139], got [30, 20]")


def test_cost_must_be_below_band_max(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, replaced("cost = 10", "cost = 30"))
    assert message == f"{path}: own_products[0].cost: expected a cost below the band's max (30), got 30"


def test_own_product_on_unknown_platform(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, replaced('platform = "shop"', 'platform = "taobao"'))
    assert message == f'{path}: own_products[0].platform: expected one of the configured platforms (shop), ' \
                      f'got "taobao"'


def test_keyword_on_unknown_platform(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[[keywords]]\nterm = "充电宝"\nplatforms = ["shop", "jd"]\n')
    assert message == f'{path}: keywords[0].platforms[1]: expected one of the configured platforms (shop), got "jd"'


def test_relative_product_url_needs_a_base_url(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, replaced('base_url = "http://127.0.0.1:9000"\n', "")
                             .replace('search_url = "/search', 'search_url = "http://127.0.0.1:9000/search'))
    assert message == (f'{path}: own_products[0].url: expected an absolute URL because platforms.shop.base_url '
                       f'is not set, got "/item/1.html"')


def test_shipped_demo_platforms_are_local_and_others_are_not_by_default(shipped: Config, tmp_path: Path) -> None:
    assert all(platform.local for platform in shipped.platforms.values())
    platform = load_config(write(tmp_path, MINIMAL)).platforms["shop"]
    assert platform.local is False and platform.allowed_domains == ()


def test_allowed_domains_are_domain_names(tmp_path: Path) -> None:
    def listing(domains: str) -> str:
        return replaced('name = "Shop"\n', f'name = "Shop"\nallowed_domains = {domains}\n')

    config = load_config(write(tmp_path, listing('["Club.JD.com"]'), name="ok.toml"))
    assert config.platforms["shop"].allowed_domains == ("club.jd.com",)
    path, message = error_of(tmp_path, listing('["https://x.cn"]'))
    assert message == (f'{path}: platforms.shop.allowed_domains[0]: expected a domain name such as "club.jd.com" '
                       f'(it and its subdomains), got "https://x.cn"')


def test_local_is_a_boolean(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, replaced('name = "Shop"\n', 'name = "Shop"\nlocal = "yes"\n'))
    assert message == f'{path}: platforms.shop.local: expected true or false, got "yes"'


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + "[crawl]\nretries = \n")
    line = MINIMAL.count("\n") + 2
    assert message == f"{path}: line {line}, column 11: invalid TOML: Invalid value"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert str(caught.value) == f"{tmp_path / 'nope.toml'}: config file not found (looked in {tmp_path})"


def test_password_in_file_is_rejected_without_echoing_it(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[smtp]\nusername = "bot"\npassword = "hunter2"\n')
    assert message == (f"{path}: smtp.password: secrets are never read from the config file: put the value in an "
                       f"environment variable and set password_env to that variable's name")
    assert "hunter2" not in message


def test_webhook_url_in_file_is_rejected(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[alerts.webhooks.chat]\nurl = "https://hook/t0ken"\n')
    assert f"{path}: alerts.webhooks.chat.url: secrets are never read from the config file" in message
    assert "url_env" in message and "t0ken" not in message


def test_cookie_header_is_rejected_without_echoing_it(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, replaced('name = "Shop"', 'name = "Shop"\nheaders = { Cookie = "sid=s3cr3t" }'))
    assert message.startswith(f"{path}: platforms.shop.headers: the Cookie header carries a secret")
    assert "s3cr3t" not in message


def test_bad_email_address(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[[alerts.routes]]\nrecipients = ["ops@example.com", "ops(at)x"]\n')
    assert message == (f'{path}: alerts.routes[0].recipients[1]: expected an e-mail address such as '
                       f'"ops@example.com", got "ops(at)x"')


def test_webhook_url_in_a_route_is_not_echoed(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[[alerts.routes]]\nwebhooks = ["https://hook.example/?token=t0k"]\n')
    assert message.startswith(f"{path}: alerts.routes[0].webhooks[0]: expected the name of an "
                              f"[alerts.webhooks.<name>] table (none configured), got a URL")
    assert "t0k" not in message


def test_secret_pasted_as_a_variable_name_is_not_echoed(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[smtp]\npassword_env = "p@ss w0rd"\n')
    assert message == (f'{path}: smtp.password_env: expected an environment variable name such as '
                       f'"SHOPSENTINEL_SMTP_PASSWORD" (the value is not shown, it may be a secret)')


def test_route_webhook_must_name_a_configured_webhook(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[[alerts.routes]]\nwebhooks = ["chat"]\n')
    assert message == (f'{path}: alerts.routes[0].webhooks[0]: expected the name of an [alerts.webhooks.<name>] '
                       f'table (none configured), got "chat"')


def test_selector_needs_exactly_one_source(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[platforms.shop.profile.product]\n'
                                                 'price = { css = ".p::text", xpath = "//p" }\n')
    assert message == (f'{path}: platforms.shop.profile.product.price: expected exactly one of css, xpath or json, '
                       f'got {{ css = ".p::text", xpath = "//p" }}')


def test_broken_css_selector_fails_at_load(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[platforms.shop.profile.product]\nprice = { css = "div[" }\n')
    assert message == f'{path}: platforms.shop.profile.product.price.css: expected a CSS selector such as ' \
                      f'".price::text", got "div["'


def test_browser_steps_need_a_browser_platform(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[platforms.shop.profile.product]\nsteps = [{ wait_for = ".p" }]\n')
    assert message == (f'{path}: platforms.shop.profile.product.steps: expected no browser steps because '
                       f'render = "http" (steps need render = "browser")')


def test_own_reviews_must_be_crawled_within_the_response_time(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[schedule]\nown_reviews = "2h"\n')
    assert message.startswith(f"{path}: schedule.own_reviews: expected own_reviews plus jitter to fit within "
                              f"thresholds.reviews.response_minutes (60)")
    assert message.endswith('got "2h" + "5m"')


def test_every_problem_is_reported_one_per_line(tmp_path: Path) -> None:
    text = replaced("cost = 10", "cost = -1").replace("safety_stock = 5", "safety_stock = 2.5")
    path, message = error_of(tmp_path, text + '[smtp]\nsecurity = "tls"\n')
    assert message.splitlines() == [
        f"{path}: own_products[0].cost: expected a number >= 0, got -1",
        f"{path}: own_products[0].safety_stock: expected an integer >= 0, got 2.5",
        f'{path}: smtp.security: expected one of "plain", "starttls", "ssl", got "tls"',
    ]


def test_unknown_key_without_a_close_match_lists_the_valid_keys(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, replaced("safety_stock = 5", "safety_stock = 5\nsku = 1"))
    assert message == (f"{path}: own_products[0].sku: unknown key, expected one of: "
                       f"platform, url, cost, band, safety_stock, name, category")


def test_keywords_default_to_platforms_that_can_search(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + '[platforms.plain]\nname = "Plain"\n'
                                                   'base_url = "https://plain.example"\n'
                                                   '[[keywords]]\nterm = "充电宝"\n'))
    assert config.keywords[0].platforms == ("shop",)


def test_platforms_are_required(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, "[crawl]\nretries = 1\n")
    assert message == f"{path}: platforms: missing required key, expected a table"


# --- secrets ----------------------------------------------------------------------------------------------------

def test_smtp_password_comes_from_the_environment_and_stays_out_of_repr(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path, MINIMAL + '[smtp]\nusername = "bot"\npassword_env = "TEST_SMTP_PW"\n'))
    monkeypatch.setenv("TEST_SMTP_PW", "pa55-w0rd")
    assert config.smtp.password() == "pa55-w0rd"
    assert "pa55-w0rd" not in repr(config) and "pa55-w0rd" not in str(config)
    assert "pa55-w0rd" not in config.model_dump_json()


def test_missing_password_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path, MINIMAL + '[smtp]\nusername = "bot"\npassword_env = "TEST_SMTP_PW"\n'))
    monkeypatch.delenv("TEST_SMTP_PW", raising=False)
    with pytest.raises(ConfigError, match="environment variable TEST_SMTP_PW is not set"):
        config.smtp.password()


def test_no_password_needed_without_a_username(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPSENTINEL_SMTP_PASSWORD", raising=False)
    assert load_config(write(tmp_path, MINIMAL)).smtp.password() is None


def test_webhook_url_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path, MINIMAL + '[alerts.webhooks.chat]\nurl_env = "TEST_HOOK"\n'
                                                   '[[alerts.routes]]\nwebhooks = ["chat"]\n'))
    monkeypatch.setenv("TEST_HOOK", "dingtalk://t0ken/")
    assert config.alerts.webhooks["chat"].url() == "dingtalk://t0ken/"
    assert "t0ken" not in repr(config)


# --- paths ------------------------------------------------------------------------------------------------------

def test_paths_are_relative_to_the_config_folder_not_the_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "cookies.txt").write_text("# Netscape HTTP Cookie File\n", encoding="utf-8")
    path = write(folder, replaced('name = "Shop"', 'name = "Shop"\ncookies_file = "cookies.txt"')
                 + '[store]\npath = "data/s.db"\n[paths]\nvar_dir = "../var"\n')
    monkeypatch.chdir(tmp_path)
    config = load_config("etc/cfg.toml")
    assert config.store.path == folder / "data" / "s.db"
    assert config.paths.var_dir == folder / "../var"
    assert config.platforms["shop"].cookies_file == folder / "cookies.txt"
    assert load_config(path).store.path == config.store.path


def test_missing_cookies_file_is_an_error(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, replaced('name = "Shop"', 'name = "Shop"\ncookies_file = "gone.txt"'))
    assert message == (f'{path}: platforms.shop.cookies_file: expected a path to an existing file, got "gone.txt" '
                       f"({tmp_path / 'gone.txt'} is not a file)")


# --- demo URLs --------------------------------------------------------------------------------------------------

def test_with_demo_urls_moves_platforms_and_their_relative_urls(shipped: Config) -> None:
    moved = with_demo_urls(shipped, {"shangcheng": "http://127.0.0.1:41001/", "laodian": "http://127.0.0.1:41002",
                                     "kuaigou": "http://127.0.0.1:41003"})
    assert moved.platforms["shangcheng"].base_url == "http://127.0.0.1:41001"
    assert [moved.own_product_url(p) for p in moved.own_products][::2] == [
        "http://127.0.0.1:41001/item/SC10001.html", "http://127.0.0.1:41002/goods.php?id=880001",
        "http://127.0.0.1:41003/p/7100000001"]
    assert moved.platforms["laodian"].hot_page_url() == "http://127.0.0.1:41002/top.php"
    assert shipped.platforms["shangcheng"].base_url == "http://127.0.0.1:8701"  # the original is untouched


def test_with_demo_urls_keeps_absolute_urls_and_non_demo_platforms(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + '[platforms.real]\nname = "Real"\n'
                                                   'base_url = "https://real.example"\n'
                                                   '[[competitors]]\nplatform = "shop"\n'
                                                   'url = "https://other.example/item/9"\n'))
    moved = with_demo_urls(config, {"shangcheng": "http://127.0.0.1:5555"})
    assert moved.platforms["real"].base_url == "https://real.example"
    assert moved.competitor_url(moved.competitors[0]) == "https://other.example/item/9"
    assert moved.own_product_url(moved.own_products[0]) == "http://127.0.0.1:5555/item/1.html"


def test_with_demo_urls_requires_every_demo_site(shipped: Config) -> None:
    with pytest.raises(ConfigError, match='platforms.laodian.demo_site: no demo URL given for "laodian"'):
        with_demo_urls(shipped, {"shangcheng": "http://127.0.0.1:1", "kuaigou": "http://127.0.0.1:3"})


def test_config_is_read_only(shipped: Config) -> None:
    product: OwnProduct = shipped.own_products[0]
    with pytest.raises(ValueError, match="frozen"):
        product.cost = 1.0  # type: ignore[misc]


def test_overrides_merge_key_by_key_and_are_validated_like_the_file() -> None:
    path = SHIPPED
    config = load_config(path, overrides={"crawl": {"download_delay_s": 0.0, "autothrottle": {"enabled": False}},
                                          "store": {"path": "var/demo/x.db"}})
    assert config.crawl.download_delay_s == 0.0 and config.crawl.autothrottle.enabled is False
    assert config.crawl.concurrency_per_domain == load_config(path).crawl.concurrency_per_domain, "others kept"
    assert config.store.path == path.parent / "var" / "demo" / "x.db", "paths resolve against the file's folder"
    with pytest.raises(ConfigError, match=r"crawl\.download_delay_s"):
        load_config(path, overrides={"crawl": {"download_delay_s": "fast"}})


def test_credentials_in_the_smtp_host_are_refused_without_echoing_them(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '[smtp]\nhost = "bot:hunter2@smtp.example.com"\n')
    assert message == (f"{path}: smtp.host: credentials do not belong in the host (the value is not shown, it may "
                       f"hold a password): give the host name alone, the user in smtp.username and the password in "
                       f"the environment variable named by smtp.password_env")
    assert "hunter2" not in message and "bot" not in message



# --- compliance ---------------------------------------------------------------------------------------------------

def test_the_old_compliance_severity_table_says_what_replaced_it(tmp_path: Path) -> None:
    path, message = error_of(tmp_path, MINIMAL + '\n[thresholds.compliance.severity]\nabsolute = "critical"\n')
    assert f"{path}: thresholds.compliance.severity: expected no [thresholds.compliance.severity] table" in message
    assert "alert_severity" in message and "its own tier" in message


def test_compliance_user_dictionary_is_validated_naming_the_key(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + '\n[compliance]\nallow = ["最江南"]\n'
                               'add = [{ term = "秒回本", family = "investment", severity = "critical", '
                               'suggestion = "删除", categories = ["finance"] }]\n'))
    assert config.compliance.allow == ("最江南",)
    assert (config.compliance.add[0].family, config.compliance.add[0].categories) == ("investment", ("finance",))
    _, message = error_of(tmp_path, MINIMAL + '\n[compliance]\nadd = [{ term = "x", family = "absolut", '
                                              'severity = "high", suggestion = "s", categories = ["shoes"] }]\n')
    assert "compliance.add[0].family: expected one of" in message and '"absolut"' in message
    assert "compliance.add[0].severity: expected one of" in message
    assert "compliance.add[0].categories[0]: expected one of" in message
    _, message = error_of(tmp_path, MINIMAL + '\n[compliance]\nallow = ["最江南", "最江南", ""]\n'
                                              'add = [{ term = "最江南", family = "absolute", severity = "info", '
                                              'suggestion = "s" }, { term = "a" }]\n')
    assert "compliance.allow[2]: expected a non-empty string" in message
    assert "compliance.add[1].family: missing required key" in message
    _, message = error_of(tmp_path, MINIMAL + '\n[compliance]\nallow = ["最江南", "最江南"]\n'
                                              'add = [{ term = "最江南", family = "absolute", severity = "info", '
                                              'suggestion = "s" }]\n')
    assert 'compliance.allow[0]: expected a term not also in compliance.add, got "最江南"' in message
    assert 'compliance.allow[1]: expected each term once, got "最江南" again' in message
    _, message = error_of(tmp_path, MINIMAL + '\n[compliance]\nblock = ["x"]\n')
    assert "compliance.block: unknown key" in message


def test_own_product_category_is_a_product_category(tmp_path: Path) -> None:
    _, message = error_of(tmp_path, replaced("safety_stock = 5", 'safety_stock = 5\ncategory = "shoes"'))
    assert 'own_products[0].category: expected one of "general", "food"' in message
