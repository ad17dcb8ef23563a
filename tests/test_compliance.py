"""Advertising-Law compliance: find_violations (tiers, product categories, evasions, the user dictionary), the
monitor, and `agent.py check`. The lexicon loader's checks are in test_lexicon.py.

The hand-written fixture (tests/fixtures/compliance_titles.tsv) and the demo marketplace's planted violations are
scored the same way: a found violation counts when it has the expected family and overlaps the expected span.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

import agent
from config import ComplianceSettings, Keyword, UserTerm, load_config
from crawlers.run import CrawlPlan, run_crawl
from crawlers.testing import demo_config
from monitors import compliance
from monitors.compliance import Violation, find_violations
from monitors.lexicon import load_lexicon
from monitors.normalise import fold, matching_form
from store import ProductRecord, ProductRow, SearchHit, open_store
from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "compliance_titles.tsv"
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
ENGINE_FAMILIES = {"absolute", "medical", "efficacy", "comparison", "qualification"}
"""The families of this engine's lexicon files, the ones the fixture and the demo's planted violations use."""


@dataclass(frozen=True)
class Expected:
    category: str
    start: int
    end: int


@dataclass
class Score:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    def add(self, expected: list[Expected], found: list[Violation]) -> None:
        unmatched = list(expected)
        for violation in found:
            hit = next((e for e in unmatched if e.category == violation.category
                        and e.start < violation.end and violation.start < e.end), None)
            if hit is None:
                self.false_positives += 1
            else:
                unmatched.remove(hit)
                self.true_positives += 1
        self.false_negatives += len(unmatched)

    @property
    def precision(self) -> float:
        return self.true_positives / (self.true_positives + self.false_positives)

    @property
    def recall(self) -> float:
        return self.true_positives / (self.true_positives + self.false_negatives)


def fixture_rows() -> list[tuple[str, list[Expected]]]:
    """(text, expected violations); each expected `category:match` is located at its next occurrence."""
    rows = []
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            text, expected, searched_from = row["text"], [], {}
            for item in filter(None, row["expected"].split(";")):
                category, _, match = item.partition(":")
                start = text.find(match, searched_from.get(match, 0))
                assert start >= 0, f"fixture error: {match!r} is not in {text!r}"
                searched_from[match] = start + 1
                expected.append(Expected(category, start, start + len(match)))
            rows.append((text, expected))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# The fixture


def test_fixture_has_300_texts_covering_every_engine_family_and_clean_ones():
    rows = fixture_rows()
    assert len(rows) >= 300
    assert {e.category for _, expected in rows for e in expected} >= ENGINE_FAMILIES
    assert sum(1 for _, expected in rows if not expected) >= 100, "tricky and ordinary clean titles"


def test_precision_and_recall_on_the_hand_written_fixture():
    score = Score()
    for text, expected in fixture_rows():
        score.add(expected, find_violations(text))
    print(f"\nfixture: precision {score.precision:.3f}, recall {score.recall:.3f} "
          f"(tp {score.true_positives}, fp {score.false_positives}, fn {score.false_negatives})")
    assert score.precision >= 0.95 and score.recall >= 0.95


# ---------------------------------------------------------------------------------------------------------------
# find_violations


@pytest.mark.parametrize("text", [
    "最近上新 户外折叠椅", "最后一公里配送", "最终解释权归本店所有", "第一次用", "第一步：打开包装", "收到第一天就用了",
    "第一眼就喜欢", "第一层放调料", "唯一的缺点是有点重", "唯一不足是颜色少", "最大承重150kg", "最高支持128G",
    "最少起订10件", "最佳食用期7天", "最好不要机洗", "2024最新款", "100%纯棉", "棉100%", "0-100%无极调光",
    "万能轮 登机箱", "限时秒杀", "显瘦阔腿裤", "国家级非遗 竹编", "首单立减", "第1次使用请充满电", "5斤装 大米",
    "7天无理由退货", "不满意包退", "比上一代快2倍", "绝对值编码器", "电商特供款",
])
def test_ordinary_words_are_not_violations(text):
    assert find_violations(text) == []


def test_a_violation_carries_span_category_rule_severity_law_and_rewrite():
    [violation] = find_violations("户外露营椅 最好的选择")
    assert violation == Violation(match="最好", start=6, end=8, category="absolute", rule="absolute.superlative",
                                  severity="critical", law=violation.law, suggestion="优质")
    assert "第九条第三项" in violation.law


def test_offsets_index_the_original_traditional_and_full_width_text():
    text = "國家級工藝，藥到病除！ＮＯ．１　全網最低價"
    found = find_violations(text)
    assert [(v.match, v.category) for v in found] == [
        ("國家級", "absolute"), ("藥到病除", "medical"), ("ＮＯ．１", "absolute"), ("全網最低價", "absolute")]
    assert all(text[v.start:v.end] == v.match for v in found)


def test_one_for_one_folds_keep_every_offset():
    for text in ("藥到病除ＡＢＣ　１００％", "emoji 😍 最好 👍🏻", "後來的發展", "乾隆年間的髮型"):
        assert len(matching_form(text)) == len(text) and fold(text).starts is None


@pytest.mark.parametrize("text, match", [
    ("户外椅 最*佳选择", "最*佳"), ("最 佳 露营椅", "最 佳"), ("最-佳", "最-佳"), ("最.佳款", "最.佳"),
    ("最\u200b好的椅子", "最\u200b好"), ("zui好的露营椅", "zui好"), ("ZUI好", "ZUI好"), ("全网第1 充电宝", "全网第1"),
    ("全网第① 充电宝", "全网第①"), ("销量Ｎｏ．１", "销量Ｎｏ．１"), ("TOP1 热卖", "TOP1"), ("top 1 热卖", "top 1"),
    ("di yi 品牌 椅子", "di yi 品牌"), ("醉好的礼物", "醉好"), ("蕞便宜", "蕞便宜"),
])
def test_evasions_are_found_and_spans_index_the_original_text(text, match):
    [violation] = find_violations(text)
    assert violation.category == "absolute"
    assert (violation.match, text[violation.start:violation.end]) == (match, match)


@pytest.mark.parametrize("text", ["laptop1 支架", "No.12 号码", "第10代 处理器", "zuiko 镜头", "醉虾 醉蟹 绍兴",
                                  "兄弟一起 露营", "户外 近视眼镜"])
def test_evasion_folding_leaves_ordinary_text_alone(text):
    assert find_violations(text) == []


def test_several_folds_in_one_text_keep_every_span():
    text = "ＮＯ.1 户外椅，zui 好的面料，最*佳选择⑩倍耐用"
    found = find_violations(text)
    assert [v.match for v in found] == ["ＮＯ.1", "zui 好", "最*佳"]
    assert all(text[v.start:v.end] == v.match for v in found)


def test_the_longest_overlapping_match_wins():
    assert [v.match for v in find_violations("全网最低价")] == ["全网最低价"]          # not 最低价 inside it
    assert [v.match for v in find_violations("三天瘦五斤")] == ["三天瘦五斤"]          # not 瘦五斤 inside it
    assert [v.match for v in find_violations("行业第一次推出")] == ["行业第一"]        # longer than 第一次


def test_an_exception_wins_against_a_rule_of_the_same_length():
    assert find_violations("最近") == []                 # 最 + 近 is also the 最 + adjective pattern
    assert [v.match for v in find_violations("最近最火")] == ["最火"]


def test_patterns_with_chinese_and_arabic_numerals():
    for text in ("三天瘦五斤", "7天瘦10斤", "一周瘦10斤", "一个月瘦20斤", "30天减掉15斤"):
        [violation] = find_violations(text)
        assert (violation.match, violation.rule) == (text, "efficacy.weight_loss_in_time")


def test_empty_long_mixed_english_and_emoji_text():
    assert find_violations("") == [] and find_violations(None) == []
    long_text = "户外折叠椅便携 " * 20_000 + "最好的"
    [violation] = find_violations(long_text)
    assert violation.start == len(long_text) - 3
    found = find_violations("🔥Top 1 Bluetooth speaker🔥 Best seller 最畅销😍")
    assert [v.match for v in found] == ["Top 1", "最畅销"]


def test_each_violation_carries_its_rules_tier():
    tiers = {v.match: v.severity for v in find_violations("最好的椅子，驰名商标，销量第一，极致体验")}
    assert tiers == {"最好": "critical", "驰名商标": "warning", "销量第一": "warning", "极致": "info"}


def test_product_categories_switch_rules_and_tiers():
    def tiers(text, category):
        return [(v.match, v.category, v.severity) for v in find_violations(text, category=category)]

    assert tiers("美白 软糖", "food") == [("美白", "food_claim", "warning")]
    assert tiers("美白 面霜", "cosmetics") == [("美白", "cosmetic_claim", "info")]
    assert tiers("美白 台灯", "general") == [], "美白 is a cosmetic or food claim, not checked on general goods"
    assert tiers("降血糖 苦瓜茶", "general") == [("降血糖", "medical", "critical")]
    assert tiers("降血糖 理疗仪", "medical_device") == [("降血糖", "medical", "warning")]
    assert tiers("降血糖 片", "drug") == []
    assert tiers("治愈率95%", "drug") == [("治愈率", "medical", "critical")], "第十六条 bans cure rates in drug ads too"
    assert find_violations("最好的面霜") == find_violations("最好的面霜", category="cosmetics")
    with pytest.raises(ValueError, match="category must be one of"):
        find_violations("最好", category="shoes")


@pytest.mark.parametrize(("text", "category", "owner"), [
    ("苦瓜茶 降血糖", "food", "food_claim"), ("酸枣仁茶 治失眠", "food", "food_claim"),
    ("益生菌 增强免疫力", "food", "food_claim"), ("代餐奶昔 燃脂", "food", "food_claim"),
    ("身体精油 溶脂 瘦身", "cosmetics", "cosmetic_claim"), ("面霜 消炎", "cosmetics", "cosmetic_claim"),
    ("生发液 防脱", "cosmetics", "cosmetic_claim"),
])
def test_medical_and_efficacy_step_aside_where_a_category_family_owns_the_claim(text, category, owner):
    families = {v.category for v in find_violations(text, category=category)}
    assert owner in families and not families & {"medical", "efficacy"}
    on_general = {v.category for v in find_violations(text, category="general")}
    assert on_general & {"medical", "efficacy"}, "the same claim stays medical/efficacy on general goods"


def test_timed_results_and_refunds_stay_efficacy_on_food_and_cosmetics():
    assert {v.category for v in find_violations("代餐奶昔 7天瘦10斤", category="food")} == {"efficacy"}
    assert "efficacy" in {v.category for v in find_violations("祛斑霜 7天见效", category="cosmetics")}


@pytest.mark.parametrize("text", [
    "第一批 新疆长绒棉", "第一届 露营节 纪念款", "最后一公里 配送", "每件唯一编码 可溯源", "不是最好的，但很耐用",
    "我们不说第一，只说实在", "比上一代续航长2倍", "至尊版 手机壳", "电商特供款", "防碾压 线槽",
    "最江湖® 茶具套装", "羊毛衫 最好手洗 平铺晾干", "2024年京东销量第一（数据来源：京东年度榜单）",
    "优秀员工 销售冠军 奖杯 定制", "本系列最轻的一款 碳纤维鱼竿", "最高座高55cm 办公椅", "低频治疗仪",
    "《第一滴血》 蓝光碟", "《最好的我们》 小说 实体书", "第一滴血 电影海报 装饰画", "唯一真相 名侦探柯南 周边 手办",
    "划线价为前7日最低成交价",
])
def test_context_exemptions_of_the_samr_guide(text):
    assert find_violations(text) == []


def test_the_issues_breadth_of_absolute_wording():
    found = {v.match: v.rule for v in find_violations(
        "颜值天花板 独一无二 无与伦比 举世无双 首屈一指 宇宙级 销冠 全网第1")}
    assert found == {"颜值天花板": "absolute.ceiling_slang", "独一无二": "absolute.unmatched_idiom",
                     "无与伦比": "absolute.unmatched_idiom", "举世无双": "absolute.unmatched_idiom",
                     "首屈一指": "absolute.unmatched_idiom", "宇宙级": "absolute.grade", "销冠": "absolute.sales_rank",
                     "全网第1": "absolute.rank_pattern"}
    assert find_violations("吸顶灯 装在天花板上") == []


# ---------------------------------------------------------------------------------------------------------------
# The user dictionary


def test_the_user_dictionary_adds_terms_and_allows_others():
    settings = ComplianceSettings(
        add=(UserTerm(term="秒回本", family="investment", severity="critical", suggestion="删除收益承诺"),
             UserTerm(term="ZUI 江北", family="absolute", severity="info", suggestion="改名", categories=("food",))),
        allow=("最江南",))
    assert [v.match for v in find_violations("最江南 茶馆 最好")] == ["最江", "最好"]
    assert [v.match for v in find_violations("最江南 茶馆 最好", settings=settings)] == ["最好"]
    [added] = find_violations("加盟秒回本", settings=settings)
    assert (added.match, added.category, added.severity, added.suggestion, added.rule) == (
        "秒回本", "investment", "critical", "删除收益承诺", "investment.user_dictionary")
    assert [(v.match, v.severity) for v in find_violations("zui江北 鱼干", category="food", settings=settings)] == [
        ("zui江北", "info")]
    assert [v.severity for v in find_violations("zui江北 鱼干", settings=settings)] == ["critical"], (
        "on general the added term does not apply; the shipped 最+字 rule does")


# ---------------------------------------------------------------------------------------------------------------
# The monitor on a hand-built store


def with_compliance(config, **changes):
    settings = config.thresholds.compliance.model_copy(update=changes)
    return config.model_copy(update={"thresholds": config.thresholds.model_copy(update={"compliance": settings})})


def listing(store, *, own, url, title, description=None):
    return store.upsert_product(ProductRecord(platform="sc", url=url, title=title, description=description,
                                              own=own, shop="某店"))


def test_own_breaches_alert_once_per_product_and_competitors_become_insights(store, config):
    own = listing(store, own=True, url="http://s/1", title="最好的露营椅",
                  description="比普通椅子结实10倍，秒杀同行")
    rival = listing(store, own=False, url="http://s/2", title="央视推荐 露营椅")
    listing(store, own=True, url="http://s/3", title="户外折叠椅铝合金超轻便携露营野餐钓鱼写生椅")
    findings = compliance.run(store, config, now=NOW)
    [alert] = findings.events
    assert (alert.kind, alert.category, alert.subject, alert.severity) == (
        "compliance_violation", "compliance", str(own), "critical")   # the highest of critical and warning
    assert [(v["field"], v["match"], v["category"]) for v in alert.evidence["violations"]] == [
        ("title", "最好", "absolute"), ("description", "比普通椅子结实10倍", "comparison"),
        ("description", "秒杀同行", "comparison")]
    assert alert.evidence["url"] == "http://s/1" and "最好 → 优质" in alert.suggestion
    assert "秒杀同行" in str(alert.body) and alert.dedup_key.startswith(f"compliance:{own}:")
    [insight] = findings.insights
    assert (insight.kind, insight.subject, insight.product_id) == ("competitor_compliance", str(rival), rival)
    assert insight.detail["severity"] == "info" and insight.detail["categories"] == ["qualification"]
    assert findings.alerts == []


def test_only_breaches_at_or_above_alert_severity_are_reported(store, config):
    own = listing(store, own=True, url="http://s/1", title="极致体验 露营椅")   # info only
    rival = listing(store, own=False, url="http://s/2", title="极致 露营椅")
    assert config.thresholds.compliance.alert_severity == "warning"
    quiet = compliance.run(store, config, now=NOW)
    assert quiet.events == [] and quiet.insights == []
    loud = compliance.run(store, with_compliance(config, alert_severity="info"), now=NOW)
    assert [(e.subject, e.severity) for e in loud.events] == [(str(own), "info")]
    assert [i.product_id for i in loud.insights] == [rival]


def test_own_products_are_checked_as_their_configured_category(store, config):
    [shake] = [p for p in config.own_products if p.name == "代餐奶昔"]
    assert shake.category == "food"
    url = config.own_product_url(shake)
    store.upsert_product(ProductRecord(platform=shake.platform, url=url, title="代餐奶昔 美白 饱腹", own=True))
    store.upsert_product(ProductRecord(platform=shake.platform, url="http://s/9", title="美白 面霜", own=True))
    [alert] = compliance.run(store, config, now=NOW).events
    assert alert.evidence["url"] == url
    assert [(v["match"], v["category"], v["severity"]) for v in alert.evidence["violations"]] == [
        ("美白", "food_claim", "warning")]


def test_a_competitor_is_checked_as_the_stores_category_when_it_is_a_product_category(store, config):
    store.upsert_product(ProductRecord(platform="sc", url="http://s/5", title="美白 软糖", own=False, category="food"))
    store.upsert_product(ProductRecord(platform="sc", url="http://s/6", title="美白 软糖", own=False,
                                       category="露营装备"))
    [insight] = compliance.run(store, config, now=NOW).insights
    assert insight.detail["url"] == "http://s/5"


def with_keywords(config, *pairs):
    return config.model_copy(update={"keywords": tuple(Keyword(term=term, category=category, platforms=("sc",))
                                                       for term, category in pairs)})


def found_under(store, product_id, *keywords):
    for keyword in keywords:
        store.add_search_results("sc", keyword, [SearchHit(rank=product_id, product_id=product_id)], observed_at=NOW)


def judged_as(findings):
    return {insight.product_id: insight.detail["product_category"] for insight in findings.insights}


def test_a_competitor_is_checked_as_the_product_category_its_marketplace_category_means(store, config):
    def rival(url, category):
        return store.upsert_product(ProductRecord(platform="sc", url=url, title="美白 软糖 增强免疫力", own=False,
                                                  category=category))

    snack = rival("http://s/5", "食品饮料 > 休闲零食 > 软糖")
    supplement = rival("http://s/6", "食品饮料 > 营养保健 > 软糖")
    rival("http://s/7", "美妆护肤 > 面部护理")   # 美白 is a cosmetic claim and 增强免疫力 no claim of cosmetics
    chair = rival("http://s/8", "运动户外 > 露营野餐")
    findings = compliance.run(store, config, now=NOW)
    assert judged_as(findings) == {snack: "food", supplement: "health_food", chair: "general"}
    families = {i.product_id: [(v["match"], v["category"]) for v in i.detail["violations"]] for i in findings.insights}
    assert families[snack] == [("美白", "food_claim"), ("增强免疫力", "food_claim")]
    assert families[supplement] == [("美白", "health_food"), ("增强免疫力", "health_food")]   # no registered function
    assert families[chair] == [("增强免疫力", "efficacy")]


def test_a_competitor_without_a_known_category_takes_its_keywords_and_the_first_configured_wins(store, config):
    def rival(url, title="增强免疫力 软糖", category=None):
        return store.upsert_product(ProductRecord(platform="sc", url=url, title=title, own=False, category=category))

    both, first_only, label_only, none_, shown = (rival(f"http://s/{n}") for n in range(5))
    config = with_keywords(config, ("软糖", "food"), ("维生素软糖", "health_food"), ("露营", "camping"))
    found_under(store, both, "维生素软糖", "软糖")     # disagreeing keywords: 软糖 is first in the config
    found_under(store, first_only, "维生素软糖")
    found_under(store, label_only, "露营")              # "camping" is a report label, not a product category
    found_under(store, shown, "软糖")
    store.upsert_product(ProductRecord(platform="sc", url="http://s/4", category="营养保健"))
    assert judged_as(compliance.run(store, config, now=NOW)) == {
        both: "food", first_only: "health_food", label_only: "general", none_: "general",
        shown: "health_food"}                            # the marketplace's category beats the keyword's


def test_category_precedence_config_then_marketplace_then_keyword_then_general():
    row = ProductRow(id=1, platform="sc", url="http://s/1", item_id=None, title=None, description=None, shop=None,
                     category="美妆护肤 > 面膜", own=True, cost=None, band_min=None, band_max=None,
                     safety_stock=None, first_seen=NOW, last_seen=NOW)
    configured, by_keyword = {("sc", "http://s/1"): "general"}, {1: "food"}
    assert compliance._category(row, configured, by_keyword) == "general"     # the operator's word, even general
    assert compliance._category(row, {}, by_keyword) == "cosmetics"           # an own product not configured
    rival = replace(row, own=False)
    assert compliance._category(rival, configured, by_keyword) == "cosmetics"  # config holds own products only
    assert compliance._category(replace(rival, category="露营装备"), {}, by_keyword) == "food"
    assert compliance._category(replace(rival, category=None), {}, {}) == "general"


def test_the_monitor_uses_the_configs_user_dictionary(store, config):
    listing(store, own=True, url="http://s/1", title="最江南 茶馆 秒回本")
    settings = ComplianceSettings(allow=("最江南",), add=(UserTerm(term="秒回本", family="investment",
                                                                   severity="warning", suggestion="删除"),))
    [alert] = compliance.run(store, config.model_copy(update={"compliance": settings}), now=NOW).events
    assert [v["match"] for v in alert.evidence["violations"]] == ["秒回本"]


def test_a_competitor_that_cleans_up_its_listing_loses_its_insight(store, config):
    from monitors.runner import run_monitors

    cleaned = listing(store, own=False, url="http://s/2", title="央视推荐 露营椅")
    still = listing(store, own=False, url="http://s/4", title="国家级 露营椅")
    run_monitors(store, config, now=NOW, only=["compliance"])
    assert sorted(i.product_id for i in store.insights(kind="competitor_compliance")) == [cleaned, still]
    listing(store, own=False, url="http://s/2", title="户外折叠露营椅")
    report = run_monitors(store, config, now=NOW + timedelta(hours=1), only=["compliance"])
    assert report.insights_retired == 1
    assert [i.product_id for i in store.insights(kind="competitor_compliance")] == [still]
    listing(store, own=False, url="http://s/4", title="户外折叠露营椅")
    run_monitors(store, with_compliance(config, scan_competitors=False), now=NOW + timedelta(hours=2),
                 only=["compliance"])
    assert [i.product_id for i in store.insights(kind="competitor_compliance")] == [still], (
        "a listing not looked at is not known to be clean")


def test_the_dedup_key_changes_only_when_the_breaches_change(store, config):
    own = listing(store, own=True, url="http://s/1", title="最好的露营椅")
    first = compliance.run(store, config, now=NOW).events[0].dedup_key
    assert compliance.run(store, config, now=NOW).events[0].dedup_key == first
    store.upsert_product(ProductRecord(platform="sc", url="http://s/1", title="第一品牌露营椅", own=True))
    [changed] = compliance.run(store, config, now=NOW).events
    assert changed.subject == str(own) and changed.dedup_key != first


def test_scan_switches_are_respected(store, config):
    listing(store, own=True, url="http://s/1", title="最好的露营椅")
    listing(store, own=False, url="http://s/2", title="全网最低价露营椅")
    only_own = compliance.run(store, with_compliance(config, scan_competitors=False), now=NOW)
    assert len(only_own.events) == 1 and only_own.insights == []
    only_rivals = compliance.run(store, with_compliance(config, scan_own=False), now=NOW)
    assert only_rivals.events == [] and len(only_rivals.insights) == 1
    assert compliance.run(store, with_compliance(config, scan_own=False, scan_competitors=False), now=NOW).insights == []


# ---------------------------------------------------------------------------------------------------------------
# The demo marketplace's planted violations: an out-of-sample check (the lexicon was not built from them)


@pytest.mark.integration
def test_precision_and_recall_on_the_demo_marketplace_ground_truth(truth):
    score = Score()
    for product in truth["products"]:
        for field in ("title", "description"):
            expected = [Expected(v["category"], v["start"], v["end"])
                        for v in product["violations"] if v["field"] == field]
            # info is what platforms' filters reject though the law is silent: it never alerts, and the demo
            # plants breaches of the law
            score.add(expected, [v for v in find_violations(product[field]) if v.severity != "info"])
    print(f"\ndemo marketplace: precision {score.precision:.3f}, recall {score.recall:.3f} "
          f"(tp {score.true_positives}, fp {score.false_positives}, fn {score.false_negatives})")
    assert score.true_positives >= 50
    assert score.precision >= 0.9 and score.recall >= 0.9


@pytest.mark.integration
def test_a_real_crawl_stores_each_listings_category_and_the_monitor_judges_competitors_by_it(marketplace, tmp_path):
    """The demo's 代餐奶昔 listings on shangcheng (BreadcrumbList JSON-LD) and laodian (a GBK crumb row read by the
    profile), crawled over HTTP. The keyword's category is only a report label here, so food can come from the
    crawled category alone: the top listing's 降血糖 is then a food_claim breach, not the general medical one."""
    path = demo_config(tmp_path, marketplace.sites)
    path.write_text(path.read_text(encoding="utf-8").replace('term = "代餐奶昔"\ncategory = "food"',
                                                             'term = "代餐奶昔"\ncategory = "代餐"'), encoding="utf-8")
    config = load_config(path)
    assert next(k.category for k in config.keywords if k.term == "代餐奶昔") == "代餐"
    platforms = ["shangcheng", "laodian"]
    run_crawl(path, CrawlPlan(platforms=platforms, keywords=[("代餐奶昔", platforms, 3)]), demo_urls=marketplace.sites)
    expected = {(p["platform"], p["item_id"]): p["marketplace_category"] for p in marketplace.ground_truth()["products"]}
    with open_store(config.store.path) as store:
        products = store.products()
        assert len(products) == 6
        assert {(p.platform, p.item_id): p.category for p in products} == {
            (p.platform, p.item_id): expected[(p.platform, p.item_id)] for p in products}
        assert {p.category for p in products} == {"食品饮料 > 营养代餐 > 代餐奶昔"}
        findings = compliance.run(store, config, now=NOW)
    assert findings.insights and {i.detail["product_category"] for i in findings.insights} == {"food"}
    [top] = [i for i in findings.insights if any(v["match"] == "降血糖" for v in i.detail["violations"])]
    [breach] = [v for v in top.detail["violations"] if v["match"] == "降血糖"]
    assert breach["category"] == "food_claim" and breach["rule"] == "food_claim.disease_claim"
    assert [v.category for v in find_violations("降血糖")] == ["medical"]   # what general would have said


