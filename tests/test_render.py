"""Alert e-mails a person reads (delivery/render.py): each alert's block in order (summary, 建议, evidence table,
links, ack command) in both parts, crawled text escaped, and the HTML part as Chromium shows it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from delivery.email import compose_email
from delivery.render import Rendered, render_alert, render_digest, render_group
from i18n import N_
from store import AlertRow

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
        order = [part.index(piece) for piece in ("售价低于成本：我方售价低于成本", "建议：", "价格区间",
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
    assert rendered.text.count("建议：") == 1 and rendered.text.count("【严重】新差评：") == 2
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
    assert "售价低于成本：我方售价低于成本：户外折叠椅" in shown["below_cost"]
    assert "¥69.00 – ¥99.00" in shown["below_cost"] and "12-07 22:27" in shown["below_cost"]
    assert f"{FOUNTAIN} 新增 2 条差评" in shown["reviews"] and "新差评：新增差评（1★）" in shown["reviews"]
    assert SCRIPT in shown["reviews"], "the crawled markup is shown as text"
    for name, text in shown.items():
        assert not RAW.search(text.replace(SCRIPT, "")), f"{name}: raw evidence on the page: {text}"
