"""Monitors: rules that read facts from the store and write alerts (price band, negative reviews, Advertising Law
compliance, stock). They never crawl."""
