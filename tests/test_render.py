"""Alert e-mails a person reads (delivery/render.py): each alert's block in order (summary, 建议, evidence table,
links, ack command) in both parts, crawled text escaped, and the HTML part as Chromium shows it."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import i18n
from crawlers.page_state import ALARMING
from delivery.email import compose_email
from labels import KIND
from delivery.render import Rendered, render_alert, render_digest, render_group
from i18n import N_
from monitors import health, runner
from store import AlertRow, PriceObservation, ProductRecord, ReviewRecord, SearchHit

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 14, 27, 3, 123456, tzinfo=UTC)
ITEM = "http://127.0.0.1:8000/item/880001"
FOUNTAIN = "猫咪饮水机 2L 静音"
SCRIPT = "<script>document.title = 'pwned'</script>"
RAW = re.compile(r"[{}\[\]]|':|\d{2}:\d{2}:\d{2}\.\d{3,}")  # dict / list syntax, ISO times with microseconds


def alert_row(alert_id: int, **fields) -> AlertRow:
    base = {"id": alert_id, "dedup_key": f"k{alert_id}", "kind": "test", "severity": "critical", "category": "price",
            "title": "t", "subject": "17", "body": "", "evidence": {}, "suggestion": None, "state": "new",
            "created_at": NOW, "updated_at": NOW, "delivery_attempts": 0, "next_attempt_at": None,
            "delivered_at": None, "last_error": None}
    return AlertRow(**{**base, **fields})


def below_cost() -> AlertRow:
    """As monitors/price.py raises it."""
    return alert_row(
        12, kind="price_below_cost", subject="17",
        title=N_("Own price below cost: {name} at {price} (cost {cost})", name="户外折叠椅", price="¥39.90",
                 cost="¥45.00"),
        body=N_("{name} ({platform}) sells at {price}, {gap} below its cost of {cost}.\n{url}", name="户外折叠椅",
                platform="demo", price="¥39.90", gap="¥5.10", cost="¥45.00", url=ITEM),
        evidence={"product_id": 17, "platform": "demo", "url": ITEM, "title": "户外折叠椅", "price": 39.9,
                  "observed_at": NOW.isoformat(), "cost": 45.0, "band": [69.0, 99.0], "previous_price": 79.0},
        suggestion="立即核对售价、优惠券和满减设置, 确认是否误操作")


def negative_review(alert_id: int, text: str) -> AlertRow:
    """As monitors/reviews.py raises it, with the review's crawled text."""
    respond_by = NOW + timedelta(minutes=60 + alert_id)
    return alert_row(
        alert_id, kind="negative_review", category="review", subject="18",
        title=N_("New negative review ({stars}) on {name}", stars="1★", name=FOUNTAIN),
        body=N_("{text}\n\n{stars}{score}{append_score}{pain_points}\n{url}\nAnswer by {respond_by}.", text=text,
                stars="1★", score=N_(", sentiment {score}", score="0.02"), append_score="",
                pain_points=N_("; pain points: {themes}", themes="漏水"), url=ITEM,
                respond_by=f"{respond_by.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"),
        evidence={"product_id": 18, "platform": "demo", "url": ITEM, "title": FOUNTAIN, "review_id": f"r{alert_id}",
                  "text": text, "append": None, "rating": 1, "sentiment_score": 0.016230462924546763,
                  "append_sentiment_score": None, "pain_points": ["漏水", "质量"], "clauses": ["用了三天就漏水"],
                  "posted_at": (NOW - timedelta(hours=3)).isoformat(), "crawled_at": NOW.isoformat(),
                  "respond_by": respond_by.isoformat()},
        suggestion="60 分钟内回复买家: 先道歉, 再给出退换方案")


def reviews() -> list[AlertRow]:
    return [negative_review(20, f"用了三天就漏水 {SCRIPT}"), negative_review(21, "底座漏水, 客服不理人")]


