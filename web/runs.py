"""运行: the daemon's jobs with their last and next run, the outbox, and the latest crawl run of each kind and
platform with its failures (what `agent.py status` shows: daemon/status.py)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from config import Config
from daemon.status import DaemonStatus, daemon_status
from store import RunRow, Store
from web.auth import require_role
from web.console import console_of, in_store, render, signed_in_user

RECENT_FAILURES = 20


@dataclass(frozen=True)
class RunsView:
    daemon: DaemonStatus
    latest: list[RunRow]      # the latest crawl run of each kind and platform
    failures: list[RunRow]    # the latest failed crawl runs, newest first


def _runs_view(store: Store, config: Config) -> RunsView:
    return RunsView(daemon_status(store, config), store.latest_runs(),
                    store.runs(status="failed", limit=RECENT_FAILURES))


async def show_runs(request: Request) -> Response:
    require_role(await signed_in_user(request), "viewer")
    config = console_of(request).config
    view = await in_store(request, lambda store: _runs_view(store, config))
    return render(request, "runs.html", view=view)


routes = [Route("/runs", show_runs, methods=["GET"], name="runs")]
