"""评价: negative reviews of our products awaiting an answer (open negative-review alerts) by the time they must be
answered by; pain-point shares per keyword and product with the opportunities the analysis found (the report's
sections: reports/painpoints.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from delivery.evidence import parse_time
from reports.painpoints import PainScope, pain_scopes
from reports.period import Period
from store import AlertRow, Store
from store.timestamps import utc_now
from web.auth import require_role
from web.console import in_store, render, signed_in_user

PERIOD_DAYS = 7  # pain points computed before this many days ago are flagged as old
NEGATIVE_REVIEW = "negative_review"


@dataclass(frozen=True)
class AwaitingAnswer:
    alert: AlertRow
    text: str
    rating: float | None
    respond_by: datetime | None
    overdue: bool


@dataclass(frozen=True)
class ReviewsView:
    awaiting: list[AwaitingAnswer]   # the soonest due first; those without a deadline last
    scopes: list[PainScope]


def _awaiting(alert: AlertRow, now: datetime) -> AwaitingAnswer:
    evidence = alert.evidence
    when = evidence.get("respond_by")
    respond_by = parse_time(when) if isinstance(when, str) else None
    rating = evidence.get("rating")
    return AwaitingAnswer(alert, str(evidence.get("text") or alert.body), rating if isinstance(rating, int | float)
                          else None, respond_by, respond_by is not None and respond_by < now)


def _reviews_view(store: Store) -> ReviewsView:
    now = utc_now()
    awaiting = [_awaiting(alert, now) for alert in store.alerts_open_first(kind=NEGATIVE_REVIEW, open_only=True)]
    awaiting.sort(key=lambda item: (item.respond_by is None, item.respond_by or now))
    return ReviewsView(awaiting, pain_scopes(store, Period.ending(now, PERIOD_DAYS)))


async def show_reviews(request: Request) -> Response:
    require_role(await signed_in_user(request), "viewer")
    view = await in_store(request, _reviews_view)
    return render(request, "reviews.html", view=view, days=PERIOD_DAYS)


routes = [Route("/reviews", show_reviews, methods=["GET"], name="reviews")]
