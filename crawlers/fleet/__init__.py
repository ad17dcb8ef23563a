"""The crawl's scale-out: crawl workers on several machines behind one Redis (scrapy-redis's scheduler queue and
duplicate filter), and what they share there with the coordinator (the one store writer, `coordinator.py`).

A cycle runs the same spiders as the embedded crawl, one after another, each as a *phase*: the coordinator seeds
the phase's start requests into a shared queue; every worker runs the phase's spider against that queue, leasing
what it takes (`queue`), sending its items to a Redis stream (`stream`) and pacing each site with the fleet's
shared token bucket (`politeness`); the phase is over when the queue is empty and no lease is held.
"""