# ---------------------------------------------------------------------------------------------------------------
# python agent.py check


def run_check(*args, input=None):
    return CliRunner().invoke(agent.app, ["--config", str(ROOT / "config.toml"), "check", *args], input=input)


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_check_text_exits_1_on_violations_and_0_when_clean():
    result = run_check("--text", "最好的露营椅", "--text", "户外折叠椅")
    assert result.exit_code == 1 and "最好" in result.output and "优质" in result.output
    assert "2 text(s) checked, 1 with violations" in result.output
    assert run_check("--text", "第一次用，最近很火").exit_code == 0


def test_check_json_lines_have_exactly_the_documented_keys():
    result = run_check("--json", "--text", "藥到病除 [red]x[/red]", "--text", "户外椅")
    assert result.exit_code == 1
    first, second = json_lines(result.output)
    assert first["text"] == "藥到病除 [red]x[/red]" and second == {"text": "户外椅", "violations": []}
    [violation] = first["violations"]
    assert set(violation) == {"match", "start", "end", "category", "rule", "severity", "law", "suggestion"}
    assert (violation["match"], violation["start"], violation["end"]) == ("藥到病除", 0, 4)
    assert "藥到病除" in result.output, "ensure_ascii=False keeps Chinese readable"


def test_check_reads_a_text_file_line_by_line(tmp_path):
    path = tmp_path / "titles.txt"
    path.write_text("最好的露营椅\n\n户外折叠椅\n三天瘦五斤\n", encoding="utf-8")
    result = run_check(str(path), "--json")
    assert result.exit_code == 1
    assert [(line["text"], len(line["violations"])) for line in json_lines(result.output)] == [
        ("最好的露营椅", 1), ("户外折叠椅", 0), ("三天瘦五斤", 1)]


