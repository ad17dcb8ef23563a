"""The analysis pass over the store: scores, pain-point themes, insights, idempotence; and, marked integration, the
pass over a real crawl of the live demo marketplace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config import load_config
from conftest import fast_config
from nlp import sentiment
from nlp.analysis import analyse, is_negative, needs_reading
from store import HotTermRecord, PriceObservation, ProductRecord, ReviewRecord, SearchHit, Store, open_store

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
QUALITY = "质量太差了，用了两天就坏了"
SHIPPING = "发货太慢了，等了一个星期"
PRAISE = "很好用，很满意，推荐购买"
MIXED = "外观挺好看的，就是噪音有点大"


@pytest.fixture(scope="module")
def model() -> sentiment.SentimentModel:
    return sentiment.ensure_model()


@pytest.fixture
def config(tmp_path: Path):
    return load_config(fast_config(tmp_path))


@pytest.fixture
def store(config):
    with open_store(config.store.path) as opened:
        yield opened


def add_listing(store: Store, item: str, title: str, price: float, reviews: list[tuple[str, float]], *,
                own: bool = False, band: tuple[float, float] | None = None) -> int:
    product_id = store.upsert_product(ProductRecord(
        platform="shangcheng", url=f"http://127.0.0.1:8701/item/{item}.html", item_id=item, title=title, own=own,
        band_min=band[0] if band else None, band_max=band[1] if band else None))
    store.add_price_observation(product_id, PriceObservation(price=price, observed_at=NOW - timedelta(hours=1)))
    store.add_reviews(product_id, [
        ReviewRecord(text=text, rating=stars, review_id=f"{item}-{i}", posted_at=NOW - timedelta(days=i % 20))
        for i, (text, stars) in enumerate(reviews)])
    return product_id


def add_keyword(store: Store, keyword: str, product_ids: list[int]) -> None:
    store.add_search_results("shangcheng", keyword, [SearchHit(rank=i, product_id=pid)
                                                     for i, pid in enumerate(product_ids, start=1)],
                             observed_at=NOW - timedelta(hours=1))


def competitor_reviews(quality: int, shipping: int, praise: int) -> list[tuple[str, float]]:
    return [(QUALITY, 1)] * quality + [(SHIPPING, 2)] * shipping + [(PRAISE, 5)] * praise + [(MIXED, 4)]


@pytest.fixture
def market(store: Store) -> dict[str, int]:
    """露营椅: cheap competitors (39-57 yuan, our band 89-139) whose negative reviews are mostly about quality.
    充电宝: the same complaints, but the competitors sell above our band's middle, so they do not sell cheap."""
    chairs = [add_listing(store, f"C{i}", f"户外折叠露营椅便携钓鱼椅{i}号", 39 + 2 * i, competitor_reviews(3, 1, 4))
              for i in range(10)]
    own_chair = add_listing(store, "OWN1", "山野优选折叠露营椅铝合金", 109, [(PRAISE, 5), (QUALITY, 1)], own=True,
                            band=(89, 139))
    add_keyword(store, "露营椅", chairs)
    banks = [add_listing(store, f"B{i}", f"充电宝大容量快充移动电源{i}", 150 + 5 * i, competitor_reviews(3, 1, 4))
             for i in range(10)]
    own_bank = add_listing(store, "OWN2", "山野优选充电宝20000毫安", 89, [(PRAISE, 5)], own=True, band=(69, 99))
    add_keyword(store, "充电宝", banks)
    for observed, terms in ((NOW - timedelta(hours=2), ["露营椅", "充电宝", "钓鱼椅"] + [f"词{i}" for i in range(12)]
                             + ["超轻露营椅"]),
                            (NOW - timedelta(hours=1), ["超轻露营椅", "露营椅", "充电宝"] + [f"词{i}" for i in range(12)]
                             + ["月亮椅"])):
        store.add_hot_terms("shangcheng", [HotTermRecord(rank=rank, term=term, heat=1000.0 - rank)
                                           for rank, term in enumerate(terms, start=1)], observed_at=observed)
    return {"own_chair": own_chair, "own_bank": own_bank, "chair": chairs[0], "bank": banks[0]}


def themes_of(store: Store, product_id: int) -> dict[str, set[str]]:
    reviews = {review.id: review.text for review in store.reviews_for(product_id)}
    found: dict[str, set[str]] = {}
    for row in store.review_themes(list(reviews)):
        found.setdefault(reviews[row.review_id], set()).add(row.theme)
    return found


