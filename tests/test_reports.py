"""The HTML report (reports/): on a hand-built store with hostile crawled text, and from a real crawl of the demo."""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import i18n
from agent import ExitCode, app
from config import Config, load_config
from monitors.runner import run_monitors
from nlp import insights
from reports import build_report, gather_report, latest_report, write_report
from reports.build import web_url
from reports.charts import sparkline
from reports.compliance import MAX_COMPETITOR_FINDINGS, marked_segments
from reports.period import Period
from reports.prices import band_points, keyword_prices
from store import (
    AlertRecord,
    DeliveryRecord,
    HotTermRecord,
    PriceObservation,
    PriceRow,
    ProductRecord,
    ReviewRecord,
    ReviewThemeRecord,
    SearchHit,
    open_store,
)
from store.timestamps import utc_now
from tests.conftest import ROOT, fast_config

# Behaviour is asserted on the English msgids; test_the_report_speaks_chinese_by_default checks zh_CN.
pytestmark = pytest.mark.usefixtures("english")

runner = CliRunner()
HOSTILE_REVIEW = "<script>alert(1)</script>质量太差了"
HOSTILE_TERM = "<img src=x onerror=alert(2)>露营"
HOSTILE_URL = "javascript:alert(3)"
SHOP = "https://shop.example.com"


@dataclass
class Seeded:
    config_path: Path
    config: Config
    now: datetime
    competitor_prices: list[float]   # latest price of each competitor
    own_title: str


