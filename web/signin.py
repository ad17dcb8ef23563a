"""Signing in and out."""

from __future__ import annotations

import math

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from i18n import _
from web.auth import checked_form, password_matches, start_session
from web.console import console_of, in_store, path_for, render


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never `//other.example`, an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/alerts"


def client_address(request: Request) -> str:
    # Behind the reverse proxy, uvicorn has already put the proxy's X-Forwarded-For here (forwarded_allow_ips).
    return request.client.host if request.client else "unknown"


async def show_signin(request: Request) -> Response:
    return render(request, "signin.html", next=_safe_next(request.query_params.get("next")), name="", error=None)


async def sign_in(request: Request) -> Response:
    form = await checked_form(request)
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    throttle, address = console_of(request).throttle, client_address(request)
    wait = throttle.wait(name, address)
    if wait > 0:
        minutes = math.ceil(wait / 60)
        response = render(request, "signin.html", status=429, next=target, name=name,
                          error=_("Too many wrong passwords. Try again in {minutes} min.", minutes=minutes))
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    user = await in_store(request, lambda store: store.user(name))
    if not await run_in_threadpool(password_matches, user, password):
        throttle.failed(name, address)
        return render(request, "signin.html", status=401, next=target, name=name,
                      error=_("Wrong name or password."))
    throttle.succeeded(name)
    start_session(request, user)
    return RedirectResponse(target, status_code=303)


async def sign_out(request: Request) -> Response:
    await checked_form(request)
    request.session.clear()
    return RedirectResponse(path_for(request, "signin"), status_code=303)


routes = [
    Route("/signin", show_signin, methods=["GET"], name="signin"),
    Route("/signin", sign_in, methods=["POST"]),
    Route("/signout", sign_out, methods=["POST"], name="signout"),
]
