"""Crawlers: Scrapy spiders (and Playwright through scrapy-playwright for pages only a browser renders) that
collect hot search terms, competitors, prices, stock, sales and reviews, and item pipelines into the store."""
