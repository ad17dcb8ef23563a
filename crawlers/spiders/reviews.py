"""Reviews of known products, newest first, stopping at the first review already stored (incremental)."""

from __future__ import annotations

from typing import Any

from crawlers.spiders.base import ShopSpider


class ReviewsSpider(ShopSpider):
    name = "reviews"

    def __init__(self, *args: Any, products: list[tuple[str, str, str | None]], **kwargs: Any) -> None:
        """`products`: (platform, product URL, item id) triples. Platforms whose reviews load on the product page
        (a "load more" button) are read from the product page itself."""
        super().__init__(*args, reviews=True, **kwargs)
        self.products = products

    async def start(self):
        for key, url, item_id in self.products:
            if key not in self.platforms:
                continue
            platform = self.config.platforms[key]
            if platform.reviews_url and item_id:
                yield self.page_request(key, platform.reviews_page_url(item_id, 1), "reviews", self.parse_reviews,
                                        meta={"product_url": url, "review_page": 1, "item_id": item_id})
            elif platform.render == "browser":
                yield self.product_request(key, url)
