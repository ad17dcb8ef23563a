"""The console application: routes, middleware and error pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

import i18n
from config import Config
from i18n import _
from store import StoreBusyError
from web import alerts, compliance, competitors, reviews, runs, signin, users
from web.auth import SignInRequired
from web.console import Console, path_for, render
from web.headers import SecurityHeaders

SESSION_COOKIE = "shopsentinel_session"


class InLocale:
    """ASGI middleware: each request is handled in the config's language (a context variable, so requests served
    at once never see each other's)."""

    def __init__(self, app: ASGIApp, locale: i18n.Locale) -> None:
        self.app = app
        self.locale = locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with i18n.using(self.locale):
            await self.app(scope, receive, send)


async def _home(request: Request) -> Response:
    return RedirectResponse(path_for(request, "alerts"), status_code=303)


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    # Back to the page asked for, once signed in; a form posted without a session starts over from the alerts
    target = (request.url.path + (f"?{request.url.query}" if request.url.query else "")
              if request.method == "GET" else "/alerts")
    return RedirectResponse(f"{path_for(request, 'signin')}?{urlencode({'next': target})}", status_code=303)


async def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = render(request, "error.html", status=exc.status_code, status_code=exc.status_code,
                      message=exc.detail)
    response.headers.update(exc.headers or {})
    return response


async def _busy(request: Request, exc: Exception) -> Response:
    response = render(request, "error.html", status=503, status_code=503,
                      message=_("The database is busy (a crawl or a backup is writing). Try again in a moment."))
    response.headers["Retry-After"] = "5"
    return response


def create_app(config: Config, *, secret: str) -> Starlette:
    """The console over `config`'s store; `secret` signs the session cookies (config.web.secret())."""
    web = config.web
    routes = [
        Route("/", _home),
        *signin.routes,
        *alerts.routes,
        *compliance.routes,
        *competitors.routes,
        *reviews.routes,
        *runs.routes,
        *users.routes,
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(InLocale, locale=config.locale),
        Middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                   max_age=int(web.session_lifetime.total_seconds()), same_site="strict",
                   https_only=web.secure_cookies),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={SignInRequired: _sign_in_first, HTTPException: _error_page,
                                        StoreBusyError: _busy})
    app.state.console = Console.of(config, routes)
    return app
