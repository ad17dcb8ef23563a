"""The competitor view: price band arithmetic and a table read from a real store file."""

from __future__ import annotations

import pytest

from competitors import PriceBand, competitor_table
from store import PriceObservation, ProductRecord, SearchHit, open_store


def test_band_quartiles_and_zones():
    band = PriceBand.of([10, 20, 30, 40, 50])
    assert (band.min, band.p25, band.median, band.p75, band.max) == (10, 20, 30, 40, 50)
    assert [band.zone(p) for p in (5, 15, 30, 45, 60)] == ["below", "low", "middle", "high", "above"]
    assert PriceBand.of([]) is None
    assert PriceBand.of([99.0]).median == 99.0


def test_table_places_own_products_in_the_competitor_band(tmp_path):
    with open_store(tmp_path / "s.db") as store:
        ids = []
        for rank, price in enumerate([59.0, 79.0, 99.0, 129.0], start=1):
            pid = store.upsert_product(ProductRecord(platform="sc", url=f"http://s/{rank}", title=f"露营椅{rank}"))
            store.add_price_observation(pid, PriceObservation(price=price, monthly_sales=100 * rank))
            ids.append(pid)
        own = store.upsert_product(ProductRecord(platform="sc", url="http://s/own", title="山野露营椅", own=True))
        store.add_price_observation(own, PriceObservation(price=109.0, promo_price=99.0))
        unpriced = store.upsert_product(ProductRecord(platform="sc", url="http://s/x", title="露营椅x"))
        store.add_search_results("sc", "露营椅", [SearchHit(rank=r, product_id=p)
                                               for r, p in enumerate(ids + [unpriced], start=1)])
        table = competitor_table(store, "sc", "露营椅")
    assert [item.rank for item in table.listings] == [1, 2, 3, 4, 5, None]
    assert table.listings[4].price is None, "a listing without a price is shown without one"
    assert table.band.count == 4 and table.band.min == 59.0 and table.band.max == 129.0
    assert table.band.median == pytest.approx(89.0)
    [position] = table.own
    assert position.zone == "high" and position.cheaper_competitors == 3 and position.rank is None
