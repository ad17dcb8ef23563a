"""Each platform's hot-search ranking: rank, term, heat index and rising flag."""

from __future__ import annotations

from crawlers.spiders.base import ShopSpider


class HotTermsSpider(ShopSpider):
    name = "hot_terms"

    async def start(self):
        for key in self.platforms:
            platform = self.config.platforms[key]
            if platform.hot_url:
                yield self.page_request(key, platform.hot_page_url(), "hot", self.parse_hot)
