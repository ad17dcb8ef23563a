"""What every page handler shares: the configuration, the store, the templates and the sign-in throttle.

The store is opened per request in a worker thread (a Store belongs to one thread; opening a WAL file costs well
under a millisecond), so a slow query never blocks the server's event loop and each request reads a consistent
snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

import i18n
from config import Config
from formats import money
from reports.build import web_url
from store import Store, UserRow, open_store
from web.auth import CSRF_FIELD, LoginThrottle, csrf_token, session_user_name
from labels import label

T = TypeVar("T")


@dataclass
class Console:
    config: Config
    templates: Environment
    throttle: LoginThrottle
    page_paths: dict[str, str]  # route name -> path format, e.g. "alert" -> "/alerts/{alert_id}"

    @classmethod
    def of(cls, config: Config, routes: list[BaseRoute]) -> Console:
        web = config.web
        throttle = LoginThrottle(per_name=web.login_failures, per_address=web.login_failures_per_address,
                                 window=web.login_window)
        paths = {route.name: route.path_format for route in routes if isinstance(route, Route)}
        return cls(config, _environment(config), throttle, paths)


def console_of(request: Request) -> Console:
    return request.app.state.console


async def in_store(request: Request, work: Callable[[Store], T]) -> T:
    """`work(store)` in a worker thread, on the store opened for it alone."""
    path = console_of(request).config.store.path

    def run() -> T:
        with open_store(path) as store:
            return work(store)

    return await run_in_threadpool(run)


async def signed_in_user(request: Request) -> UserRow | None:
    """The user the session names, if the account still exists (looked up once per request)."""
    if not hasattr(request.state, "user"):
        name = session_user_name(request)
        request.state.user = None if name is None else await in_store(request, lambda store: store.user(name))
    return request.state.user


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """The page `template` filled with `context`, plus what the layout needs (the user, the CSRF token, a message
    left by the previous request)."""
    console = console_of(request)
    page = console.templates.get_template(template).render(
        request=request, user=getattr(request.state, "user", None), csrf_field=CSRF_FIELD,
        csrf_token=csrf_token(request), flash=request.session.pop("flash", None), **context)
    return HTMLResponse(page, status_code=status)


def path_for(request: Request, name: str, /, **params: Any) -> str:
    """The path of the route `name`: links and redirects carry no scheme or host, so they stay right behind a
    reverse proxy whatever it forwards (an http:// link on an https page would be refused by form-action 'self').

    A page route's path is its format filled in (a list of 100 alerts links each one twice, and Starlette's own
    lookup walks every route for each link); mounted apps (static files) go through Starlette."""
    route = console_of(request).page_paths.get(name)
    if route is None:
        return request.url_for(name, **params).path
    return request.scope.get("root_path", "") + route.format(**params)


def flash(request: Request, message: str) -> None:
    """A message for the next page shown to this session (after a redirect)."""
    request.session["flash"] = message


def _environment(config: Config) -> Environment:
    environment = Environment(loader=PackageLoader("web", "templates"), autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    zone = config.schedule.tzinfo

    def local(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        return "–" if moment is None else moment.astimezone(zone).strftime(pattern)

    @pass_context
    def url_for(context: Mapping[str, Any], name: str, /, **params: Any) -> str:
        return path_for(context["request"], name, **params)

    environment.globals.update(_=i18n._, url_for=url_for, html_lang="zh-CN" if config.locale == "zh_CN" else "en")
    environment.filters.update(local=local, web_url=web_url, label=label, money=money)
    return environment
