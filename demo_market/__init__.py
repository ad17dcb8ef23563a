"""The demo marketplace: a local stand-in for Chinese marketplaces, so ShopSentinel can be tried and tested
without touching a real site. Three shops with different markup, generated data, a scenario clock,
fault injection and a ground-truth endpoint. Production code reaches it only over HTTP."""