def _hour(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Seeded:
    """A store with a week of one keyword (露营椅 on shangcheng): our product and four competitors priced over
    several days, negative reviews with themes, three hot-term snapshots, compliance findings and alerts, plus
    data from ten days ago that a 7-day report must leave out."""
    directory = tmp_path_factory.mktemp("report")
    config_path = fast_config(directory)
    config = load_config(config_path)
    now = utc_now()
    own_title = "最好的露营椅 超轻便携"
    with open_store(config.store.path) as store:
        own = store.upsert_product(ProductRecord(platform="shangcheng", url=f"{SHOP}/item/1.html", item_id="1",
                                                 title=own_title, shop="山野优选旗舰店", own=True, cost=50.0,
                                                 band_min=60.0, band_max=120.0))
        competitors = [
            store.upsert_product(ProductRecord(platform="shangcheng", url=url, item_id=str(10 + index), title=title,
                                               shop=shop))
            for index, (url, title, shop) in enumerate([
                (f"{SHOP}/item/10.html", "折叠露营椅 铝合金", "户外之家"),
                (f"{SHOP}/item/11.html", "全网最低价露营椅", "低价店"),
                (f"{SHOP}/item/12.html", "便携露营椅 钓鱼凳", "<b>粗体店</b>"),
                (HOSTILE_URL, "危险链接露营椅", "黑店"),
            ])]
        latest = [100.0, 120.0, 150.0, 200.0]
        for hours, factor in ((72, 1.1), (48, 1.05), (1, 1.0)):
            for product_id, price in zip(competitors, latest):
                store.add_price_observation(product_id, PriceObservation(price=round(price * factor, 2),
                                                                         observed_at=_hour(now, hours)))
        for hours, price in ((240, 90.0), (72, 80.0), (1, 72.0)):
            store.add_price_observation(own, PriceObservation(price=price, observed_at=_hour(now, hours)))
        for hours in (72, 1):
            hits = [SearchHit(rank=rank, product_id=pid) for rank, pid in enumerate([*competitors, own], start=1)]
            store.add_search_results("shangcheng", "露营椅", hits, observed_at=_hour(now, hours))

        negatives = [("椅子质量差，一坐就坏", "质量"), ("质量不行，做工粗糙", "质量"), ("用了两次就断了", "质量"),
                     (HOSTILE_REVIEW, "稳定")]
        store.add_reviews(competitors[0], [ReviewRecord(text=text, rating=1.0, review_id=f"n{i}")
                                           for i, (text, _) in enumerate(negatives)])
        store.add_reviews(competitors[0], [ReviewRecord(text="很好用，推荐", rating=5.0, review_id="p1")])
        store.add_reviews(own, [ReviewRecord(text="扶手掉漆了", rating=2.0, review_id="own1")])
        for review in store.reviews_for(competitors[0]) + store.reviews_for(own):
            theme = dict(negatives).get(review.text) or ("做工" if review.text == "扶手掉漆了" else None)
            if theme:
                store.set_review_themes(review.id, [ReviewThemeRecord(theme=theme, clause=review.text)])
        # as the analysis pass records them (nlp.insights), without its clustering of leftovers (sklearn, slow)
        for subject, product_id, reviews in (("keyword:露营椅", None, store.reviews_judged_negative(
                competitors, max_stars=2, max_score=0.4)), (f"product:{own}", own, store.reviews_for(own))):
            _, detail = insights.pain_point_detail(subject.split(":")[0], insights.stored_pains(store, reviews,
                                                                                                 cluster=False),
                                                   cluster=False)
            store.upsert_insight(insights.PAIN_POINTS, subject, detail, product_id=product_id, seen_at=now)

        snapshots = {
            72: [("露营椅", 1000.0), ("充电宝", 900.0), ("旧热词", 800.0)] + [(f"填充{i}", 100.0) for i in range(12)]
                + [("天幕", 50.0)],
            24: [("露营椅", 1100.0), ("天幕", 700.0), ("充电宝", 900.0)],
            1: [("露营椅", 2000.0), ("天幕", 800.0), ("充电宝", 950.0), (HOSTILE_TERM, 300.0)],
        }
        for hours, terms in snapshots.items():
            store.add_hot_terms("shangcheng", [HotTermRecord(rank=rank, term=term, heat=heat)
                                               for rank, (term, heat) in enumerate(terms, start=1)],
                                observed_at=_hour(now, hours))

        run_monitors(store, config, now=_hour(now, 2), only=["compliance"])
        store.add_alert(AlertRecord(dedup_key="old", kind="price_below_cost", category="price", severity="critical",
                                    title="十天前的旧告警"), created_at=_hour(now, 240))
        hostile = store.add_alert(AlertRecord(dedup_key="hostile", kind="negative_review", category="review",
                                              severity="warning", title=f"差评: {HOSTILE_REVIEW}"),
                                  created_at=_hour(now, 3))
        store.plan_deliveries(hostile, [DeliveryRecord(channel="email", destination="ops@example.com",
                                                       kind="immediate")], now=_hour(now, 3))
        run = store.begin_run("search", platform="shangcheng")
        store.finish_run(run, "ok", stats={"pages": 7, "items": {"ProductItem": 5}, "platforms": {}})
    return Seeded(config_path, config, now, latest, own_title)


@pytest.fixture(scope="module")
def week(seeded) -> str:
    with open_store(seeded.config.store.path) as store, i18n.using("en"):
        return build_report(store, seeded.config, days=7, now=seeded.now)


def test_the_report_is_one_self_contained_file_under_var_reports(seeded):
    with open_store(seeded.config.store.path) as store:
        path = write_report(store, seeded.config, days=7, now=seeded.now)
    assert path.parent == seeded.config.paths.reports_dir
    assert re.fullmatch(r"report-\d{8}-\d{6}\.html", path.name)
    html = path.read_text(encoding="utf-8")
    assert html.count("<svg") >= 3
    assert not re.search(r"<(script|link|img|iframe|object)\b", html, re.IGNORECASE)
    assert not re.search(r"<[^>]*\bsrc\s*=|@import|url\(", html, re.IGNORECASE)
    external = re.findall(r'href="([^"]*)"', html)
    assert external and all(url.startswith(SHOP) for url in external)  # product links only, no assets
    assert latest_report(seeded.config) == path


def test_every_section_is_there(week):
    for anchor in ("prices", "pain-points", "hot-terms", "compliance", "alerts"):
        assert f'id="{anchor}"' in week
    assert "露营椅 · shangcheng" in week and 'id="empty"' not in week


def test_the_band_and_price_change_match_the_data(seeded, week):
    p25, median, p75 = statistics.quantiles(seeded.competitor_prices, n=4, method="inclusive")
    assert f"p25 ¥{p25:,.2f} · median ¥{median:,.2f} · p75 ¥{p75:,.2f}" in " ".join(week.split())
    # ours went from 80 to 72 within the week; the 90 of ten days ago counts only in a two-week report
    assert "-10.0%" in week
    with open_store(seeded.config.store.path) as store:
        fortnight = build_report(store, seeded.config, days=14, now=seeded.now)
    assert "-20.0%" in fortnight and "-10.0%" not in fortnight


def test_pain_point_shares_are_those_of_the_negative_reviews(week):
    # three of the four negative reviews of the keyword's competitors are about 质量, one (the hostile one) 稳定
    assert "75.0% (3/4)" in week and "25.0% (1/4)" in week
    assert "扶手掉漆了" in week  # our own product's pain points


def test_crawled_text_is_escaped_everywhere(week):
    assert "<script>" not in week and "<b>粗体店" not in week and "<img" not in week
    assert '<span class="clause">&lt;script&gt;alert(1)&lt;/script&gt;质量太差了</span>' in week  # a review example
    assert "<td>差评: &lt;script&gt;alert(1)&lt;/script&gt;质量太差了</td>" in week                  # an alert title
    assert "&lt;img src=x onerror=alert(2)&gt;露营" in week
    assert "&lt;b&gt;粗体店&lt;/b&gt;" in week


def test_a_javascript_url_never_becomes_a_link(week):
    assert "javascript:" not in week
    assert re.search(r"<td>危险链接露营椅</td>|>\s*危险链接露营椅", week)
    assert web_url(HOSTILE_URL) is None and web_url(" JavaScript:alert(1)") is None
    assert web_url("data:text/html,x") is None and web_url("http:///nohost") is None
    assert web_url(f"{SHOP}/item/1.html") == f"{SHOP}/item/1.html"


def test_hot_terms_show_new_dropped_and_jumping_terms(seeded):
    with open_store(seeded.config.store.path) as store:
        report = gather_report(store, seeded.config, days=7, now=seeded.now)
    [platform] = report.hot_terms
    lines = {line.term: line for line in platform.terms}
    assert platform.snapshots == 3
    assert "new" in lines[HOSTILE_TERM].signals
    assert "dropped" in lines["旧热词"].signals and lines["旧热词"].rank_now is None
    assert lines["天幕"].rank_change == 14 and "jump up" in lines["天幕"].signals  # 16th -> 2nd
    assert "heat surge" in lines["露营椅"].signals                                # 1000 -> 2000
    assert "<polyline" in lines["天幕"].sparkline


def test_compliance_findings_mark_the_span_in_the_title(week):
    assert "<mark>最好</mark>的露营椅 超轻便携" in week          # ours, from the alert
    assert "全网<mark>最低价</mark>露营椅" in week or "<mark>全网最低价</mark>露营椅" in week  # a competitor's insight
    assert "《广告法》第九条第三项" in week


def test_the_alert_log_keeps_to_the_period_and_shows_delivery(seeded, week):
    assert "十天前的旧告警" not in week
    assert "pending (0 of 1 sent)" in week
    with open_store(seeded.config.store.path) as store:
        fortnight = gather_report(store, seeded.config, days=14, now=seeded.now)
    assert "十天前的旧告警" in [line.alert.title for line in fortnight.alerts]


def test_a_later_week_flags_old_analysis_and_lists_our_unobserved_products(seeded):
    with open_store(seeded.config.store.path) as store:
        report = gather_report(store, seeded.config, days=7, now=seeded.now + timedelta(days=8))
        html = build_report(store, seeded.config, days=7, now=seeded.now + timedelta(days=8))
    assert report.pain_points and all(scope.stale for scope in report.pain_points)
    assert "before this period: re-run the analysis" in html
    assert not report.keywords and not report.hot_terms and not report.alerts
    [own] = report.ungrouped_own
    assert own.product.title == seeded.own_title and own.latest is None and not own.chart
    assert "(no price observed in the period)" in html


def test_latest_crawl_runs_are_in_the_header(week):
    assert "ProductItem 5" in week


def headings(html: str) -> list[str]:
    """The text of the page's title, h1, h2 and table headers: the report's own words, never crawled."""
    return [re.sub(r"<[^>]+>", "", text).strip()
            for text in re.findall(r"<(?:title|h1|h2[^>]*|th[^>]*)>(.*?)</", html, re.DOTALL)]


def test_the_report_speaks_chinese_by_default_and_english_on_request(seeded):
    with open_store(seeded.config.store.path) as store:
        with i18n.using("zh_CN"):
            chinese = build_report(store, seeded.config, days=7, now=seeded.now)
        english = build_report(store, seeded.config, days=7, now=seeded.now)
    assert '<html lang="zh-CN">' in chinese and '<html lang="en">' in english
    found = headings(chinese)
    assert len(found) > 20 and found == [h for h in found if re.search(r"[\u4e00-\u9fff]", h) or h == "#"]
    assert "1 · 价格走势" in found and "1 · Price history" in headings(english)
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", " ".join(found)), "no English phrase in a zh_CN heading"
    assert "露营椅" in chinese and "&lt;script&gt;" in chinese, "crawled text stays, escaped"


def test_an_empty_store_still_gets_a_report_that_says_so(tmp_path):
    config = load_config(fast_config(tmp_path))
    with open_store(config.store.path) as store:
        report = gather_report(store, config, days=7)
        html = build_report(store, config, days=7)
    assert report.empty and 'id="empty"' in html and "No crawl has run yet" in html
    assert latest_report(config) is None


def test_report_command_prints_the_path_and_json(seeded, tmp_path):
    result = runner.invoke(app, ["--config", str(seeded.config_path), "report", "--days", "7"])
    assert result.exit_code == ExitCode.OK, result.output
    printed = Path(result.output.strip())
    assert printed.is_file() and printed.parent == seeded.config.paths.reports_dir

    target = tmp_path / "out" / "weekly.html"
    result = runner.invoke(app, ["--config", str(seeded.config_path), "report", "--json", "--output", str(target)])
    assert result.exit_code == ExitCode.OK, result.output
    data = json.loads(result.output)
    assert data["path"] == str(target) and target.is_file()
    assert data["sections"]["keywords"] == 1 and data["sections"]["alerts"] >= 2
    assert data["sections"]["compliance_findings"] == 2 and data["sections"]["price_charts"] == 4  # ours + top 3


def test_report_command_refuses_a_bad_period(seeded):
    result = runner.invoke(app, ["--config", str(seeded.config_path), "report", "--days", "0"])
    assert result.exit_code == ExitCode.USAGE


def test_competitors_breaches_are_listed_most_severe_first_up_to_a_cap(tmp_path):
    config = load_config(fast_config(tmp_path))
    now = utc_now()
    with open_store(config.store.path) as store:
        for index in range(MAX_COMPETITOR_FINDINGS + 2):
            severity = "critical" if index == MAX_COMPETITOR_FINDINGS + 1 else "info"
            title = f"第一品牌露营椅{index}"
            product_id = store.upsert_product(ProductRecord(platform="shangcheng", url=f"{SHOP}/{index}", title=title))
            violation = {"field": "title", "match": "第一", "start": 0, "end": 2, "category": "absolute",
                         "rule": "absolute.rank", "law": "《广告法》第九条第三项", "suggestion": "删除"}
            store.upsert_insight("competitor_compliance", str(product_id),
                                 {"severity": severity, "title": title, "violations": [violation]},
                                 product_id=product_id, seen_at=now)
        section = gather_report(store, config, days=1, now=now).compliance
    assert section.count == MAX_COMPETITOR_FINDINGS + 2 and section.competitors_not_shown == 2
    assert section.competitors[0].severity == "critical"
    assert [s.text for s in section.competitors[0].excerpts[0].segments if s.marked] == ["第一"]


def test_long_texts_are_cut_around_their_spans():
    text = "甲" * 100 + "最强" + "乙" * 100
    segments = marked_segments(text, [(100, 102)], whole=False)
    assert [s.marked for s in segments] == [False, True, False]
    assert segments[1].text == "最强" and segments[0].text.startswith("…") and segments[2].text.endswith("…")
    assert "".join(s.text for s in marked_segments(text, [(100, 102)], whole=True)) == text


def test_one_keyword_s_prices_are_those_of_the_whole_report(seeded):
    period = Period.ending(seeded.now, 7)
    zone = seeded.config.schedule.tzinfo
    with open_store(seeded.config.store.path) as store:
        groups, alone = keyword_prices(store, period, zone)
        one, none_alone = keyword_prices(store, period, zone, only=("shangcheng", "露营椅"))
        missing, _ = keyword_prices(store, period, zone, only=("shangcheng", "no such keyword"))
    assert one == [g for g in groups if (g.platform, g.keyword) == ("shangcheng", "露营椅")] and one[0].charted
    assert none_alone == [] and missing == []


def test_the_band_of_each_crawl_pass_carries_earlier_prices_forward(seeded):
    start = seeded.now - timedelta(days=2)

    def row(product_id: int, minutes: float, price: float) -> PriceRow:
        return PriceRow(id=0, product_id=product_id, run_id=None, price=price,
                        observed_at=start + timedelta(minutes=minutes))

    one_day = 24 * 60
    histories = {1: [row(1, 0, 100.0), row(1, one_day, 80.0)], 2: [row(2, 1, 120.0)], 3: [row(3, one_day + 2, 150.0)]}
    first, second = band_points(histories)
    assert first.at == start and first.median == statistics.median([100.0, 120.0])
    # the second pass saw only products 1 and 3; product 2's price of the first pass still counts
    p25, median, p75 = statistics.quantiles([80.0, 120.0, 150.0], n=4, method="inclusive")
    assert second.at == start + timedelta(minutes=one_day)
    assert (second.p25, second.median, second.p75) == pytest.approx((p25, median, p75))


def test_a_sparkline_leaves_gaps_where_a_term_was_off_the_list():
    drawn = sparkline([3, 2, None, 5, 4], invert=True)
    assert drawn.count("<polyline") == 2
    assert sparkline([None, None]) == ""


@pytest.mark.integration
def test_a_report_of_a_real_crawl_of_the_demo_marketplace(tmp_path, marketplace):
    config_path = fast_config(tmp_path, marketplace.sites)
    crawl = subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(config_path), "scan", "-k",
                            "充电宝", "-p", "laodian", "--no-reviews", "--json"],
                           check=False, capture_output=True, text=True, timeout=300)
    assert crawl.returncode == 0, crawl.stderr
    result = runner.invoke(app, ["--config", str(config_path), "report", "--json"])
    assert result.exit_code == ExitCode.OK, result.output
    data = json.loads(result.output)
    assert data["sections"]["keywords"] == 1 and data["sections"]["hot_term_platforms"] == 1
    html = Path(data["path"]).read_text(encoding="utf-8")
    truth = marketplace.ground_truth()
    own = next(p for p in truth["products"] if p["url"].endswith("goods.php?id=880002"))
    assert own["title"] in html and f"¥{own['price']:,.2f}" in html
