"""The command line: help everywhere, meaningful exit codes, and `demo` running the marketplace until Ctrl-C."""

from __future__ import annotations

import gzip
import json
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent import ExitCode, app
from conftest import fast_config, fetch

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

def command_paths(group, path=()) -> list[list[str]]:
    """Every command and group under `group`, sub-commands included, as the words that invoke it."""
    found = [list(path)]
    for name, command in getattr(group, "commands", {}).items():
        found += command_paths(command, (*path, name))
    return found


COMMANDS = command_paths(typer.main.get_command(app))


def test_the_help_walk_reaches_every_group_and_sub_command():
    assert {"nlp train", "nlp models", "nlp use", "nlp analyse", "alerts list", "alerts resolve", "demo", "scan",
            "check"} <= {" ".join(path) for path in COMMANDS}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_no_arguments_shows_help():
    result = runner.invoke(app, [])
    assert "demo" in result.output and "scan" in result.output


def test_unknown_option_is_a_usage_error():
    assert runner.invoke(app, ["demo", "--no-such-option"]).exit_code == ExitCode.USAGE


def test_broken_config_stops_demo_with_the_key_named(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text((ROOT / "config.toml").read_text(encoding="utf-8").replace("[store]", "[store]\nbogus_key = 1", 1),
                   encoding="utf-8")
    result = runner.invoke(app, ["--config", str(bad), "demo", "--port", "0"])
    assert result.exit_code == ExitCode.CONFIG
    assert "bogus_key" in result.output and str(bad) in result.output.replace("\n", "")


def start_demo(config: Path, *args: str) -> tuple[subprocess.Popen, dict]:
    """Run `agent.py demo --json` in a child process and return it with its ready line."""
    process = subprocess.Popen([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "demo", "--serve",
                                "--json", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    if not line or not line[0]:
        process.kill()
        pytest.fail(f"demo did not start: {process.stderr.read()}")
    return process, json.loads(line[0])


@pytest.fixture
def config_copy(tmp_path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return config


@pytest.mark.integration
def test_demo_serves_the_marketplace_and_stops_cleanly_on_ctrl_c(config_copy):
    process, ready = start_demo(config_copy, "--port", "0")
    try:
        assert set(ready["sites"]) == {"control", "shangcheng", "laodian", "kuaigou"}
        truth = json.loads(fetch(ready["ground_truth_url"]).body)
        assert truth["step"] == 0
        assert json.loads(Path(ready["ground_truth_file"]).read_text(encoding="utf-8"))["step"] == 0
        assert Path(ready["ground_truth_file"]).is_relative_to(config_copy.parent)
        assert fetch(ready["sites"]["shangcheng"] + "/item/SC10001.html").status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.integration
def test_demo_falls_back_to_free_ports_when_its_port_is_taken(config_copy):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process, ready = start_demo(config_copy, "--port", str(port))
        try:
            assert not ready["sites"]["control"].endswith(f":{port}")
            assert fetch(ready["sites"]["laodian"] + "/top.php").status == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(20) == 0
            assert "taken" in process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()


@pytest.mark.integration
def test_scan_prints_the_competitor_table_as_json(tmp_path, marketplace):
    config = fast_config(tmp_path, marketplace.sites)
    result = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "scan", "-k", "充电宝",
                             "-p", "laodian", "--no-reviews", "--json"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [table] = report["tables"]
    assert (table["keyword"], table["platform"]) == ("充电宝", "laodian")
    truth = {p["url"]: p for p in marketplace.ground_truth()["products"]}
    assert len(table["listings"]) >= 10
    for listing in table["listings"]:
        assert listing["price"] == pytest.approx(truth[listing["url"]]["price"])
    competitors = sorted(x["price"] for x in table["listings"] if not x["own"])
    assert table["band"]["min"] == competitors[0] and table["band"]["max"] == competitors[-1]
    [own] = table["own"]
    assert own["url"].endswith("goods.php?id=880002") and own["zone"] in {"below", "low", "middle", "high", "above"}
    assert [run["kind"] for run in report["runs"]] == ["hot_terms", "search"]
    assert report["failed_platforms"] == []


@pytest.mark.integration
def test_scan_reports_a_platform_that_fails_wholesale(tmp_path, fresh_marketplace):
    fresh_marketplace.add_fault(kind="status", status=500, platform="laodian")
    config = fast_config(tmp_path, fresh_marketplace.sites, retries=0)
    result = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "scan", "-k", "充电宝",
                             "-p", "laodian", "-p", "shangcheng", "--no-reviews"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == ExitCode.FINDINGS, result.stderr
    assert "FAILED" in result.stdout and "price band" in result.stdout


FIXTURES = ROOT / "tests" / "fixtures" / "pages"


def test_extract_saved_pages_prints_one_json_line_each(tmp_path):
    gzipped = tmp_path / "legacy.html.gz"
    gzipped.write_bytes(gzip.compress((FIXTURES / "legacy_gbk.html").read_bytes()))
    result = runner.invoke(app, ["extract", str(FIXTURES / "jsonld_offer.html"), str(gzipped), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [list(line) for line in lines] == [["source", "name", "price", "currency", "availability", "sku", "rule"]] * 2
    assert lines[0]["rule"] == "jsonld" and lines[1]["source"] == str(gzipped)
    assert all(isinstance(line["price"], float) and line["name"] for line in lines)


def test_extract_says_what_failed_and_exits_1(tmp_path):
    result = runner.invoke(app, ["extract", str(FIXTURES / "noprice.html"), str(tmp_path / "missing.html"), "--json"])
    assert result.exit_code == ExitCode.FINDINGS
    [line] = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert line["price"] is None
    assert "missing.html" in result.stderr


def extract_lines(*args: str):
    result = runner.invoke(app, ["extract", *args, "--json"])
    return result, [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_extract_reviews_with_a_shipped_profile_from_gbk_jsonp():
    result, lines = extract_lines(str(FIXTURES / "jd" / "reviews.jsonp"), "--kind", "reviews", "--platform", "jd")
    assert result.exit_code == 0, result.output
    assert [list(line) for line in lines] == [["source", "id", "text", "stars", "date", "append"]] * 2
    assert lines[0]["stars"] == 5.0 and lines[0]["date"] == "2026-11-28T21:14:05+08:00"
    assert lines[0]["append"] == "用了两周，布面有点起球，其他都好。" and lines[1]["append"] is None


def test_extract_search_listings_from_several_files():
    result, lines = extract_lines(str(FIXTURES / "taobao" / "search.html"), str(FIXTURES / "tmall" / "search.html"),
                                  "--kind", "search", "--platform", "tmall")
    assert result.exit_code == 0, result.output
    assert [list(line) for line in lines] == [["source", "rank", "title", "price", "url", "sales"]] * 5
    assert [line["rank"] for line in lines] == [1, 2, 3, 1, 2]  # ranks count within each file
    assert lines[0] == {"source": str(FIXTURES / "taobao" / "search.html"), "rank": 1,
                        "title": "山野户外露营椅折叠椅 超轻便携月亮椅", "price": 89.0,
                        "url": "https://item.taobao.com/item.htm?id=712345678901", "sales": 12000}
    assert lines[2]["price"] is None and lines[2]["sales"] is None


def test_extract_product_with_a_profile_scales_fen():
    result, [line] = extract_lines(str(FIXTURES / "pinduoduo" / "goods.html"), "--platform", "pinduoduo")
    assert result.exit_code == 0, result.output
    assert (line["price"], line["currency"], line["rule"]) == (39.9, "CNY", "profile")


def test_extract_tables_for_search_and_reviews():
    for kind, name in (("search", "search.html"), ("reviews", "reviews.jsonp")):
        result = runner.invoke(app, ["extract", str(FIXTURES / "jd" / name), "--kind", kind, "--platform", "jd"])
        assert result.exit_code == 0, result.output
        assert "露营椅" in result.stdout or "结实" in result.stdout


def test_extract_a_file_that_yields_nothing_exits_1():
    result, lines = extract_lines(str(FIXTURES / "taobao" / "item.html"), str(FIXTURES / "taobao" / "rates.jsonp"),
                                  "--kind", "reviews", "--platform", "taobao")
    assert result.exit_code == ExitCode.FINDINGS
    assert len(lines) == 2 and "item.html" in result.stderr and "rates.jsonp" not in result.stderr


@pytest.mark.parametrize("args", [["--kind", "search"], ["--platform", "no-such-shop"],
                                  ["--kind", "reviews", "--platform", "jd", "--url", "https://item.jd.com/1.html"],
                                  ["--kind", "listing", "--platform", "jd"]])
def test_extract_usage_errors_exit_2(args):
    result = runner.invoke(app, ["extract", str(FIXTURES / "jd" / "search.html"), *args])
    assert result.exit_code == ExitCode.USAGE, result.output


@pytest.mark.integration
def test_extract_urls_through_the_crawler_with_profiles_and_the_browser(tmp_path, marketplace):
    config = fast_config(tmp_path, marketplace.sites)
    truth = {(p["platform"], p["item_id"]): p for p in marketplace.ground_truth()["products"]}
    urls = [truth[("shangcheng", "SC10001")]["url"], truth[("kuaigou", "7100000001")]["url"]]
    result = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "extract", "--json",
                             *(arg for u in urls for arg in ("--url", u))], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["source"] for line in lines] == urls
    assert lines[0]["price"] == truth[("shangcheng", "SC10001")]["price"] and lines[0]["rule"] == "jsonld"
    assert lines[1]["price"] == truth[("kuaigou", "7100000001")]["price"] and lines[1]["rule"] == "profile"
    assert lines[1]["name"] == truth[("kuaigou", "7100000001")]["title"]


@pytest.mark.integration
def test_extract_url_of_a_platform_without_a_profile_uses_the_generic_extractor(tmp_path, marketplace):
    expected = next(p for p in marketplace.ground_truth()["products"] if p["platform"] == "laodian")
    config = fast_config(tmp_path)  # the shipped ports: this marketplace's URLs belong to none of its platforms
    config.write_text(config.read_text(encoding="utf-8") + f'\n[platforms.bare]\nname = "无配置"\n'
                      f'base_url = "{marketplace.sites["laodian"]}"\nlocal = true\n', encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "extract", "--json",
                             "--url", expected["url"]], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["price"] == expected["price"] and line["name"] == expected["title"]
    assert line["rule"].startswith("dom:")


@pytest.mark.parametrize("url", ["file:///etc/hostname", "ftp://127.0.0.1/x.html", "/etc/hostname"])
def test_extract_url_takes_only_http_and_https(tmp_path, url):
    result = runner.invoke(app, ["--config", str(fast_config(tmp_path)), "extract", "--url", url])
    assert result.exit_code == ExitCode.USAGE
    assert "only http and https" in " ".join(result.stderr.split()) and result.stdout == ""


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/item/1.html", "http://169.254.169.254/latest/meta-data/",
                                 "http://[::1]:1/", "http://localhost:1/"])
def test_extract_url_of_no_platform_on_a_private_address_is_refused_before_crawling(tmp_path, url):
    result = runner.invoke(app, ["--config", str(fast_config(tmp_path)), "extract", "--url", url])
    assert result.exit_code == ExitCode.USAGE
    message = " ".join(result.stderr.split())
    assert "refused by URL policy" in message and "local = true" in message


@pytest.mark.integration
def test_extract_url_says_why_a_page_was_not_fetched(tmp_path, marketplace):
    config = fast_config(tmp_path, marketplace.sites)
    missing = marketplace.sites["shangcheng"] + "/item/NO-SUCH-ITEM.html"
    result = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(config), "extract",
                             "--url", missing], capture_output=True, text=True, timeout=300)
    assert result.returncode == ExitCode.FINDINGS
    assert f"{missing}: not fetched: HTTP 404" in " ".join(result.stderr.split())


# --- alerts ------------------------------------------------------------------------------------------------------

@pytest.fixture
def alert_store(tmp_path):
    """A config whose store holds two alerts: a critical one whose review text tries markup, and an info one."""
    from config import load_config
    from store import AlertRecord, open_store

    config = fast_config(tmp_path)
    with open_store(load_config(config).store.path) as db:
        db.add_alert(AlertRecord(dedup_key="review:negative:sc:r1", kind="negative_review", category="review",
                                 severity="critical", subject="3", title="New negative review [bold]x[/bold]",
                                 body="<script>alert(1)</script> 质量太差", evidence={"rating": 1}))
        db.add_alert(AlertRecord(dedup_key="price:move:9", kind="competitor_price_move", category="price",
                                 severity="info", subject="9", title="Competitor price drops 12%"))
    return config


def test_alerts_list_prints_newest_first_as_json_lines(alert_store):
    result = runner.invoke(app, ["--config", str(alert_store), "alerts", "list", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["kind"] for line in lines] == ["competitor_price_move", "negative_review"]
    assert lines[1]["evidence"] == {"rating": 1} and lines[1]["state"] == "new"
    only = runner.invoke(app, ["--config", str(alert_store), "alerts", "list", "--category", "review", "--json"])
    assert len(only.stdout.splitlines()) == 1


def test_alerts_show_ack_and_resolve(alert_store):
    shown = runner.invoke(app, ["--config", str(alert_store), "alerts", "show", "1"])
    assert shown.exit_code == 0 and "[bold]x[/bold]" in shown.stdout, "crawled text is shown as text, not markup"
    assert "<script>alert(1)</script>" in shown.stdout and "none planned yet" in shown.stdout
    acked = runner.invoke(app, ["--config", str(alert_store), "alerts", "ack", "1"])
    assert acked.exit_code == 0 and "acknowledged" in acked.stdout
    assert runner.invoke(app, ["--config", str(alert_store), "alerts", "resolve", "1"]).exit_code == 0
    again = runner.invoke(app, ["--config", str(alert_store), "alerts", "ack", "1"])
    assert again.exit_code == ExitCode.USAGE and "is resolved" in again.output
    missing = runner.invoke(app, ["--config", str(alert_store), "alerts", "show", "99"])
    assert missing.exit_code == ExitCode.USAGE and "no alert with id 99" in missing.output
    bad = runner.invoke(app, ["--config", str(alert_store), "alerts", "list", "--state", "open"])
    assert bad.exit_code == ExitCode.USAGE


def test_alerts_show_lists_the_message_that_carried_an_alert_and_why_one_was_not_sent(alert_store, monkeypatch):
    """After delivery, each delivery's row names its message (Message-ID, kind, destination, sent time), and an
    inhibited one says which alert inhibited it."""
    from config import load_config
    from delivery import deliver_pending
    from store import AlertRecord, open_store

    config = load_config(alert_store)
    with open_store(config.store.path) as db:
        below = db.add_alert(AlertRecord(dedup_key="price:below_cost:3", kind="price_below_cost", category="price",
                                         severity="critical", subject="3", title="Own price below cost"))
        band = db.add_alert(AlertRecord(dedup_key="price:out_of_band:3", kind="price_out_of_band",
                                        category="price", severity="warning", subject="3", title="Out of band"))
        report = deliver_pending(db, config, flush=True)
        [sent] = [d for d in db.deliveries(alert_id=1) if d.kind == "immediate"]
    assert report.messages >= 2 and report.suppressed == 1
    shown = runner.invoke(app, ["--config", str(alert_store), "alerts", "show", "1", "--json"])
    carried = {(d["kind"], d["destination"], d["state"], d["message_id"])
               for d in json.loads(shown.stdout)["deliveries"]}
    assert ("immediate", "ops-oncall@example.com", "sent", sent.message_id) in carried
    assert ("digest", "shop-digest@example.com", "sent") in {entry[:3] for entry in carried}
    inhibited = runner.invoke(app, ["--config", str(alert_store), "alerts", "show", str(band)])
    assert f"inhibited by alert #{below}" in inhibited.stdout and "suppressed" in inhibited.stdout
    terminal_of(monkeypatch, 80)   # a Message-ID is an id: never folded over two lines, even at 80 columns
    table = runner.invoke(app, ["--config", str(alert_store), "alerts", "show", "1"])
    assert_whole_on_a_line(table.stdout, [sent.message_id, "email:ops-oncall@example.com"])


# --- output that fits: 80 columns on a terminal, whole lines in a pipe ---------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def terminal_of(monkeypatch, width: int) -> None:
    """Makes the CLI's stdout console a terminal of `width` columns (CliRunner's stdout is not one)."""
    import agent

    monkeypatch.setattr(agent.out, "_force_terminal", True)
    monkeypatch.setattr(agent.out, "_width", width)


def assert_whole_on_a_line(output: str, values: list[str]) -> None:
    lines = ANSI.sub("", output).splitlines()
    for value in values:
        assert any(value in line for line in lines), f"{value!r} is split or missing:\n{output}"


def ascii_words(text: str) -> list[str]:
    return re.findall(r"[\x21-\x7e]+", text)


@pytest.fixture
def many_alerts(alert_store):
    """alert_store with 12 more price alerts whose titles hold long ASCII words and a path."""
    from config import load_config
    from store import AlertRecord, open_store

    with open_store(load_config(alert_store).store.path) as db:
        for n in range(12):
            db.add_alert(AlertRecord(dedup_key=f"price:move:{n + 100}", kind="competitor_price_move",
                                     category="price", severity="warning", subject=str(n + 100),
                                     title=f"露营椅 competitor price moved by {n}% see /var/lib/shopsentinel/"
                                           f"reports/report-20261207-{n:06d}.html"))
    return alert_store


def test_alerts_list_says_how_many_it_left_out_and_how_to_see_them(many_alerts):
    cut = runner.invoke(app, ["--config", str(many_alerts), "alerts", "list", "--limit", "5"])
    assert cut.exit_code == 0, cut.output
    assert "5 of 14 alerts" in cut.stdout
    assert "… and 9 more (see: python agent.py alerts list --limit 14)" in cut.stdout
    price = runner.invoke(app, ["--config", str(many_alerts), "alerts", "list", "--category", "price", "--limit", "3"])
    assert "… and 10 more (see: python agent.py alerts list --category price --limit 13)" in price.stdout
    whole = runner.invoke(app, ["--config", str(many_alerts), "alerts", "list"])
    assert "more" not in whole.stdout and "14 alerts" in whole.stdout


def test_alerts_list_json_is_cut_at_the_limit_with_nothing_but_json(many_alerts):
    result = runner.invoke(app, ["--config", str(many_alerts), "alerts", "list", "--limit", "5", "--json"])
    lines = result.stdout.splitlines()
    assert len(lines) == 5 and all(json.loads(line)["id"] for line in lines)
    assert [json.loads(line)["id"] for line in lines] == [14, 13, 12, 11, 10]


@pytest.mark.parametrize("width", [80, None], ids=["terminal-80", "pipe"])
def test_alerts_list_breaks_no_path_or_ascii_word(many_alerts, monkeypatch, width):
    from config import load_config
    from store import open_store

    if width:
        terminal_of(monkeypatch, width)
    result = runner.invoke(app, ["--config", str(many_alerts), "alerts", "list"])
    with open_store(load_config(many_alerts).store.path) as db:
        titles = [alert.title for alert in db.alerts()]
    assert_whole_on_a_line(result.stdout, [word for title in titles for word in ascii_words(title)])
    if width is None:   # in a pipe each row is one line: grep finds an alert whole
        assert_whole_on_a_line(result.stdout, titles)


@pytest.mark.parametrize("width", [80, None], ids=["terminal-80", "pipe"])
def test_status_prints_the_database_path_whole(alert_store, monkeypatch, width):
    from config import load_config

    if width:
        terminal_of(monkeypatch, width)
    result = runner.invoke(app, ["--config", str(alert_store), "status"])
    assert result.exit_code == 0, result.output
    assert_whole_on_a_line(result.stdout, [str(load_config(alert_store).store.path), "jobs"])


@pytest.mark.parametrize("width", [80, None], ids=["terminal-80", "pipe"])
def test_extract_tables_keep_paths_and_urls_whole(monkeypatch, width):
    if width:
        terminal_of(monkeypatch, width)
    files = [str(FIXTURES / "taobao" / "search.html"), str(FIXTURES / "tmall" / "search.html")]
    _, lines = extract_lines(*files, "--kind", "search", "--platform", "tmall")
    table = runner.invoke(app, ["extract", *files, "--kind", "search", "--platform", "tmall"])
    assert table.exit_code == 0, table.output
    assert_whole_on_a_line(table.stdout, files + [line["url"] for line in lines] + ["search listings"])
    if width is None:
        assert_whole_on_a_line(table.stdout, [line["title"] for line in lines])


def test_check_prints_each_suggestion_on_the_line_of_its_violation_in_a_pipe():
    result = runner.invoke(app, ["check", "--text", "全网最低价 露营椅 第一品牌 国家级品质 三天瘦5斤"])
    assert result.exit_code == ExitCode.FINDINGS
    for line in result.stdout.splitlines():
        if line.startswith("  critical"):
            assert "→" in line and line.rstrip()[-1] != "→", line


def test_no_table_title_is_printed_one_character_a_line(alert_store, monkeypatch):
    terminal_of(monkeypatch, 80)
    result = runner.invoke(app, ["--config", str(alert_store), "alerts", "list"])
    lines = ANSI.sub("", result.stdout).splitlines()
    assert lines[0] == "2 alerts"
    assert not [line for line in lines if re.fullmatch(r"\s*\S\s*", line)]


# --- input that is not plain UTF-8: check, sentiment and extract in a real process ----------------------------------

BREACHES = "全网最低价的露营椅\n国家级品质，户外折叠椅\n"


def run_agent(*args: str, stdin=None, input: bytes | None = None, closed_stdin: bool = False):
    """The real CLI in a child process, bytes in and text out; `closed_stdin` starts it with file descriptor 0
    closed (as `<&-` does in a shell)."""
    command = [sys.executable, str(ROOT / "agent.py"), "--config", str(ROOT / "config.toml"), *args]
    if closed_stdin:
        command = ["sh", "-c", 'exec "$0" "$@" <&-', *command]
    result = subprocess.run(command, cwd=ROOT, stdin=stdin, input=input, capture_output=True, timeout=120)
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode(),
                                       result.stderr.decode())


def one_line(text: str) -> str:
    """Rich wraps stderr at 80 columns in a pipe; messages are checked unwrapped."""
    return " ".join(text.split())


@pytest.mark.integration
@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "gb18030", "utf-8-sig"])
def test_check_finds_violations_in_a_file_of_any_supported_encoding(tmp_path, encoding):
    path = tmp_path / "titles.txt"
    path.write_bytes(BREACHES.encode(encoding))
    result = run_agent("check", str(path), "--json")
    assert result.returncode == ExitCode.FINDINGS, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["text"] for line in lines] == BREACHES.split()
    assert all(line["violations"] for line in lines)


