"""What each crawl job visits, as a `CrawlPlan` built from config.toml (and, for reviews, from the store).

- hot_terms: every platform's hot-search ranking.
- prices: the keywords' top listings, own products and the extra competitor URLs (product pages, no reviews).
- reviews: competitors' reviews: the latest top listings of each keyword and the extra competitor URLs, from the
  store, so this job needs a prices run before it finds anything.
- own_reviews: own products' reviews.

The review jobs are incremental: the review spider stops at the first review already stored. A job with nothing
to crawl gets no plan (None).
"""

from __future__ import annotations

from config import Config
from crawlers.run import CrawlPlan
from store import Store

ReviewTarget = tuple[str, str, str | None]  # (platform, product URL, item id)


def plan_for(job: str, config: Config, store: Store) -> CrawlPlan | None:
    if job == "hot_terms":
        return hot_terms_plan(config)
    if job == "prices":
        return prices_plan(config)
    if job == "reviews":
        return reviews_plan(_competitor_targets(config, store))
    if job == "own_reviews":
        return reviews_plan(_own_targets(config, store))
    raise ValueError(f"not a crawl job: {job!r}")


def hot_terms_plan(config: Config) -> CrawlPlan | None:
    platforms = sorted(key for key, platform in config.platforms.items() if platform.hot_url)
    return CrawlPlan(platforms=platforms, hot_terms=True) if platforms else None


def prices_plan(config: Config) -> CrawlPlan | None:
    keywords = [(k.term, list(k.platforms), k.top) for k in config.keywords]
    products = ([(p.platform, config.own_product_url(p)) for p in config.own_products]
                + [(c.platform, config.competitor_url(c)) for c in config.competitors])
    platforms = sorted({key for _, keys, _ in keywords for key in keys} | {key for key, _ in products})
    if not platforms:
        return None
    return CrawlPlan(platforms=platforms, keywords=keywords, products=products)


def reviews_plan(targets: list[ReviewTarget]) -> CrawlPlan | None:
    if not targets:
        return None
    return CrawlPlan(platforms=sorted({key for key, _, _ in targets}), review_products=targets)


def _own_targets(config: Config, store: Store) -> list[ReviewTarget]:
    item_ids = _stored_item_ids(store, own=True)
    return [(p.platform, url, item_ids.get(url)) for p in config.own_products
            for url in [config.own_product_url(p)]]


def _competitor_targets(config: Config, store: Store) -> list[ReviewTarget]:
    targets: dict[str, ReviewTarget] = {}
    for keyword in config.keywords:
        for key in keyword.platforms:
            for hit in store.search_results(key, keyword.term)[:keyword.top]:
                product = store.get_product(hit.product_id)
                if not product.own:
                    targets[product.url] = (key, product.url, product.item_id)
    item_ids = _stored_item_ids(store, own=False)
    for competitor in config.competitors:
        url = config.competitor_url(competitor)
        targets.setdefault(url, (competitor.platform, url, item_ids.get(url)))
    return list(targets.values())


def _stored_item_ids(store: Store, *, own: bool) -> dict[str, str | None]:
    return {product.url: product.item_id for product in store.products(own=own)}
