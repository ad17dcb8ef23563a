"""ShopSentinel's spiders, one per kind of crawl; the daemon schedules them separately."""

from crawlers.spiders.hot_terms import HotTermsSpider
from crawlers.spiders.products import ProductsSpider
from crawlers.spiders.reviews import ReviewsSpider
from crawlers.spiders.search import SearchSpider

SPIDERS = {spider.name: spider for spider in (HotTermsSpider, SearchSpider, ProductsSpider, ReviewsSpider)}