@pytest.mark.integration
def test_check_refuses_binary_naming_the_file_and_line(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(b"PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    result = run_agent("check", str(path))
    assert result.returncode == ExitCode.USAGE
    assert f"{path}: line 2: not text" in one_line(result.stderr) and "Traceback" not in result.stderr
    assert "checked" not in result.stdout


@pytest.mark.integration
def test_check_survives_a_long_first_line_and_says_it_was_cut(tmp_path):
    path = tmp_path / "titles.txt"
    path.write_text("好" * 200_000 + "\n全网最低价\n", encoding="utf-8")
    result = run_agent("check", str(path), "--json")
    assert result.returncode == ExitCode.FINDINGS, result.stderr
    assert [len(json.loads(line)["text"]) for line in result.stdout.splitlines()] == [20_000, 5]
    assert f"{path}: line 1 has 200,000 characters; only the first 20,000 are checked" in one_line(result.stderr)


@pytest.mark.integration
@pytest.mark.parametrize("encoding", ["gb18030", "utf-16"])
def test_check_reads_stdin_as_bytes_in_any_supported_encoding(encoding):
    result = run_agent("check", "-", "--json", input=BREACHES.encode(encoding))
    assert result.returncode == ExitCode.FINDINGS, result.stderr
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == BREACHES.split()


@pytest.mark.integration
@pytest.mark.parametrize("command", [["check", "-"], ["sentiment", "-", "--json"]], ids=["check", "sentiment"])
def test_binary_or_closed_stdin_is_a_usage_error(command):
    binary = run_agent(*command, input="好评\n".encode() + b"\x00\x01\xfe\xff" * 100)
    assert binary.returncode == ExitCode.USAGE
    assert "standard input: line 2: not text" in one_line(binary.stderr) and "Traceback" not in binary.stderr
    closed = run_agent(*command, closed_stdin=True)
    assert closed.returncode == ExitCode.USAGE and "standard input is closed" in closed.stderr, closed.stderr
    assert "Traceback" not in closed.stderr


@pytest.mark.integration
def test_check_with_empty_stdin_says_there_is_nothing_to_check():
    result = run_agent("check", "-", stdin=subprocess.DEVNULL)
    assert result.returncode == ExitCode.USAGE and "standard input holds no text" in one_line(result.stderr)


@pytest.mark.integration
def test_sentiment_reads_gb18030_stdin_and_cuts_a_huge_line(tmp_path):
    reviews = "质量很好，推荐购买\n包装太差，退货\n"
    result = run_agent("sentiment", "-", "--json", input=reviews.encode("gb18030"))
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == reviews.split()
    path = tmp_path / "reviews.txt"
    path.write_text("好" * 1_000_000 + "\n包装太差，退货\n", encoding="utf-8")
    result = run_agent("sentiment", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert [len(json.loads(line)["text"]) for line in result.stdout.splitlines()] == [20_000, 7]
    assert f"{path}: line 1 has 1,000,000 characters; only the first 20,000 are scored" in one_line(result.stderr)


@pytest.mark.integration
def test_extract_reports_a_truncated_gzip_page_and_keeps_the_good_one(tmp_path):
    truncated = tmp_path / "truncated.html.gz"
    truncated.write_bytes(gzip.compress((FIXTURES / "legacy_gbk.html").read_bytes())[:-40])
    result = run_agent("extract", str(FIXTURES / "jsonld_offer.html"), str(truncated), "--json")
    assert result.returncode == ExitCode.FINDINGS
    [line] = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["source"] == str(FIXTURES / "jsonld_offer.html") and line["price"] is not None
    assert f"{truncated}: truncated or corrupt gzip file" in one_line(result.stderr)
    assert "Aborted" not in result.stderr and "Traceback" not in result.stderr


def test_check_csv_with_a_cell_over_csv_field_limit_is_a_usage_error_naming_the_line(tmp_path):
    path = tmp_path / "listings.csv"
    path.write_text('id,title\n1,"' + "\n".join(["好" * 19_000] * 10) + '"\n2,最好\n', encoding="utf-8")
    result = runner.invoke(app, ["--config", str(ROOT / "config.toml"), "check", str(path)])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert f"{path}: line 8: not a readable CSV row (field larger than field limit" in " ".join(result.output.split())


def test_an_alert_id_beyond_sqlite_integers_is_an_unknown_id(alert_store):
    for command in ("show", "ack", "resolve"):
        result = runner.invoke(app, ["--config", str(alert_store), "alerts", command, "99999999999999999999999"])
        assert result.exit_code == ExitCode.USAGE, (command, result.output, result.exception)


# --- store and config faults: one line, the right exit code ------------------------------------------------------

def agent_process(config: Path, *args: str, env: dict[str, str] | None = None,
                  wrap=lambda command: command) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(wrap([sys.executable, str(ROOT / "agent.py"), "--config", str(config), *args]),
                          capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


@pytest.mark.integration
def test_alerts_ack_on_a_database_locked_by_another_process_exits_75(alert_store):
    from config import load_config
    from faults import database_locked, one_error_line

    database = load_config(alert_store).store.path
    with database_locked(database):
        result = agent_process(alert_store, "alerts", "ack", "1")
    assert result.returncode == ExitCode.BUSY == 75, result.stderr
    line = one_error_line(result.stderr)
    assert str(database) in line and line.endswith("database is locked")


@pytest.mark.integration
def test_scan_on_a_database_locked_by_another_process_exits_75(alert_store):
    from config import load_config
    from faults import database_locked, one_error_line

    database = load_config(alert_store).store.path
    with database_locked(database):
        result = agent_process(alert_store, "scan", "-k", "充电宝", "-p", "laodian", "--no-reviews")
    assert result.returncode == ExitCode.BUSY, result.stderr
    line = one_error_line(result.stderr)
    assert str(database) in line and line.endswith("database is locked")


@pytest.mark.integration
@pytest.mark.parametrize("command", [["scan", "-k", "充电宝", "-p", "laodian", "--no-reviews"], ["status"],
                                     ["alerts", "list"], ["report"]], ids=lambda c: c[0])
def test_a_corrupt_database_exits_4_with_one_line(tmp_path, command):
    import random

    from config import load_config

    config = fast_config(tmp_path)
    database = load_config(config).store.path
    database.parent.mkdir(parents=True)
    database.write_bytes(random.Random(13).randbytes(64 * 1024))
    result = agent_process(config, *command)
    assert result.returncode == ExitCode.STORE == 4, result.stderr
    from faults import one_error_line

    line = one_error_line(result.stderr)
    assert str(database) in line and line.endswith("not a SQLite database (refusing to open it as the ShopSentinel "
                                                   "store)")


@pytest.mark.integration
def test_scan_with_a_read_only_var_directory_exits_4(tmp_path):
    from config import load_config
    from faults import one_error_line, unprivileged
    from store import open_store

    config = fast_config(tmp_path)
    database = load_config(config).store.path
    open_store(database).close()
    var = database.parent
    var.chmod(0o555)
    try:
        result = agent_process(config, "scan", "-k", "充电宝", "-p", "laodian", "--no-reviews", wrap=unprivileged)
    finally:
        var.chmod(0o755)
    assert result.returncode == ExitCode.STORE, result.stderr
    line = one_error_line(result.stderr)
    assert str(database) in line and line.endswith("attempt to write a readonly database")


def test_a_directory_given_as_config_is_a_config_error(tmp_path):
    result = runner.invoke(app, ["--config", str(tmp_path), "status"])
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert f"{tmp_path}: cannot read config file: Is a directory" in result.output


@pytest.mark.integration
def test_a_config_file_the_user_cannot_read_is_a_config_error(config_copy):
    from faults import one_error_line, unprivileged

    config_copy.chmod(0o000)
    try:
        result = agent_process(config_copy, "status", wrap=unprivileged)
    finally:
        config_copy.chmod(0o644)
    assert result.returncode == ExitCode.CONFIG, result.stderr
    assert one_error_line(result.stderr) == f"error: {config_copy}: cannot read config file: Permission denied"


def test_error_messages_print_brackets_as_they_are(tmp_path):
    missing = tmp_path / "[red]shop[/red]" / "config.toml"
    result = runner.invoke(app, ["--config", str(missing), "status"])
    assert result.exit_code == ExitCode.CONFIG
    assert f"error: {missing}: config file not found" in result.output


@pytest.mark.integration
@pytest.mark.parametrize("where", ["var/reports", "--output"])
def test_report_that_cannot_be_written_names_the_place(tmp_path, where):
    from config import load_config
    from faults import one_error_line, unprivileged
    from store import open_store

    config = fast_config(tmp_path)
    loaded = load_config(config)
    open_store(loaded.store.path).close()
    folder = loaded.paths.reports_dir if where == "var/reports" else tmp_path / "elsewhere"
    folder.mkdir(parents=True)
    folder.chmod(0o555)
    output = ["--output", str(folder / "weekly.html")] if where == "--output" else []
    try:
        result = agent_process(config, "report", *output, wrap=unprivileged)
    finally:
        folder.chmod(0o755)
    assert result.returncode == (ExitCode.STORE if where == "var/reports" else ExitCode.USAGE), result.stderr
    assert one_error_line(result.stderr).startswith(f"error: cannot write the report to {folder}")


# --- the operator's language: zh_CN by default, English on request ------------------------------------------------

# Runs that may not be read as English sentences: Click's usage line (the command path), URLs, paths, options, backticked commands, the command line itself,
# and words with digits, dots, underscores or @ (ids, file names, e-mail addresses, rule names).
NOT_PROSE = re.compile(r"Usage: .*|https?://\S+|\S*/\S*|(?<!\w)--?[a-z][\w-]*|`[^`]*`|python agent\.py[^\n│]*"
                       r"|\S*[\d_.@]\S*")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z][a-z]+(?:[ ,]+[A-Za-z][a-z]+){2,}")


def english_sentences(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Three or more English words in a row, outside `allowed` texts (crawled or stored data) and NOT_PROSE."""
    for data in allowed:
        text = text.replace(data, "|")
    return ENGLISH_SENTENCE.findall(NOT_PROSE.sub("|", ANSI.sub("", text)))


def chinese_interface_phrases() -> set[str]:
    """The Chinese phrases of the zh_CN catalogue (its translations cut at their placeholders), four characters or
    longer: any of them in English output is interface text that did not switch language."""
    from babel.messages.pofile import read_po

    import i18n

    with (i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as po:
        catalogue = read_po(po)
    sources = " ".join(" ".join(m.id) if isinstance(m.id, tuple) else m.id for m in catalogue if m.id)
    phrases = set()
    for message in catalogue:
        for text in (message.string if isinstance(message.string, tuple) else (message.string,)):
            # Chinese an English source has too (a CSV column name such as 评价内容) is not a translation
            phrases.update(part for part in re.split(r"\{[^}]*\}|[\s，。：；（）、“”《》…·|]+", text or "")
                           if len(re.findall(r"[\u4e00-\u9fff]", part)) >= 4 and part not in sources)
    return phrases


def page_text(html: str) -> str:
    """The text a reader of an HTML page sees: its body without tags (chart tooltips included)."""
    return re.sub(r"<[^>]+>", "\n", html.split("<body>", 1)[1])


STORED_ALERT_TEXTS = ("New negative review [bold]x[/bold]", "Competitor price drops 12%")


READ_ONLY_COMMANDS = [(["alerts", "list"], ExitCode.OK), (["alerts", "show", "1"], ExitCode.OK),
                      (["status"], ExitCode.OK), (["check", "--text", "全网最低价 露营椅"], ExitCode.FINDINGS),
                      (["nlp", "models"], ExitCode.OK), (["report"], ExitCode.OK)]


def test_read_only_commands_speak_chinese_by_default_and_english_with_lang_en(alert_store, tmp_path, monkeypatch):
    """What each command prints (the report: its page's text) in zh_CN has no English sentence but the stored
    alerts' own; with --lang en it has none of the catalogue's Chinese."""
    monkeypatch.delenv("SHOPSENTINEL_LANG")
    phrases = chinese_interface_phrases()

    def shown(command: list[str], code: int, *lang: str) -> str:
        report = ["--output", str(tmp_path / f"report-{'-'.join(lang)}.html")] if command == ["report"] else []
        result = runner.invoke(app, ["--config", str(alert_store), *lang, *command, *report])
        assert result.exit_code == code, (command, result.output)
        return result.output + (page_text(Path(report[1]).read_text(encoding="utf-8")) if report else "")

    for command, code in READ_ONLY_COMMANDS:
        chinese, english = shown(command, code), shown(command, code, "--lang", "en")
        assert re.search(r"[\u4e00-\u9fff]", chinese), command
        assert not english_sentences(chinese, STORED_ALERT_TEXTS), (command, chinese)
        assert not [phrase for phrase in phrases if phrase in english], (command, english)
        assert english_sentences(english) or command != ["report"], english


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_every_command_has_help_in_chinese(command, monkeypatch):
    monkeypatch.delenv("SHOPSENTINEL_LANG")
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert re.search(r"[\u4e00-\u9fff]{4}", result.output)
    assert not english_sentences(result.output), result.output
    english = runner.invoke(app, ["--lang", "en", *command, "--help"]).output
    assert not [phrase for phrase in chinese_interface_phrases() if phrase in english], english


def test_json_output_is_the_same_in_every_language(alert_store):
    for command in (["alerts", "list"], ["alerts", "show", "2"], ["check", "--text", "全网最低价 露营椅"],
                    ["nlp", "models"]):
        lines = {lang: runner.invoke(app, ["--config", str(alert_store), "--lang", lang, *command, "--json"]).stdout
                 for lang in ("zh_CN", "en")}
        assert lines["zh_CN"] == lines["en"] and all(json.loads(line) for line in lines["en"].splitlines())


def test_the_language_comes_from_lang_then_the_environment_then_the_config(alert_store, monkeypatch):
    monkeypatch.delenv("SHOPSENTINEL_LANG")
    english_config = alert_store.with_name("english.toml")
    shipped = alert_store.read_text(encoding="utf-8")
    assert 'locale = "zh_CN"' in shipped
    english_config.write_text(shipped.replace('locale = "zh_CN"', 'locale = "en"', 1), encoding="utf-8")

    def title(*args: str, env: dict[str, str] | None = None) -> str:
        result = runner.invoke(app, [*args, "alerts", "list"], env=env)
        assert result.exit_code == 0, result.output
        return ANSI.sub("", result.stdout).splitlines()[0]

    assert title("--config", str(alert_store)) == "2 条告警"
    assert title("--config", str(english_config)) == "2 alerts"
    assert title("--config", str(english_config), env={"SHOPSENTINEL_LANG": "zh_CN"}) == "2 条告警"
    assert title("--config", str(alert_store), "--lang", "en", env={"SHOPSENTINEL_LANG": "zh_CN"}) == "2 alerts"


def test_an_unknown_language_is_a_usage_error_naming_the_choices(alert_store):
    result = runner.invoke(app, ["--config", str(alert_store), "--lang", "fr", "alerts", "list"])
    assert result.exit_code == ExitCode.USAGE
    assert "'fr'" in result.output and "zh_CN" in result.output


def test_a_broken_config_is_reported_in_the_language_asked_for(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOPSENTINEL_LANG")
    bad = tmp_path / "config.toml"
    bad.write_text('locale = "en"\n[store]\nbogus_key = 1\n', encoding="utf-8")
    chinese = runner.invoke(app, ["--config", str(bad), "status"])
    assert chinese.exit_code == ExitCode.CONFIG and chinese.output.startswith("错误：")
    english = runner.invoke(app, ["--config", str(bad), "--lang", "en", "status"])
    assert english.exit_code == ExitCode.CONFIG and english.output.startswith("error: ")