def test_every_review_is_scored_and_negative_and_mixed_ones_themed(store, config, model, market) -> None:
    report = analyse(store, config, now=NOW, model=model)
    reviews = [review for product in store.products() for review in store.reviews_for(product.id)]
    assert report.reviews_scored == len(reviews) == 20 * 9 + 3
    assert all(r.sentiment_model == model.scoring_version and 0 <= r.sentiment_score <= 1 for r in reviews)
    assert {r.text: r.sentiment_label for r in reviews}[PRAISE] == "pos"
    themes = themes_of(store, market["chair"])
    assert "质量" in themes[QUALITY] and themes[SHIPPING] == {"物流"}
    assert themes[MIXED] == {"噪音"}, "a 4-star review's complaint after 就是 is a pain point too"
    assert PRAISE not in themes
    assert report.negative_reviews == 20 * 4 + 1
    assert report.reviews_with_themes == 20 * 5 + 1
    assert report.themes_stored == len(store.review_themes([r.id for r in reviews]))


def test_pain_point_insights_per_product_keyword_and_category(store, config, model, market) -> None:
    analyse(store, config, now=NOW, model=model)
    insights = {i.subject: i for i in store.insights(kind="pain_points")}
    chair = insights[f"product:{market['chair']}"].detail
    assert chair["scope"] == "product" and chair["negative_reviews"] == 4
    assert [(t["theme"], t["reviews"], t["share"]) for t in chair["themes"]] == [("质量", 3, 0.75), ("物流", 1, 0.25)]
    keyword = insights["keyword:露营椅"].detail
    assert keyword["negative_reviews"] == 40 and keyword["themes"][0]["theme"] == "质量"
    example = keyword["themes"][0]["examples"][0]
    assert example["text"] == QUALITY and "质量" in example["clause"] and isinstance(example["review_id"], int)
    assert sum(p["negative_reviews"] for p in keyword["themes"][0]["trend"]) == 40
    assert insights["category:camping"].detail["keywords"] == ["露营椅"]
    assert f"product:{market['own_bank']}" not in insights, "no negative review, no pain-point insight"


def test_opportunity_when_cheap_competitors_draw_quality_complaints_and_not_otherwise(store, config, model,
                                                                                      market) -> None:
    report = analyse(store, config, now=NOW, model=model)
    [insight] = store.insights(kind="opportunity")
    assert insight.subject == "keyword:露营椅" and insight.keyword == "露营椅"
    detail = insight.detail
    assert detail["theme"] == "质量" and detail["share"] == 0.75 and detail["negative_reviews"] == 40
    assert detail["reference"] == {"basis": "own_band_middle", "price": 114.0, "own_band": [89.0, 139.0]}
    assert detail["low_price_listings"] == detail["priced_listings"] == 10
    assert detail["price_band"]["median"] == 48.0
    assert detail["suggested_price"] == 89.0, "48 x 1.3 = 62.4 lies below our band, so the band's floor"
    assert report.insights["opportunity"] == 1


def test_an_opportunity_that_no_longer_holds_is_deleted_and_the_rest_kept(store, config, model, market) -> None:
    analyse(store, config, now=NOW, model=model)
    assert [i.subject for i in store.insights(kind="opportunity")] == ["keyword:露营椅"]
    for product in store.products():
        if product.title.startswith("户外折叠露营椅"):  # the cheap competitors move above our band's middle
            store.add_price_observation(product.id, PriceObservation(price=129, observed_at=NOW))
    later = NOW + timedelta(hours=1)
    report = analyse(store, config, now=later, model=model)
    assert store.insights(kind="opportunity") == [] and report.insights_retired == 1
    assert {i.last_seen for i in store.insights()} == {later}, "what still holds is refreshed, not deleted"
    assert store.insights(kind="pain_points"), "the complaints themselves still stand"


def test_opportunity_needs_enough_negative_reviews(store, config, model, market) -> None:
    strict = config.model_copy(update={"thresholds": config.thresholds.model_copy(update={
        "opportunity": config.thresholds.opportunity.model_copy(update={"min_reviews": 41})})})
    analyse(store, strict, now=NOW, model=model)
    assert store.insights(kind="opportunity") == []


