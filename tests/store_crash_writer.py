"""The subprocess half of test_store's SIGKILL test: writes crawl-shaped blocks until it is killed.

Usage: store_crash_writer.py DB_PATH TAG [PAUSE_AT]

Block n writes, in one transaction, product "TAG-n", one price observation (price 10 + n % 90) and
REVIEWS_PER_BLOCK large reviews, then prints "committed TAG-n" (flushed), so the test knows which blocks
the writer saw committed. It prints "run RUN_ID" first. With PAUSE_AT, block PAUSE_AT stops after all its
writes but before its commit, prints "paused TAG-n" and waits to be killed there.
"""

from __future__ import annotations

import itertools
import sys
import time

from store import PriceObservation, ProductRecord, ReviewRecord, open_store

REVIEWS_PER_BLOCK = 20
# ~110 KB of UTF-8 per review: a block (~2.2 MB) outgrows SQLite's default 2 MiB page cache, so its pages
# spill into the WAL before the commit, and killing it mid-block leaves uncommitted frames for recovery to skip
FILLER = "质量很好，做工一般，物流很快。" * 2500


def emit(line: str) -> None:
    print(line, flush=True)


def reviews(item_id: str, first: int, last: int) -> list[ReviewRecord]:
    """Reviews first..last-1 of an item; odd ones carry a platform id, even ones dedup by content hash."""
    return [
        ReviewRecord(text=f"{item_id} review {i} {FILLER}", review_id=f"{item_id}-r{i}" if i % 2 else None)
        for i in range(first, last)
    ]


def main(path: str, tag: str, pause_at: int | None) -> None:
    with open_store(path) as store:
        run_id = store.begin_run("crash-test", platform="demo")
        emit(f"run {run_id}")
        for n in itertools.count():
            item_id = f"{tag}-{n}"
            with store.transaction():
                product_id = store.upsert_product(
                    ProductRecord(platform="demo", item_id=item_id, url=f"https://demo.invalid/item/{item_id}")
                )
                store.add_price_observation(product_id, PriceObservation(price=10 + n % 90), run_id=run_id)
                store.add_reviews(product_id, reviews(item_id, 0, REVIEWS_PER_BLOCK), run_id=run_id)
                if n == pause_at:
                    emit(f"paused {item_id}")
                    time.sleep(60)
            emit(f"committed {item_id}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None)