def test_an_alerts_block_reads_summary_action_evidence_links_then_the_ack_command() -> None:
    rendered = render_alert(below_cost(), SHANGHAI)
    for part in (rendered.text, rendered.html):
        order = [part.index(piece) for piece in ("我方售价低于成本", "建议", "类型", "价格区间",
                                                 "¥69.00 – ¥99.00", "商品链接", "alerts ack 12")]
        assert order == sorted(order), part
    assert "成本：    ¥45.00\n" in rendered.text, "plain-text values are aligned"
    assert "观测时间：12-07 22:27\n" in rendered.text
    assert f'<a href="{ITEM}">{ITEM}</a>' in rendered.html
    assert not RAW.search(rendered.html.split("<body", 1)[1])


def test_a_group_states_one_action_and_deadline_then_each_alerts_block() -> None:
    rendered = render_group(reviews(), SHANGHAI)
    assert rendered.subject == f"[ShopSentinel][严重] {FOUNTAIN} 新增 2 条差评"
    head = rendered.text.split("-" * 60)[0]
    assert head == f"【严重】{FOUNTAIN} 新增 2 条差评\n建议：60 分钟内回复买家: 先道歉, 再给出退换方案\n应回复时间：12-07 23:47\n\n"
    assert rendered.text.count("建议：") == 1 and rendered.text.count("【严重】新增差评（1★）") == 2
    assert re.search(r"\n情感得分： *0\.02\n", rendered.text) and re.search(r"\n痛点： *漏水、质量\n", rendered.text)
    assert SCRIPT in rendered.text, "plain text shows what was crawled"
    assert "<script" not in rendered.html and "&lt;script&gt;" in rendered.html


def test_a_digest_uses_the_same_block_for_each_alert() -> None:
    rendered = render_digest([*reviews(), below_cost()], SHANGHAI)
    assert rendered.subject == "[ShopSentinel] 告警摘要: 3 条 (严重 3)"
    assert rendered.text.count("建议：") == 3 and rendered.text.count("alerts ack") == 3
    assert re.search(r"\n价格区间： *¥69\.00 – ¥99\.00\n", rendered.text)


def html_part(rendered: Rendered) -> str:
    """The HTML alternative as a mail client receives it."""
    message = compose_email(rendered, from_addr="alerts@shop.test", to="ops@shop.test",
                            message_id="<t@shop.test>", date=NOW)
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return body.get_content()