def test_check_reads_the_text_or_title_column_of_a_csv(tmp_path):
    by_suffix = tmp_path / "listings.csv"
    by_suffix.write_text('id,title\n1,"全网最低价,包邮"\n2,户外椅\n', encoding="utf-8")
    assert [line["text"] for line in json_lines(run_check(str(by_suffix), "--json").output)] == [
        "全网最低价,包邮", "户外椅"]
    by_header = tmp_path / "export.txt"
    by_header.write_text("sku,text,price\nA1,户外椅,99\nA2,央视推荐,89\n", encoding="utf-8")
    result = run_check(str(by_header), "--json")
    assert result.exit_code == 1 and [line["text"] for line in json_lines(result.output)] == ["户外椅", "央视推荐"]
    no_column = tmp_path / "bad.csv"
    no_column.write_text("sku,price\nA1,99\n", encoding="utf-8")
    result = run_check(str(no_column))
    assert result.exit_code == 2 and "text or title column" in result.output


def test_check_reads_stdin():
    result = run_check("-", "--json", input="最好的露营椅\n户外椅\n")
    assert result.exit_code == 1 and len(json_lines(result.output)) == 2
    assert run_check("-", input="户外椅\n").exit_code == 0


def test_check_usage_errors_exit_2(tmp_path):
    assert run_check().exit_code == 2
    assert run_check(str(tmp_path / "missing.txt")).exit_code == 2
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    assert run_check(str(empty)).exit_code == 2


