"""竞品: per keyword and platform, the competitor table of the latest search, the price band with our position in
it, and price history charts over the last days (the report's charts: reports/prices.py, reports/charts.py)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from competitors import CompetitorTable, competitor_table
from config import Config
from reports.period import Period
from reports.prices import KeywordPrices, keyword_prices
from store import Store
from store.timestamps import utc_now
from web.auth import require_role
from web.console import console_of, in_store, render, signed_in_user

CHART_DAYS = 7


@dataclass(frozen=True)
class KeywordView:
    searched: list[tuple[str, str]]     # every (platform, keyword) with search results, to choose from
    chosen: tuple[str, str] | None
    table: CompetitorTable | None
    prices: KeywordPrices | None        # the chosen keyword's price histories, charted


def _keyword_view(store: Store, config: Config, wanted: tuple[str, str]) -> KeywordView:
    searched = store.searched_keywords()
    chosen = wanted if wanted in searched else (searched[0] if searched else None)
    if chosen is None:
        return KeywordView(searched, None, None, None)
    platform, keyword = chosen
    period = Period.ending(utc_now(), CHART_DAYS)
    groups, _ = keyword_prices(store, period, config.schedule.tzinfo, only=chosen)
    prices = groups[0] if groups else None
    return KeywordView(searched, chosen, competitor_table(store, platform, keyword), prices)


async def show_competitors(request: Request) -> Response:
    require_role(await signed_in_user(request), "viewer")
    config = console_of(request).config
    wanted = (request.query_params.get("platform", ""), request.query_params.get("keyword", ""))
    view = await in_store(request, lambda store: _keyword_view(store, config, wanted))
    return render(request, "competitors.html", view=view, days=CHART_DAYS,
                  platform_names={key: p.name for key, p in config.platforms.items()})


routes = [Route("/competitors", show_competitors, methods=["GET"], name="competitors")]