@pytest.mark.integration
def test_chromium_shows_the_summary_and_readable_evidence_and_runs_no_crawled_script(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from crawlers.browser import BrowserNotFound, launch_options

    try:
        options = launch_options()
    except BrowserNotFound as missing:
        pytest.skip(str(missing))
    mails = {"below_cost": render_alert(below_cost(), SHANGHAI), "reviews": render_group(reviews(), SHANGHAI)}
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(**options)
        try:
            page = chromium.new_page(viewport={"width": 720, "height": 900})
            shown = {}
            for name, rendered in mails.items():
                page.set_content(html_part(rendered))
                shown[name] = page.inner_text("body")
                assert page.title() == rendered.subject, "the crawled script did not run"
                png = tmp_path / f"{name}.png"
                page.screenshot(path=str(png), full_page=True)
                assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 5_000
        finally:
            chromium.close()
    assert shown["below_cost"].startswith("【严重】我方售价低于成本：户外折叠椅")
    assert "¥69.00 – ¥99.00" in shown["below_cost"] and "12-07 22:27" in shown["below_cost"]
    assert f"{FOUNTAIN} 新增 2 条差评" in shown["reviews"] and "【严重】新增差评（1★）" in shown["reviews"]
    assert SCRIPT in shown["reviews"], "the crawled markup is shown as text"
    for name, text in shown.items():
        assert not RAW.search(text.replace(SCRIPT, "")), f"{name}: raw evidence on the page: {text}"


# --- every alert the monitors raise, in the operator's language ---------------------------------------------------

URL = re.compile(r"https?://\S+")
COMMAND = re.compile(r"python agent\.py [a-z]+(?: [a-z]+)*(?: --[a-z]+)?(?: \d+| \.\.\.)?")
IDENTIFIER = re.compile(r"\S*[A-Za-z][._/]\S*")  # config keys, file names, kinds, rule ids, time zones
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]+(?:[ ,;:'()\-]+[A-Za-z]+){2,}")  # three English words in a row
CJK = re.compile(r"[\u4e00-\u9fff]")


def every_kind_of_alert(store, config) -> list[AlertRow]:
    """One real store in which the monitors raise each kind of alert they know, read back from the file."""
    start = NOW - timedelta(hours=3)

    def listing(url: str, title: str, *, own: bool = False, **fields) -> int:
        return store.upsert_product(ProductRecord(platform="sc", url=f"http://127.0.0.1:8000/{url}", title=title,
                                                  own=own, shop=None if own else "某旗舰店", **fields))

    def observe(product_id: int, prices: list[float], *, stock: list[int] | None = None, hour: int = 0) -> None:
        for i, price in enumerate(prices):
            store.add_price_observation(product_id, PriceObservation(
                price=price, stock=None if stock is None else stock[i], observed_at=start + timedelta(hours=hour + i)))

    def search(keyword: str, prices: list[float], *, hour: int, own_price: float | None = None) -> None:
        run = store.begin_run("search")
        ids = [listing(f"{keyword}/{rank}", f"{keyword}{rank}号") for rank in range(1, len(prices) + 1)]
        for product_id, price in zip(ids, prices):
            observe(product_id, [price], hour=hour)
        store.add_search_results("sc", keyword, [SearchHit(rank=r, product_id=p) for r, p in enumerate(ids, 1)],
                                 run_id=run, observed_at=start + timedelta(hours=hour))
        if own_price is not None:
            observe(listing(f"own/{keyword}", f"我们的{keyword}", own=True, cost=50.0, band_min=59.0, band_max=99.0),
                    [own_price], hour=hour)
        store.finish_run(run, "ok")

    observe(listing("own/chair", "户外折叠椅", own=True, cost=50.0), [79.0, 39.0])             # below cost
    observe(listing("own/table", "折叠桌", own=True, band_min=59.0, band_max=99.0), [79.0, 129.0])  # above band
    search("露营椅", [90.0, 120.0], hour=0, own_price=89.0)
    search("露营椅", [79.0, 120.0], hour=1, own_price=89.0)                                  # undercut
    search("帐篷", [80.0, 90.0, 100.0], hour=0)
    search("帐篷", [60.0, 70.0, 80.0], hour=1)                                               # band shift, moves
    observe(listing("own/low", "保温杯", own=True, safety_stock=100), [59.0, 59.0], stock=[80, 30])
    observe(listing("own/out", "野餐垫", own=True), [39.0, 39.0], stock=[10, 0])
    observe(listing("rival/out", "竞品野餐垫"), [35.0, 35.0, 35.0], stock=[30, 0, 0])
    listing("own/ad", "最好的登山杖", own=True, description="比普通登山杖结实10倍，秒杀同行")
    fountain = listing("own/fountain", FOUNTAIN, own=True)
    for hour, ratings in ((-48, [5] * 40), (-1, [1, 2, 1, 1, 5, 1, 2, 1])):
        run = store.begin_run("reviews")
        store.add_reviews(fountain, [ReviewRecord(text=f"用了三天就漏水 #{hour}{i}", review_id=f"r{hour}{i}", rating=r)
                                     for i, r in enumerate(ratings)], run_id=run,
                          crawled_at=NOW + timedelta(hours=hour))
        store.finish_run(run, "ok")
    store.upsert_insight("opportunity", "keyword:露营椅", {
        "theme": "质量", "share": 0.42, "theme_reviews": 5, "negative_reviews": 12, "low_price_listings": 4,
        "priced_listings": 5, "suggested_price": 99.0, "examples": [{"text": "扶手一周就断了"}],
        "action": "竞品 4/5 家低于 84.00 元，差评中「质量」占 42%：做更结实的款，定价 99.00 元"},
        keyword="露营椅", seen_at=NOW)
    runner.run_monitors(store, config, now=NOW)
    crawl = store.begin_run("search", platform="shangcheng")
    store.finish_run(crawl, "failed")
    [first_run] = store.runs(limit=1)
    for alert in (health.outage_alert(config, health.PlatformOutage("laodian", 3, NOW - timedelta(hours=2),
                                                                    {"timeout": 3})),
                  *(health.trouble_alert(config, health.PageTrouble("shangcheng", state, {"search": 3}, first_run))
                    for state in ALARMING)):
        store.add_alert(alert, created_at=NOW)
    alerts = store.alerts()
    assert {alert.kind for alert in alerts} == set(KIND), "every kind an e-mail names is raised here"
    return alerts


def crawled(alerts: list[AlertRow], config, store) -> list[str]:
    """What the alerts carry that was crawled or configured rather than written by us (titles, review texts, the
    lexicon's law and rewrites, platform names), longest first."""
    def strings(value) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [text for item in value.values() for text in strings(item)]
        if isinstance(value, list | tuple):
            return [text for item in value for text in strings(item)]
        return []
    found = {text for alert in alerts for text in strings(alert.evidence) + [alert.subject or ""]
             if not text.isdigit()}
    found |= {product.title for product in store.products()} | {p.name for p in config.platforms.values()}
    found |= {str(alert.suggestion) for alert in alerts if alert.kind == "compliance_violation"}  # the lexicon's
    return sorted(filter(None, found), key=len, reverse=True)


def without(data: list[str], text: str) -> str:
    """`text` with the crawled values taken out; an ASCII value only as a whole word ("sc" is a platform, not the
    middle of "description")."""
    for value in data:
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", " ", text) if value.isascii() \
            else text.replace(value, " ")
    return text


def messages_of(alerts: list[AlertRow], zone) -> dict[str, Rendered]:
    """The grouped e-mail, the digest, and each alert alone (what a webhook posts as text), as the outbox renders."""
    return {"group": render_group(alerts, zone), "digest": render_digest(alerts, zone),
            **{f"alert {alert.id} ({alert.kind})": render_alert(alert, zone) for alert in alerts}}


def readable(rendered: Rendered) -> list[str]:
    """The subject, the plain text and the HTML as a person reads it (tags and entities gone)."""
    body = rendered.html.split("<body", 1)[1].split(">", 1)[1]
    shown = html.unescape(re.sub(r"<[^>]+>", "\n", body))
    return [rendered.subject, rendered.text, shown]


def test_every_alert_reads_in_chinese_with_no_english_sentence_left(store, config) -> None:
    alerts = every_kind_of_alert(store, config)
    data = crawled(alerts, config, store)
    with i18n.using("zh_CN"):
        mails = messages_of(alerts, config.schedule.tzinfo)
    for name, rendered in mails.items():
        for text in readable(rendered):
            text = IDENTIFIER.sub(" ", COMMAND.sub(" ", URL.sub(" ", without(data, text))))
            assert not ENGLISH_SENTENCE.search(text), (name, ENGLISH_SENTENCE.findall(text), text)
    digest = mails["digest"].text
    assert "我方售价低于成本：户外折叠椅 售价 ¥39.00（成本 ¥50.00）" in digest
    assert "建议：立即把售价调回成本以上" in digest and "时间均为 Asia/Shanghai 时间。" in digest
    assert "请在 12-07 22:" not in digest and re.search(r"请在 2026-12-07 \d\d:\d\d 前回复", digest)


def test_the_same_alerts_read_in_english_when_the_locale_is_en(store, config) -> None:
    alerts = every_kind_of_alert(store, config)
    data = crawled(alerts, config, store)
    with i18n.using("en"):
        mails = messages_of(alerts, config.schedule.tzinfo)
    for name, rendered in mails.items():
        for text in readable(rendered):
            text = without(data, text)
            assert not CJK.search(text), (name, CJK.findall(text), text)
    digest = mails["digest"].text
    assert "Own price below cost: 户外折叠椅 at ¥39.00 (cost ¥50.00)" in digest
    assert "Suggested action: Raise the price back above cost" in digest
    assert "Times are in Asia/Shanghai time." in digest and "Current price: " in digest
    assert re.match(r"\[ShopSentinel\] Alert digest: \d+ alerts \(critical \d+ · warning \d+ · info \d+\)$",
                    mails["digest"].subject)
    assert '<html lang="en">' in mails["digest"].html