def config_with(tmp_path, extra: str):
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.toml").read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def test_check_uses_the_configs_user_dictionary(tmp_path):
    path = config_with(tmp_path, '\n[compliance]\nallow = ["最江南"]\n'
                                 'add = [{ term = "秒回本", family = "investment", severity = "warning", '
                                 'suggestion = "删除" }]\n')
    result = CliRunner().invoke(agent.app, ["--config", str(path), "check", "--json", "--text", "最江南 秒回本"])
    assert [(v["match"], v["category"], v["severity"]) for v in json_lines(result.output)[0]["violations"]] == [
        ("秒回本", "investment", "warning")]


def test_check_category_switches_rules():
    assert run_check("--text", "美白软糖", "--category", "cosmetics", "--min-severity", "warning").exit_code == 0
    assert run_check("--text", "美白软糖", "--category", "food", "--min-severity", "warning").exit_code == 1
    result = run_check("--text", "美白软糖", "--category", "shoes")
    assert result.exit_code == 2 and "--category must be one of" in result.output


def cli(*args: str) -> subprocess.CompletedProcess:
    """The real command line, in a process of its own."""
    return subprocess.run([sys.executable, str(ROOT / "agent.py"), "--config", str(ROOT / "config.toml"), "check",
                           *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_min_severity_filters_and_sets_the_exit_code_in_the_real_cli():
    text = "驰名商标 极致体验"   # a warning and an info
    assert cli("--text", text, "--min-severity", "critical").returncode == 0
    warning = cli("--json", "--text", text, "--min-severity", "warning")
    assert warning.returncode == 1
    assert [v["severity"] for v in json.loads(warning.stdout)["violations"]] == ["warning"]
    everything = cli("--json", "--text", text)
    assert everything.returncode == 1
    assert [v["severity"] for v in json.loads(everything.stdout)["violations"]] == ["warning", "info"]
    wrong = cli("--text", text, "--min-severity", "high")
    assert wrong.returncode == 2 and "--min-severity must be one of critical, warning, info" in wrong.stderr


def test_the_start_character_index_finds_what_a_full_search_finds():
    fast = compliance._matcher(ComplianceSettings())
    full = compliance._Matcher(load_lexicon())
    full.index_starts = False
    texts = [text for text, _ in fixture_rows()] + ["棉 100%", "成分：100%", "含量100%", "top 1", "no. 1", "100%防蚊"]
    for category in ("general", "food", "drug"):
        assert len(fast.patterns(category).anywhere) <= 2, (
            "only the exceptions that may start on any Chinese character (a brand before ®, a ranking before its "
            "source) are tried everywhere, and only in texts with ® or a bracket")
        for text in texts:
            folded = matching_form(text)
            assert (sorted(fast.candidates(folded, category), key=repr)
                    == sorted(full.candidates(folded, category), key=repr)), text


def test_patterns_tried_everywhere_are_searched_only_in_texts_holding_a_character_they_need():
    patterns = compliance._Patterns([("[\u4e00-\u9fff]{1,3}(?=®)", frozenset({"absolute"}))])
    assert patterns.starts is None and [m.group() for m, _ in patterns.matches("新款最江湖®")] == [
        "最江湖", "江湖", "湖"]
    assert list(patterns.matches("新款最江湖")) == []


def test_overlapping_patterns_of_different_rules_all_compete_by_length():
    [violation] = find_violations("驱蚊手环 100%防蚊")
    assert (violation.match, violation.rule) == ("100%防蚊", "efficacy.hundred_percent_effect")


@pytest.mark.parametrize(("text", "category", "match"), [
    ("全网第一 手办", "general", "全网第一"), ("电影海报 销量第一", "general", "销量第一"),
    ("买房首选 满五唯一", "real_estate", "首选"), ("治疗肺癌 理疗贴", "general", "治疗肺癌"),
])
def test_exemptions_are_narrow(text, category, match):
    assert match in {v.match for v in find_violations(text, category=category)}


def test_sole_home_is_a_tax_status_on_real_estate():
    assert find_violations("二手房 满五唯一 中间楼层", category="real_estate") == []


def test_a_slur_with_a_cancer_word_is_not_a_disease_claim():
    assert "medical" not in {v.category for v in find_violations("工装裤 穿上告别直男癌")}
    assert [v.category for v in find_violations("告别肝癌 理疗贴")] == ["medical"]


@pytest.mark.parametrize(("text", "category", "match", "family"), [
    ("噻虫嗪 wu残留 农药", "agri", "wu残留", "agri"), ("Wu残留 杀虫剂", "agri", "Wu残留", "agri"),
    ("电子烟 jieyan神器", "tobacco", "jieyan神器", "tobacco"), ("Jian害 电子烟", "tobacco", "Jian害", "tobacco"),
    ("会计证 baoguo班", "education", "baoguo班", "education"), ("面霜 xiao炎", "cosmetics", "xiao炎", "cosmetic_claim"),
    ("理财 稳zhuan不赔", "finance", "稳zhuan不赔", "investment"), ("０风险 理财", "finance", "０风险", "investment"),
    ("⓪风险 理财", "finance", "⓪风险", "investment"), ("电子烟 戒-烟神器", "tobacco", "戒-烟神器", "tobacco"),
    ("zuihao的椅子", "general", "zuihao", "absolute"),
])
def test_words_spelled_in_pinyin_or_digits_are_found_with_spans_into_the_original(text, category, match, family):
    found = [(v.match, v.category) for v in find_violations(text, category=category)]
    assert (match, family) in found
    assert all(text[v.start:v.end] == v.match for v in find_violations(text, category=category))


def test_a_spelled_character_maps_back_to_its_own_syllable():
    from monitors.normalise import Spellings, fold
    folded = fold("噻虫嗪 wu残留", Spellings(["无残留"]))
    assert folded.text == "噻虫嗪 无残留"
    assert folded.span(4, 5) == (4, 6), "无 is the seller's wu"
    assert folded.span(5, 7) == (6, 8), "残留 is still 残留"


@pytest.mark.parametrize("text", ["10风险 测评", "wukong 手办", "1.0风险 等级", "kwu残留", "残liuzhi"])
def test_spellings_do_not_reach_into_longer_words_or_numbers(text):
    from monitors.normalise import Spellings, fold
    spellings = Spellings(["零风险", "无残留", "残留"])
    assert fold(text, spellings).text == fold(text).text


def test_a_shared_spelling_stands_for_the_word_the_lexicon_uses_most():
    from monitors.normalise import Spellings, fold
    assert fold("baoguo", Spellings(["爆果", "保过", "保过", "包过"])).text == "保过"


@pytest.mark.parametrize(("text", "rule"), [
    ("史诗级 音质 耳机", "absolute.grade_pattern"), ("教科书级 做工", "absolute.grade_pattern"),
    ("按摩仪 不会有副作用", "medical.safety_pattern"), ("理疗贴 绝无毒副作用", "medical.safety_pattern"),
    ("增高鞋垫 保证长高", "efficacy.promise_outcome"), ("祛痘贴 一定能根除", "efficacy.promise_outcome"),
])
def test_the_laws_shapes_not_only_listed_sentences(text, rule):
    assert rule in {v.rule for v in find_violations(text)}


@pytest.mark.parametrize("text", ["面包有效期3天", "保证金 可退", "等级：一级"])
def test_the_shapes_stay_narrow(text):
    assert find_violations(text) == []


@pytest.mark.parametrize(("text", "category", "rule"), [
    ("行业领导者 蓝牙耳机", "general", "absolute.rank_pattern"),
    ("同类产品首选 电热水壶", "general", "absolute.rank_pattern"),
    ("称霸全网 销量 榨汁机", "general", "absolute.rank_verb"),
    ("领先全国 技术 空气炸锅", "general", "absolute.leading_pattern"),
    ("国宝级工艺 茶具", "general", "absolute.grade"),
    ("前所未有的舒适 床垫", "general", "absolute.unmatched_idiom"),
    ("这款是耳机界的天花板", "general", "absolute.ceiling_slang"),
    ("按摩仪 缓解肩颈疼痛", "general", "medical.disease_claim"),
    ("护眼台灯 防近视", "general", "medical.disease_claim"),
    ("护腰带 腰间盘突出克星", "general", "medical.disease_outcome"),
    ("艾灸贴 一贴就不痛", "general", "medical.instant_relief"),
    ("理疗仪 95%的患者有效", "general", "medical.cure_rate_figure"),
    ("枕头 医院同款 临床验证", "general", "medical.clinical_claim"),
    ("药膏 皮肤科医生推荐", "drug", "medical.professional_pattern"),
    ("牙刷 牙医都在用", "general", "qualification.professional_pattern"),
    ("保温杯 央视2套报道", "general", "qualification.media_endorsement"),
    ("茶叶 中国茶叶研究院指定", "general", "qualification.institution_endorsement"),
    ("增高鞋垫 包你长高 绝对有效", "general", "efficacy.promise_outcome"),
    ("祛斑仪 效果不满意全额退款", "general", "efficacy.guarantee_pattern"),
    ("脱毛仪 永久脱毛", "general", "efficacy.forever"),
    ("美容仪 28天告别细纹", "general", "efficacy.results_in_time"),
    ("增高鞋垫 长高只需一个月", "general", "efficacy.results_in_time"),
    ("吸尘器 完爆千元机", "general", "comparison.crush"),
    ("蚕丝被 外面卖的基本都是化纤冒充", "general", "comparison.others_all_bad"),
    ("枕头 不像某些品牌的产品", "general", "comparison.unlike_others"),
    ("吹风机 吊打戴森", "general", "comparison.named_brand"),
    ("猫砂 比别家结团快", "general", "comparison.than_others"),
    ("吸尘器 媲美大牌", "general", "comparison.dupe"),
    ("面膜 大牌都比不上", "general", "comparison.crush"),
    ("蜂蜜 市面上90%的蜂蜜都是糖浆勾兑", "food", "comparison.others_all_bad"),
    ("台灯 专注力提升一倍", "general", "efficacy.effect_figure"),
    ("健身环 燃烧1000卡", "general", "efficacy.effect_figure"),
])
def test_the_engine_families_by_the_shapes_of_their_articles(text, category, rule):
    assert rule in {v.rule for v in find_violations(text, category=category)}


@pytest.mark.parametrize(("text", "category"), [
    ("全国包邮 唯一指定收货", "general"), ("国货之光 行业标杆", "general"), ("吸顶灯 安装在天花板上", "general"),
    ("封神演义 小说 精装", "general"), ("手机壳 散热 防发热", "general"), ("面包 有效期30天", "food"),
    ("钱包 白色 真皮", "general"), ("不满意包退 七天无理由", "general"), ("一次性手套 100只", "general"),
    ("拖把 一用好几年", "general"), ("耳机 比上一代续航长2倍", "general"), ("白大褂 医生用 护士服", "general"),
    ("爱国礼品 抱枕", "general"), ("限时秒杀 超过同级", "general"), ("耳机 续航较前代提升30%", "general"),
])
def test_the_engine_families_shapes_stay_off_lawful_wording(text, category):
    assert [v for v in find_violations(text, category=category) if v.category in ENGINE_FAMILIES
            and v.severity != "info"] == []


def test_two_rules_on_the_same_span_the_sectors_own_wins_whatever_the_order():
    from monitors.compliance import _PATTERN, _resolve
    from monitors.lexicon import Rule

    general = Rule(id="medical.claim", family="medical", law="l", severity="critical", suggestion="s",
                   pattern="降血糖")
    food = Rule(id="food_claim.disease", family="food_claim", law="l", severity="critical", suggestion="s",
                pattern="降血糖", categories=frozenset({"food"}))
    for candidates in ([(0, 3, _PATTERN, general), (0, 3, _PATTERN, food)],
                       [(0, 3, _PATTERN, food), (0, 3, _PATTERN, general)]):
        assert [rule.id for _, _, rule in _resolve(candidates, 3)] == ["food_claim.disease"]


def test_on_the_same_span_a_breach_is_not_hidden_by_a_platform_filter_word():
    from monitors.compliance import _PATTERN, _TERM, _resolve
    from monitors.lexicon import Rule

    slang = Rule(id="urgency.slang", family="urgency", law="l", severity="info", suggestion="s", terms=("万人疯抢",))
    claim = Rule(id="misleading.sales", family="misleading", law="l", severity="warning", suggestion="s",
                 pattern="万人疯抢")
    for candidates in ([(0, 4, _TERM, slang), (0, 4, _PATTERN, claim)], [(0, 4, _PATTERN, claim), (0, 4, _TERM, slang)]):
        assert [rule.id for _, _, rule in _resolve(candidates, 4)] == ["misleading.sales"]
