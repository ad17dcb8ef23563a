"""Evidence as a person reads it (delivery/evidence.py): each value kind's rule, unknown keys, and a label for every
key the monitors write.

The inventory is read from the monitors' source (the dict literals they pass as `evidence`, and those it is built
from elsewhere: a compliance violation's fields, a price band's, an opportunity insight's detail) rather than from
alerts raised in fixtures: a fixture shows only the keys its scenario reaches, the source shows every one, and a
key added to a monitor fails here until it has a label.
"""

from __future__ import annotations

import ast
import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from competitors import PriceBand
from delivery.evidence import LABELS, Link, Row, read_evidence
from monitors.compliance import Violation

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
MOMENT = "2026-12-07T14:27:03.123456+00:00"

# (file, function or None for the whole file, the names whose dict literals are evidence or become part of it).
EVIDENCE_SOURCES = [
    ("monitors/price.py", None, {"evidence"}),
    ("monitors/reviews.py", None, {"evidence"}),
    ("monitors/reviews.py", "surge", None),                      # a surge's window, spread into its evidence
    ("monitors/stock.py", None, {"evidence"}),
    ("monitors/compliance.py", None, {"evidence"}),
    ("monitors/compliance.py", "_listing_violations", None),   # each violation of `violations`
    ("monitors/health.py", None, {"evidence"}),
    ("nlp/insights.py", "record_opportunities", {"detail"}),    # an opportunity's evidence is its insight's detail
    ("nlp/painpoints.py", "differentiation_opportunity", {"detail"}),  # where that detail's examples come from
]


def rows(evidence: dict, this_year: int = 2026) -> list[tuple[str, str, int]]:
    return [(row.label, row.value, row.level) for row in read_evidence(evidence, SHANGHAI, this_year).rows]


def _dict_keys(node: ast.AST) -> set[str]:
    return {key.value for found in ast.walk(node) if isinstance(found, ast.Dict)
            for key in found.keys if isinstance(key, ast.Constant) and isinstance(key.value, str)}


def _evidence_keys(path: str, function: str | None, names: set[str] | None) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    if function is not None:
        tree = next(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == function)
    if names is None:
        return _dict_keys(tree)
    keys: set[str] = set()
    for node in ast.walk(tree):
        passed = isinstance(node, ast.keyword) and node.arg in names
        assigned = isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names
                                                        for t in node.targets)
        if passed or assigned:
            keys |= _dict_keys(node.value)
    return keys


def monitor_keys() -> set[str]:
    keys = set().union(*(_evidence_keys(*source) for source in EVIDENCE_SOURCES))
    return keys | {field.name for kind in (PriceBand, Violation) for field in dataclasses.fields(kind)}


def test_every_key_the_monitors_write_has_a_label_and_every_label_a_key() -> None:
    keys = monitor_keys()
    assert {"band", "sentiment_score", "respond_by", "violations", "median", "law", "thresholds"} <= keys, \
        "the source walk finds the keys (a sanity check of the walk itself)"
    assert sorted(keys - LABELS.keys()) == [], "label these in delivery/evidence.py"
    assert sorted(LABELS.keys() - keys) == [], "no monitor writes these any more"


def test_money_bands_scores_stars_and_lists_read_as_a_person_writes_them() -> None:
    assert rows({"price": 39.9, "cost": 1299, "band": [69.0, 99.0], "sentiment_score": 0.016230462924546763,
                 "rating": 2.0, "pain_points": ["漏水", "质量差"], "suggested_price": -5}) == [
        ("当前价", "¥39.90", 0), ("成本", "¥1,299.00", 0), ("价格区间", "¥69.00 – ¥99.00", 0),
        ("情感得分", "0.02", 0), ("评分", "2★", 0), ("痛点", "漏水、质量差", 0), ("建议价", "-¥5.00", 0)]


def test_percentages_have_no_space_and_at_most_one_decimal_whether_share_or_percent() -> None:
    assert rows({"share": 0.125, "below_own": 0.3, "baseline": 0.33333, "value_premium_pct": 30.0}) == [
        ("占比", "12.5%", 0), ("低于我方", "30%", 0), ("此前占比", "33.3%", 0), ("溢价", "30%", 0)]


def test_times_are_local_to_the_minute_with_the_year_only_when_it_is_another() -> None:
    assert rows({"respond_by": MOMENT}) == [("应回复时间", "12-07 22:27", 0)]
    assert rows({"respond_by": MOMENT}, this_year=2027) == [("应回复时间", "2026-12-07 22:27", 0)]
    assert rows({"since": "2026-12-07T14:27:03"}) == [("开始时间", "12-07 22:27", 0)], "the store's UTC, unmarked"
    assert rows({"since": "上周"}) == [("开始时间", "上周", 0)], "not a time: shown as written"


def test_nested_evidence_is_labelled_sub_rows() -> None:
    band = {"count": 5, "min": 30.0, "p25": 35.5, "median": 40.0, "p75": 45.0, "max": 60.0}
    assert rows({"before": band}) == [
        ("变动前", "", 0), ("商品数", "5", 1), ("最低价", "¥30.00", 1), ("25% 分位价", "¥35.50", 1),
        ("中位价", "¥40.00", 1), ("75% 分位价", "¥45.00", 1), ("最高价", "¥60.00", 1)]
    violation = {"field": "title", "match": "最好", "start": 0, "end": 2, "law": "《广告法》第九条"}
    assert rows({"violations": [violation]})[:3] == [("违规用语", "", 0), ("1", "", 1), ("位置", "title", 2)]
    assert rows({"reference": {"basis": "own_band_middle", "price": 84.0, "own_band": [69, 99]}}) == [
        ("参考价", "", 0), ("依据", "own_band_middle", 1), ("当前价", "¥84.00", 1),
        ("我方价格区间", "¥69.00 – ¥99.00", 1)]


def test_an_unknown_key_shows_under_its_name_as_readable_text_and_empty_values_are_left_out() -> None:
    assert rows({"new_thing": {"ratio": 1.23456, "flag": True}, "tags": [1.5, "x"], "previous_price": None,
                 "append": "", "clauses": []}) == [
        ("new_thing", "", 0), ("ratio", "1.23", 1), ("flag", "是", 1), ("tags", "1.5、x", 0)]


def test_links_are_kept_apart_from_the_table() -> None:
    read = read_evidence({"url": "https://shop.test/1", "link": "https://shop.test/2", "title": "椅子"}, SHANGHAI, 2026)
    assert read.rows == [Row("商品", "椅子")]
    assert read.links == [Link("商品链接", "https://shop.test/1"), Link("link", "https://shop.test/2")]


def test_a_value_not_of_its_keys_kind_is_still_shown_and_a_half_band_reads_as_one() -> None:
    moment = datetime(2026, 12, 7, 14, 27, tzinfo=UTC)
    assert rows({"respond_by": 5, "rating": "好评", "band": [None, 99.0], "own_band": [None, None]}) == [
        ("应回复时间", "5", 0), ("评分", "好评", 0), ("价格区间", "≤ ¥99.00", 0)]
    assert rows({"observed_at": moment.isoformat()}) == [("观测时间", "12-07 22:27", 0)]