def test_hot_term_trends_and_titles(store, config, model, market) -> None:
    analyse(store, config, now=NOW, model=model)
    trends = {i.subject: i.detail for i in store.insights(kind="hot_term_trend")}
    assert trends["shangcheng:超轻露营椅"]["jump"] == "up" and trends["shangcheng:超轻露营椅"]["rank_change"] == 15
    assert trends["shangcheng:超轻露营椅"]["keywords"] == ["露营椅"]
    assert trends["shangcheng:月亮椅"]["new"] and trends["shangcheng:钓鱼椅"]["dropped"]
    assert "shangcheng:充电宝" not in trends, "moving one place is no trend"
    keywords = {i.subject: i.detail for i in store.insights(kind="title_keywords")}
    assert "露营椅" in [k["word"] for k in keywords["keyword:露营椅"]["keywords"]]
    [suggestion] = [i for i in store.insights(kind="title_suggestion") if i.product_id == market["own_chair"]]
    assert suggestion.detail["title"].startswith("露营椅") or "露营椅" in suggestion.detail["core"]
    assert "超轻" in suggestion.detail["added"], "the rising 超轻露营椅 lends the title its missing word"


def test_second_pass_adds_nothing(store, config, model, market) -> None:
    first = analyse(store, config, now=NOW, model=model)
    themes = sorted((r.review_id, r.theme) for r in store.review_themes(range(1, 10_000)))
    insights = sorted((i.kind, i.subject) for i in store.insights())
    second = analyse(store, config, now=NOW + timedelta(minutes=5), model=model)
    assert (second.reviews_scored, second.reviews_themed, second.themes_stored) == (0, 0, 0)
    assert sorted((r.review_id, r.theme) for r in store.review_themes(range(1, 10_000))) == themes
    assert sorted((i.kind, i.subject) for i in store.insights()) == insights
    assert second.insights == first.insights


def test_new_reviews_only_are_analysed(store, config, model, market) -> None:
    analyse(store, config, now=NOW, model=model)
    store.add_reviews(market["own_chair"], [ReviewRecord(text="椅子腿太晃了，坐着不稳", rating=2, review_id="OWN1-new")])
    report = analyse(store, config, now=NOW, model=model)
    assert (report.reviews_scored, report.negative_reviews, report.reviews_with_themes) == (1, 1, 1)
    assert themes_of(store, market["own_chair"])["椅子腿太晃了，坐着不稳"] == {"稳固"}


def test_a_follow_up_is_scored_and_read_for_pain_points(store, config, model, market) -> None:
    analyse(store, config, now=NOW, model=model)
    store.add_reviews(market["own_chair"], [ReviewRecord(text=PRAISE, rating=5, review_id="OWN1-0",
                                                         append=QUALITY)])
    report = analyse(store, config, now=NOW, model=model)
    assert (report.reviews_scored, report.negative_reviews, report.reviews_with_themes) == (1, 1, 1)
    review = next(r for r in store.reviews_for(market["own_chair"]) if r.review_id == "OWN1-0")
    assert review.sentiment_label == "pos" and review.append_sentiment_score < config.thresholds.reviews.negative_score
    assert {row.theme for row in store.review_themes([review.id])} == {"质量"}


def test_progress_is_reported(store, config, model, market) -> None:
    seen: list[tuple[str, int, int | None]] = []
    analyse(store, config, now=NOW, model=model, progress=lambda *event: seen.append(event))
    assert seen[0] == ("scoring", 0, 183) and ("scoring", 183, 183) in seen
    assert seen[-1] == ("insights", 4, 4)


def test_negative_and_mixed_definitions(config) -> None:
    assert is_negative(2, 0.9, config) and is_negative(None, 0.39, config) and not is_negative(3, 0.4, config)
    assert is_negative(5, 0.9, config, append_score=0.1) and not is_negative(5, 0.9, config, append_score=0.6)
    assert needs_reading(PRAISE, True, 0.9) and needs_reading(PRAISE, False, 0.45)
    assert needs_reading(MIXED, False, 0.9) and not needs_reading(PRAISE, False, 0.9)


# --- the command line: agent.py nlp train / nlp analyse ------------------------------------------------------------

@pytest.mark.parametrize("command", [["nlp"], ["nlp", "train"], ["nlp", "analyse"]], ids=" ".join)
def test_nlp_commands_have_help(command: list[str]) -> None:
    from typer.testing import CliRunner

    from agent import app

    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


