"""The demo marketplace's generated world: determinism, size, ground-truth consistency and the scripted scenario.

The compliance checks use their own banned-word list, independent of the generator's banks, so a clean listing
that accidentally says 最 or 第一 fails here even though the generator never recorded it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
from dataclasses import asdict, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from demo_market.content import (
    CATEGORY_CONTENT,
    GENERIC_PRAISE,
    OPENERS_ANY,
    OPENERS_NEG,
    OPENERS_POS,
    OWN_SHOP,
)
from demo_market.model import PLATFORMS, Product
from demo_market.world import OWN_PRODUCTS, STEP_HOURS, World, build_world

BANNED = ("最", "第一", "唯一", "顶级", "国家级", "世界级", "100%", "NO.1", "秒杀同行", "秒杀原装", "吊打", "十倍",
          "治疗", "根治", "预防", "缓解", "抗癌", "降血糖", "瘦", "见效", "国家认证", "专供", "特供", "免检", "永不")
PERMITTED = ("最近", "第一次", "第一步", "唯一的缺点")
ID_FORMATS = {"shangcheng": r"SC\d{5}", "laodian": r"\d{6}", "kuaigou": r"\d{10}"}
HORIZON = 24       # steps walked by the soak-style checks over all products (six days)
OWN_HORIZON = 240  # steps walked for the six own products (sixty days: restocks and many single reviews)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


def _by_id(world: World, item_id: str) -> Product:
    return next(p for p in world.products if p.item_id == item_id)


def _event(world: World, step: int, kind: str, platform: str | None = None):
    matches = [e for e in world.events(step) if e.kind == kind and (platform is None or e.platform == platform)]
    assert len(matches) == 1, (kind, platform, matches)
    return matches[0]


def _occurrences(text: str, term: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(term), text)]


# --- determinism -------------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_world_whatever_the_query_order():
    first, second = World(11, 0.3), World(11, 0.3)
    assert first.products == second.products
    probe = first.products[7]
    # Ask the second world about later steps first and about other products in between.
    for other in second.products[:20]:
        second.state(other, 9)
    assert [second.state(probe, s) for s in (6, 2, 0)] == [first.state(probe, s) for s in (6, 2, 0)]
    assert second.reviews(probe, 6) == first.reviews(probe, 6)
    assert [second.hot_terms("kuaigou", s) for s in (5, 1)] == [first.hot_terms("kuaigou", s) for s in (5, 1)]
    assert second.ground_truth(4) == first.ground_truth(4)


def test_world_is_identical_in_another_process(world):
    """The server runs in its own process: string hashing (PYTHONHASHSEED) must not leak into the world."""
    script = ("import hashlib, json; from demo_market.world import build_world; "
              "print(hashlib.sha256(json.dumps(build_world().ground_truth(3), sort_keys=True).encode()).hexdigest())")
    here = hashlib.sha256(json.dumps(world.ground_truth(3), sort_keys=True).encode()).hexdigest()
    for hash_seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": hash_seed}, cwd=Path(__file__).parents[1])
        assert out.stdout.strip() == here


def test_build_world_is_cached(world):
    assert build_world() is world
    assert build_world(2026, 1.0) is world


def test_another_seed_changes_competitors_but_not_own_listings(world):
    other = World(99, 1.0)
    ours = {(p.platform, p.item_id) for p in world.products if not p.own}
    theirs = {(p.platform, p.item_id) for p in other.products if not p.own}
    assert len(ours & theirs) < 0.1 * len(ours)
    assert {p.title for p in world.products if not p.own} != {p.title for p in other.products if not p.own}
    for platform, item_id in OWN_PRODUCTS:
        mine, again = world.product(platform, item_id), other.product(platform, item_id)
        assert again is not None and mine is not None
        assert (again.title, again.description, again.base_price, again.cost, again.band) == (
            mine.title, mine.description, mine.base_price, mine.cost, mine.band)


# --- size and shape ----------------------------------------------------------------------------------------


def test_counts_at_scale_one(world):
    assert len(world.products) >= 300
    assert len(world.categories) >= 4
    for platform in PLATFORMS:
        listed = world.products_on(platform)
        assert len(listed) >= 100
        assert {p.category for p in listed} == set(world.categories)
    counts = [len(world.reviews(p, 0)) for p in world.products]
    assert sum(counts) >= 10_000
    # long tail: a few products carry far more reviews than the typical one
    assert max(counts) >= 10 * statistics.median(counts)
    assert sum(sorted(counts)[-len(counts) // 10:]) >= 0.4 * sum(counts)


def test_scale_roughly_multiplies_the_world(world):
    double = World(2026, 2.0)
    product_ratio = len(double.products) / len(world.products)
    review_ratio = (sum(double.state(p, 0).review_count for p in double.products)
                    / sum(world.state(p, 0).review_count for p in world.products))
    assert 1.8 <= product_ratio <= 2.2
    assert 1.6 <= review_ratio <= 2.4


def test_ids_are_unique_per_platform_and_shaped_like_the_platform(world):
    for platform in PLATFORMS:
        listed = world.products_on(platform)
        item_ids = [p.item_id for p in listed]
        assert len(set(item_ids)) == len(item_ids)
        assert all(re.fullmatch(ID_FORMATS[platform], i) for i in item_ids)
        review_ids = [r.review_id for p in listed for r in world.reviews(p, 8)]
        assert len(set(review_ids)) == len(review_ids)
        sku_ids = [s.sku_id for p in listed for s in p.skus]
        assert len(set(sku_ids)) == len(sku_ids)


def test_clock_is_fixed_epoch_plus_steps(world):
    epoch = datetime(2026, 11, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    assert STEP_HOURS == 6
    assert world.clock(0) == epoch
    assert world.clock(4) == epoch + timedelta(days=1)
    with pytest.raises(ValueError):
        world.state(world.products[0], -1)


# --- compliance ground truth -------------------------------------------------------------------------------


def test_violation_spans_index_their_field_exactly(world):
    violations = [(p, v) for p in world.products for v in p.violations]
    assert violations
    for product, v in violations:
        text = product.title if v.field == "title" else product.description
        assert text[v.start:v.end] == v.match
    assert {v.category for _, v in violations} == {"absolute", "medical", "efficacy", "comparison", "qualification"}
    assert {v.field for _, v in violations} == {"title", "description"}


def test_violation_and_tricky_shares_cover_every_category(world):
    violating = [p for p in world.products if p.violations]
    tricky = [p for p in world.products if p.tricky_clean]
    assert 0.15 <= len(violating) / len(world.products) <= 0.25
    assert 0.07 <= len(tricky) / len(world.products) <= 0.13
    assert {p.category for p in violating} == set(world.categories)
    assert {p.category for p in tricky} == set(world.categories)


def test_every_banned_term_in_a_listing_is_a_recorded_violation(world):
    for product in world.products:
        for field, text in (("title", product.title), ("description", product.description)):
            spans = [(v.start, v.end) for v in product.violations if v.field == field]
            if product.tricky_clean:
                for permitted in PERMITTED:
                    text = text.replace(permitted, "＿" * len(permitted))
            for term in BANNED:
                for at in _occurrences(text, term):
                    assert any(start <= at < end for start, end in spans), (product.item_id, field, term, text)


def test_tricky_clean_listings_use_permitted_words_and_have_no_violation(world):
    for product in (p for p in world.products if p.tricky_clean):
        assert product.violations == ()
        assert any(w in product.title + product.description for w in PERMITTED), product.item_id


def test_own_products_are_the_curated_clean_listings(world):
    assert OWN_PRODUCTS == (("shangcheng", "SC10001"), ("shangcheng", "SC10002"), ("laodian", "880001"),
                            ("laodian", "880002"), ("kuaigou", "7100000001"), ("kuaigou", "7100000002"))
    expected = {"SC10001": ("camping_chair", 62.0, (89.0, 139.0)), "SC10002": ("pet_fountain", 75.0, (109.0, 169.0)),
                "880001": ("camping_chair", 58.0, (85.0, 129.0)), "880002": ("power_bank", 45.0, (69.0, 99.0)),
                "7100000001": ("pet_fountain", 80.0, (119.0, 179.0)),
                "7100000002": ("meal_replacement", 38.0, (59.0, 99.0))}
    own = [p for p in world.products if p.own]
    assert {p.item_id for p in own} == set(expected)
    for product in own:
        assert (product.category, product.cost, product.band) == expected[product.item_id]
        assert product.shop == OWN_SHOP and product.safety_stock
        assert product.violations == () and not product.tricky_clean
        assert not any(term in product.title + product.description for term in BANNED)
        assert product.band[0] <= product.base_price <= product.band[1]
    assert 99 <= _by_id(world, "SC10001").base_price <= 119
    assert not any(p.shop == OWN_SHOP for p in world.products if not p.own)


# --- states and reviews over time --------------------------------------------------------------------------


def test_review_count_matches_visible_reviews_and_visibility_only_grows(world):
    for product in world.products[::7]:
        previous: list = []
        for step in (0, 1, 2, 5, 9):
            visible = world.reviews(product, step)
            assert world.state(product, step).review_count == len(visible)
            assert {r.review_id for r in previous} <= {r.review_id for r in visible}
            assert [r.posted_at for r in visible] == sorted((r.posted_at for r in visible), reverse=True)
            assert all(r.step <= step for r in visible)
            previous = visible


def test_review_dates_follow_the_steps(world):
    epoch = world.clock(0)
    for product in world.products[::5]:
        for review in world.reviews(product, 6):
            if review.step == 0:
                assert epoch - timedelta(days=91) < review.posted_at < epoch
            else:
                assert world.clock(review.step) <= review.posted_at < world.clock(review.step + 1)


def test_new_reviews_trickle_in_more_for_popular_products(world):
    new = {p.item_id: world.state(p, HORIZON).review_count - world.state(p, 0).review_count for p in world.products}
    assert sum(1 for n in new.values() if n > 0) >= len(world.products) // 3
    ranked = sorted(world.products, key=lambda p: p.base_monthly_sales)
    quarter = len(ranked) // 4
    assert sum(new[p.item_id] for p in ranked[-quarter:]) > 3 * sum(new[p.item_id] for p in ranked[:quarter])


def test_rating_follows_visible_reviews(world):
    for product in world.products:
        visible = world.reviews(product, 3)
        if visible:
            assert world.state(product, 3).rating == pytest.approx(
                statistics.mean(r.rating for r in visible), abs=0.051)
        if product.own:
            assert 4.0 <= product.rating <= 5.0


def test_prices_stay_positive_and_consistent(world):
    for product in world.products:
        for step in range(0, HORIZON, 3):
            state = world.state(product, step)
            assert state.price > 0
            assert state.price <= state.price_max
            assert state.price <= state.list_price
            if state.promo_price is not None:
                assert 0 < state.promo_price < state.price
            assert state.monthly_sales >= product.base_monthly_sales


def test_monthly_sales_grow_and_stock_falls_with_them(world):
    product = max((p for p in world.products if not p.own), key=lambda p: p.base_monthly_sales)
    sales = [world.state(product, s).monthly_sales for s in range(HORIZON)]
    stock = [world.state(product, s).stock for s in range(HORIZON)]
    assert sales == sorted(sales) and sales[-1] > sales[0]
    assert any(b < a for a, b in itertools.pairwise(stock))


def test_only_the_scripted_competitor_ever_sells_out(world):
    stock_out = _event(world, 1, "stock_out", "laodian").item_id
    for product in world.products:
        for step in range(HORIZON):
            if world.state(product, step).stock == 0:
                assert (product.item_id, step) == (stock_out, 1)


def test_own_products_stay_in_band_and_above_the_stock_warning_line_unless_scripted(world):
    for platform, item_id in OWN_PRODUCTS:
        product = world.product(platform, item_id)
        for step in range(OWN_HORIZON):
            state = world.state(product, step)
            if not (item_id == "880002" and step == 1):
                assert product.band[0] <= state.price <= product.band[1]
            if not (item_id == "SC10002" and step >= 1):
                assert state.stock >= 0.5 * product.safety_stock


# --- the scripted scenario ---------------------------------------------------------------------------------


def test_competitor_undercut_at_step_one(world):
    event = _event(world, 1, "competitor_undercut", "shangcheng")
    competitor, own = world.product("shangcheng", event.item_id), world.product("shangcheng", "SC10001")
    assert not competitor.own and "露营椅" in competitor.title
    own_price = world.state(own, 1).price
    assert world.state(competitor, 0).price >= own_price
    assert world.state(competitor, 1).price <= 0.85 * own_price
    assert event.detail["new_price"] == world.state(competitor, 1).price
    assert event.detail["keyword"] == "露营椅"
    assert competitor in world.search("shangcheng", "露营椅", 1)


def test_below_cost_at_step_one_and_restored_at_step_two(world):
    product = world.product("laodian", "880002")
    assert world.state(product, 0).price >= product.band[0]
    assert world.state(product, 1).price < product.cost
    assert product.band[0] <= world.state(product, 2).price <= product.band[1]
    assert _event(world, 1, "below_cost").item_id == "880002"
    assert _event(world, 2, "price_restored").item_id == "880002"


def test_negative_burst_on_own_fountain(world):
    product = world.product("kuaigou", "7100000001")
    new = world.state(product, 1).review_count - world.state(product, 0).review_count
    assert new == 8
    burst = [r for r in world.reviews(product, 1) if r.step == 1]
    assert len(burst) == 8 and all(r.sentiment == "neg" and r.rating <= 2 for r in burst)
    assert sum(1 for r in burst if "安全" in r.themes or "噪音" in r.themes) == 8
    assert sum(1 for r in burst if "安全" in r.themes) >= 5
    assert set(_event(world, 1, "negative_burst").detail["review_ids"]) == {r.review_id for r in burst}


def test_stock_out_and_restock_of_a_competitor(world):
    product = world.product("laodian", _event(world, 1, "stock_out").item_id)
    assert not product.own
    assert world.state(product, 0).stock > 0
    assert world.state(product, 1).stock == 0 and not world.state(product, 1).available
    assert world.state(product, 2).stock > 0
    assert _event(world, 2, "restocked").item_id == product.item_id
    truth = next(p for p in world.ground_truth(1)["products"] if p["item_id"] == product.item_id)
    assert truth["availability"] == "OutOfStock"


def test_own_low_stock_at_step_one(world):
    product = world.product("shangcheng", "SC10002")
    assert world.state(product, 0).stock >= 0.5 * product.safety_stock
    assert 0 < world.state(product, 1).stock < 0.5 * product.safety_stock
    assert _event(world, 1, "own_low_stock").item_id == "SC10002"


def test_own_title_gains_a_banned_word_at_step_one_and_keeps_it(world):
    before, after = world.product("laodian", "880001"), world.product("laodian", "880001", 1)
    assert before.own and before.violations == () and not any(term in before.title for term in BANNED)
    [planted] = after.violations
    assert (planted.field, planted.match, planted.category) == ("title", "国家级", "absolute") and "国家级" in BANNED
    assert after.title[planted.start:planted.end] == planted.match
    assert after.title.replace("国家级品质", "", 1) == before.title, "the word is added, the rest of the title kept"
    assert replace(after, title=before.title, violations=()) == before, "only the title changes"
    assert world.product("laodian", "880001", 9) == after, "the edit stands"
    event = _event(world, 1, "own_title_violation")
    assert (event.platform, event.item_id) == ("laodian", "880001")
    assert event.detail == {"old_title": before.title, "title": after.title, **asdict(planted)}
    assert not [e for step in (0, 2, 3) for e in world.events(step) if e.kind == "own_title_violation"]
    assert before in world.search("laodian", "露营椅", 0) and after in world.search("laodian", "露营椅", 1)


def test_price_jitter_is_exactly_one_fen(world):
    for platform in PLATFORMS:
        listed = _event(world, 1, "price_jitter", platform).detail["item_ids"]
        assert len(listed) >= 1
        for item_id in listed:
            product = world.product(platform, item_id)
            base = world.state(product, 0).price
            assert abs(world.state(product, 1).price - base) == pytest.approx(0.01, abs=1e-9)
            for step in range(2, 12):
                assert abs(world.state(product, step).price - base) <= 0.01 + 1e-9


def test_hot_term_entry_and_exit_at_step_one(world):
    for platform in PLATFORMS:
        before = {h.term for h in world.hot_terms(platform, 0)}
        after = {h.term for h in world.hot_terms(platform, 1)}
        entered = _event(world, 1, "hot_term_new", platform).detail["term"]
        dropped = _event(world, 1, "hot_term_dropped", platform).detail["term"]
        assert after - before == {entered}
        assert before - after == {dropped}


def test_every_own_negative_review_after_step_zero_is_an_event(world):
    announced = {rid for step in range(1, OWN_HORIZON) for e in world.events(step)
                 if e.kind in ("negative_burst", "own_negative_review") for rid in e.detail["review_ids"]}
    later = [r for platform, item_id in OWN_PRODUCTS
             for r in world.reviews(world.product(platform, item_id), OWN_HORIZON - 1) if r.step >= 1]
    actual = {r.review_id for r in later if r.sentiment == "neg"}
    assert announced == actual
    assert len(actual) > 8 + 10  # the burst plus occasional single ones
    # own reviews after step 0 are unambiguous, so the expected alert count is too
    assert all(r.rating <= 2 for r in later if r.sentiment == "neg")
    assert not any(r.themes for r in later if r.sentiment != "neg")


def test_no_events_at_step_zero_and_later_steps_only_churn(world):
    assert world.events(0) == []
    later = {e.kind for step in range(3, HORIZON) for e in world.events(step)}
    assert later <= {"hot_term_new", "hot_term_dropped", "own_negative_review"}


# --- hot terms and search ----------------------------------------------------------------------------------


def test_hot_terms_are_a_changing_ranking_of_category_terms(world):
    for platform in PLATFORMS:
        rankings = [world.hot_terms(platform, s) for s in range(HORIZON)]
        for ranking in rankings:
            assert 20 <= len(ranking) <= 30
            assert [h.rank for h in ranking] == list(range(1, len(ranking) + 1))
            assert [h.heat for h in ranking] == sorted((h.heat for h in ranking), reverse=True)
            assert any(h.rising for h in ranking) and not all(h.rising for h in ranking)
            for term in ranking:
                assert world.search(platform, term.term, 0), term.term
        orders = {tuple(h.term for h in r) for r in rankings}
        assert len(orders) > HORIZON // 2                     # rank jumps
        assert len({h.term for r in rankings for h in r}) > len(rankings[0])  # entries over time


def test_search_orders_title_matches_first_then_by_sales(world):
    results = world.search("shangcheng", "露营椅", 3)
    in_title = ["露营椅" in p.title for p in results]
    assert in_title == sorted(in_title, reverse=True)
    assert any(in_title) and not all(in_title)  # synonyms (月亮椅, 钓鱼椅 ...) follow
    title_hits = [world.state(p, 3).monthly_sales for p in results if "露营椅" in p.title]
    assert title_hits == sorted(title_hits, reverse=True)
    assert all(p.category == "camping_chair" for p in results if "露营椅" not in p.title)
    assert world.search("shangcheng", "羽绒服", 0) == []


def test_own_products_are_found_by_their_category_keywords(world):
    for platform, item_id in OWN_PRODUCTS:
        product = world.product(platform, item_id, 2)
        for keyword in world.categories[product.category].keywords:
            assert product in world.search(platform, keyword, 2), (item_id, keyword)


# --- ground truth ------------------------------------------------------------------------------------------


def test_ground_truth_is_json_and_agrees_with_the_views(world):
    truth = json.loads(json.dumps(world.ground_truth(2)))
    assert truth["step"] == 2 and truth["clock"] == world.clock(2).isoformat()
    assert len(truth["products"]) == len(world.products)
    assert truth["review_totals"] == {
        pf: sum(world.state(p, 2).review_count for p in world.products_on(pf)) for pf in PLATFORMS}
    assert truth["keywords"]["camping_chair"][0] == "露营椅"
    assert {e["kind"] for e in truth["events"]} >= {
        "competitor_undercut", "below_cost", "negative_burst", "stock_out", "own_low_stock", "hot_term_new",
        "hot_term_dropped", "price_jitter", "price_restored", "restocked", "own_title_violation"}
    for platform in PLATFORMS:
        assert [h["term"] for h in truth["hot_terms"][platform]] == [h.term for h in world.hot_terms(platform, 2)]
    entry = next(p for p in truth["products"] if p["item_id"] == "880002")
    assert entry["own"] and entry["cost"] == 45.0 and entry["band"] == [69.0, 99.0]
    edited = next(p for p in truth["products"] if p["item_id"] == "880001")
    listing = world.product("laodian", "880001", 2)
    assert edited["title"] == listing.title and edited["violations"] == [asdict(v) for v in listing.violations] != []
    assert [e["detail"]["match"] for e in truth["events"] if e["kind"] == "own_title_violation"] == ["国家级"]
    assert entry["price"] == world.state(world.product("laodian", "880002"), 2).price
    assert entry["currency"] == "CNY" and entry["availability"] == "InStock"


def test_pain_points_are_category_specific(world):
    pains = world.ground_truth(0)["pain_points"]
    assert sum(1 for themes in pains.values() if themes) >= 3
    for themes in pains.values():
        assert sum(t["share"] for t in themes) == pytest.approx(1.0, abs=0.01)
        assert [t["rank"] for t in themes] == list(range(1, len(themes) + 1))
    rank = {cat: {t["theme"]: t["rank"] for t in themes} for cat, themes in pains.items()}
    assert rank["pet_fountain"]["安全"] <= 2
    assert "安全" not in rank["camping_chair"]
    assert rank["camping_chair"]["质量"] == 1
    assert next(t["share"] for t in pains["camping_chair"] if t["theme"] == "质量") > 0.25
    assert "效果" in rank["meal_replacement"] and "效果" not in rank["power_bank"]


def test_product_pain_points_only_with_enough_negative_reviews(world):
    products = world.ground_truth(0)["products"]
    with_pains = [p for p in products if "pain_points" in p]
    assert with_pains
    assert all(p["negative_reviews"] >= 5 for p in with_pains)
    assert all(p["negative_reviews"] < 5 for p in products if "pain_points" not in p)
    # products differ from their category's profile
    assert len({p["pain_points"][0]["theme"] for p in with_pains if p["category"] == "pet_fountain"}) >= 2


# --- review text realism -----------------------------------------------------------------------------------


def test_reviews_carry_the_noise_of_real_reviews(world):
    reviews = [r for p in world.products for r in world.reviews(p, 0)]
    texts = [r.text for r in reviews]
    assert len(set(texts)) >= 0.5 * len(texts)
    assert any(t in ("此用户没有填写评价。", "用户未填写评价内容") for t in texts)
    assert "系统默认好评" in texts
    followups = [r for r in reviews if r.append]
    assert any(r.sentiment == "pos" for r in followups)
    assert any(r.sentiment == "neg" and r.rating >= 3 and r.themes for r in followups), "a good review turned bad"
    assert any(re.search("[質評聲貓燙]", t) for t in texts)          # Traditional characters
    assert any(re.search("[０-９Ａ-Ｚａ-ｚ]", t) for t in texts)       # full-width letters or digits
    assert any(re.search("[\U0001F300-\U0001FAFF]", t) for t in texts)
    assert any("！！！" in t or "。。。" in t for t in texts)
    assert min(map(len, texts)) <= 4 and max(map(len, texts)) >= 60
    assert any(r.rating == 5 and r.sentiment == "neutral" and r.themes for r in reviews)
    assert any(r.rating == 3 and r.sentiment == "neg" for r in reviews)
    assert any(len(r.themes) == 2 for r in reviews if r.sentiment == "neg")
    assert all(re.fullmatch(r"[^:;]+:[^:;]+(;[^:;]+:[^:;]+)*", r.sku) for r in reviews)
    assert all(r.themes == () for r in reviews if r.sentiment == "pos")


def test_negative_review_text_states_its_themes(world):
    category = {p.item_id: p.category for p in world.products}
    themed = [r for p in world.products for r in world.reviews(p, 0) if r.sentiment == "neg" and r.themes]
    phrases = {key: {pp.theme: pp.phrases for pp in c.pain_points} for key, c in world.categories.items()}
    written = {r.review_id: r.text + (r.append or "") for r in themed}  # a follow-up may carry the complaint
    stated = sum(all(any(ph in written[r.review_id] for ph in phrases[category[r.item_id]][t]) for t in r.themes)
                 for r in themed)
    assert stated >= 0.95 * len(themed)


def test_content_clauses_name_exactly_their_theme():
    fillers = GENERIC_PRAISE + OPENERS_ANY + OPENERS_POS + OPENERS_NEG
    for content in CATEGORY_CONTENT.values():
        phrases = {pp.theme: pp.phrases for pp in content.category.pain_points}
        for theme, clauses in list(content.complaints.items()) + list(content.mild.items()):
            for clause in clauses:
                assert any(ph in clause for ph in phrases[theme]), (theme, clause)
                for other, other_phrases in phrases.items():
                    if other != theme:
                        assert not any(ph in clause for ph in other_phrases), (theme, other, clause)
        for text in content.praise + fillers:
            assert not any(ph in text for pps in phrases.values() for ph in pps), (content.category.key, text)
        for term in content.hot_tails:
            assert any(k.lower() in term.lower() for k in content.category.keywords), term