@pytest.mark.integration
@pytest.mark.timeout(900)  # trains or crawls for real; slow when the machine is shared
def test_cli_train_with_weak_labels_then_analyse(tmp_path: Path, market, store) -> None:
    """`nlp train` on the real corpus (the sdist make set-up cached) plus the small store's star-rated reviews,
    then `nlp analyse` with the new model (the config's own, not the installation's), twice."""
    import json

    from typer.testing import CliRunner

    from agent import app
    from nlp.model_store import current_folder

    store.close()
    config = tmp_path / "config.toml"
    trained = CliRunner().invoke(app, ["--config", str(config), "nlp", "train", "--json"])
    assert trained.exit_code == 0, trained.output
    summary = json.loads(trained.stdout)
    weak = next(s for s in summary["sources"] if s["name"] == "weak")
    assert weak["lines"] == 20 * 9 + 3, "every 1-2 and 4-5 star review is a weak label (none has 3 stars here)"
    assert weak["train"] + weak["test"] == 4, "deduplicated: four distinct texts"
    assert summary["held_out"]["all"]["accuracy"] > 0.8
    assert summary["promoted"], summary["reason"]
    stored = json.loads((current_folder(tmp_path / "var" / "models") / "sentiment.json").read_text(encoding="utf-8"))
    assert stored["version"] == summary["version"] and stored["sources"] == summary["sources"]
    first = CliRunner().invoke(app, ["--config", str(config), "nlp", "analyse", "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["model"] == summary["version"] and report["reviews_scored"] == 20 * 9 + 3
    assert report["insights"]["opportunity"] == 1
    second = json.loads(CliRunner().invoke(app, ["--config", str(config), "nlp", "analyse", "--json"]).stdout)
    assert second["reviews_scored"] == second["themes_stored"] == 0


# --- integration: a real crawl of the live demo marketplace --------------------------------------------------------

@pytest.mark.integration
@pytest.mark.timeout(900)  # trains or crawls for real; slow when the machine is shared
def test_analysis_of_a_live_crawl_finds_the_injected_negative_burst(fresh_marketplace, tmp_path: Path,
                                                                     model) -> None:
    """Step 1 of the demo brings a burst of negative reviews on our pet fountain 7100000001 (kuaigou, a browser
    shop). Crawl it, with the camping-chair keyword on shangcheng and the hot terms of both steps, then analyse:
    every review is scored, and the burst's injected pain points are what the stored themes say."""
    from bench.bench_painpoints import DEMO_THEMES
    from crawlers.run import CrawlPlan, run_crawl

    config_path = fast_config(tmp_path, fresh_marketplace.sites)
    config = load_config(config_path)
    fountain = next(config.own_product_url(p) for p in config.own_products if p.url.endswith("7100000001"))
    hot_terms = CrawlPlan(platforms=["shangcheng"], hot_terms=True)
    run_crawl(config_path, hot_terms, demo_urls=fresh_marketplace.sites)
    fresh_marketplace.advance(1)
    plan = CrawlPlan(platforms=["shangcheng", "kuaigou"], hot_terms=True, keywords=[("露营椅", ["shangcheng"], 10)],
                     products=[("kuaigou", fountain)], reviews=True)
    run_crawl(config_path, plan, demo_urls=fresh_marketplace.sites)
    [burst] = [e for e in fresh_marketplace.ground_truth()["events"] if e["kind"] == "negative_burst"]

    with open_store(config.store.path) as store:
        report = analyse(store, config, model=model)
        reviews = [r for p in store.products() for r in store.reviews_for(p.id)]
        assert report.reviews_scored == len(reviews) > 100
        assert store.count_reviews_needing_sentiment(model.scoring_version) == 0
        burst_reviews = [r for r in reviews if r.review_id in set(burst["detail"]["review_ids"])]
        assert len(burst_reviews) == burst["detail"]["count"]
        stored: dict[str, int] = {}
        for row in store.review_themes([r.id for r in burst_reviews]):
            stored[row.theme] = stored.get(row.theme, 0) + 1
        injected = {DEMO_THEMES[theme]: count for theme, count in burst["detail"]["themes"].items()}
        assert set(injected) <= set(stored), (injected, stored)
        top_injected = max(injected, key=injected.get)
        assert max(stored, key=stored.get) == top_injected
        product_id = burst_reviews[0].product_id
        [insight] = [i for i in store.insights(kind="pain_points") if i.subject == f"product:{product_id}"]
        assert insight.detail["themes"][0]["theme"] == top_injected
        assert store.insights(kind="hot_term_trend"), "two hot-term snapshots give trends"
        assert [i.subject for i in store.insights(kind="title_keywords")] == ["keyword:露营椅"]
        assert analyse(store, config, model=model).reviews_scored == 0


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_follow_ups_of_a_live_crawl_are_stored_scored_and_themed(marketplace, tmp_path: Path, model) -> None:
    """The demo's good reviews whose follow-up (追评) turns them bad: crawled from the shop's review pages, they are
    negative by the configured rule and carry the follow-up's injected pain point; good follow-ups leave their
    reviews positive."""
    from bench.bench_painpoints import DEMO_THEMES
    from crawlers.run import CrawlPlan, run_crawl
    from demo_market.world import build_world

    config_path = fast_config(tmp_path, marketplace.sites)
    config = load_config(config_path)
    run_crawl(config_path, CrawlPlan(platforms=["shangcheng"], keywords=[("露营椅", ["shangcheng"], 10)],
                                     reviews=True), demo_urls=marketplace.sites)
    world = build_world()
    limits = config.thresholds.reviews
    with open_store(config.store.path) as store:
        analyse(store, config, model=model)
        products = store.products(platform="shangcheng")
        truth = {r.review_id: r for p in products for r in world.reviews(world.product("shangcheng", p.item_id), 0)}
        reviews = [r for p in products for r in store.reviews_for(p.id)]
        judged = {r.id for r in store.reviews_judged_negative([p.id for p in products],
                                                              max_stars=limits.negative_max_stars,
                                                              max_score=limits.negative_score)}
        soured = [r for r in reviews if r.append and truth[r.review_id].sentiment == "neg"]
        kept = [r for r in reviews if r.append and truth[r.review_id].sentiment == "pos"]
        assert soured and kept, "the keyword's listings show follow-ups of both kinds"
        assert all(r.rating >= 3 for r in soured), [(r.text, r.rating, r.sentiment_score) for r in soured]
        assert all(r.id in judged for r in soured), [(r.append, r.append_sentiment_score) for r in soured]
        themes = {r.id: {row.theme for row in store.review_themes([r.id])} for r in soured}
        assert all(themes.values()), "each follow-up's complaint is a pain point"
        matched = sum(DEMO_THEMES[truth[r.review_id].themes[0]] in themes[r.id] for r in soured)
        assert matched >= 0.75 * len(soured), [(r.append, truth[r.review_id].themes, themes[r.id]) for r in soured]
        # the model misreads some praise (依旧没毛病 scores 0.34): good follow-ups are told apart on the whole, and
        # none of them is read as a pain point
        assert max(r.append_sentiment_score for r in soured) < sorted(r.append_sentiment_score for r in kept)[
            len(kept) // 2], "most good follow-ups score above every bad one"
        assert not store.review_themes([r.id for r in kept if r.rating > limits.negative_max_stars]), [
            (r.text, r.append) for r in kept]


def test_model_of_the_config_first_then_the_installations(config, model) -> None:
    from nlp.analysis import load_model, models_directory

    assert load_model(config).version == model.version, "no model of its own: the one make set-up built"
    own = sentiment.train(extra=[("好用，推荐", "pos"), ("太差了，退货", "neg")] * 3, sources=())
    sentiment.save(own, models_directory(config))
    assert load_model(config).version == own.version


def test_platform_placeholders_are_not_negative_reviews_however_the_model_would_read_them(store, config, model) -> None:
    product = add_listing(store, "P1", "折叠露营椅", 99.0, [
        ("此用户没有填写评价。", 5), ("系统默认好评", 5), ("质量太差了，用了两天就坏", 1), ("此用户没有填写评价。", 1)])
    report = analyse(store, config, now=NOW, model=model)
    scores = {r.rating: [] for r in store.reviews_for(product)}
    for review in store.reviews_for(product):
        scores[review.rating].append((review.text, review.sentiment_score))
    assert dict(scores[5]) == {"此用户没有填写评价。": 0.5, "系统默认好评": 1.0}
    assert report.negative_reviews == 2, "the 1-star reviews only: a placeholder is negative by its stars alone"
    assert model.score(["此用户没有填写评价。"])[0] == 0.5 and model.score(["系统默认好评"])[0] == 1.0
