"""What the three demo shops share: their running context, fault handling, templates and number formatting."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from urllib.parse import urlencode
from typing import Awaitable, Callable

import jinja2
from aiohttp import web

from demo_market.clock import ScenarioClock
from demo_market.faults import FaultBook, malform, relayout, truncate
from demo_market.model import Product, Review
from demo_market.world import World

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("demo_market", "templates"),
    autoescape=jinja2.select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class ShopContext:
    """Everything a shop needs to answer a request. One per platform, shared by its handlers."""

    platform: str
    world: World
    clock: ScenarioClock
    faults: FaultBook
    encoding: str = "utf-8"

    @property
    def step(self) -> int:
        return self.clock.step

    def product(self, item_id: str) -> Product | None:
        """The listing as it reads now (the scenario may have edited it)."""
        return self.world.product(self.platform, item_id, self.step)

    def search_page(self, keyword: str, page: int, size: int) -> tuple[list[Product], int, int]:
        """One page of the keyword's results: the products, the number of pages and the number of results."""
        found = self.world.search(self.platform, keyword, self.step) if keyword else []
        items, pages = page_slice(found, page, size)
        return items, pages, len(found)

    def reviews_page(self, product: Product, first: int, size: int) -> tuple[list[Review], int]:
        """`size` visible reviews, newest first, from index `first`; and how many are visible in all."""
        visible = self.world.reviews(product, self.step)
        return visible[first: first + size], len(visible)


SHOP = web.AppKey("shop", ShopContext)
LOGIN_PATH = "/login"


def render(template: str, **context: object) -> str:
    return TEMPLATES.get_template(template).render(**context)


def page_count(total: int, size: int) -> int:
    """Pages needed for `total` items: at least 1, so page 1 of nothing still renders."""
    return max(1, math.ceil(total / size))


def page_slice(items: list, page: int, size: int) -> tuple[list, int]:
    """The items of a 1-based page and the number of pages."""
    return items[(page - 1) * size: page * size], page_count(len(items), size)


def page_number(request: web.Request, name: str = "page") -> int:
    raw = request.query.get(name, "1")
    if not raw.isdigit() or int(raw) < 1:
        raise web.HTTPBadRequest(text=f"bad page number {raw!r}")
    return int(raw)


def yuan(amount: float) -> str:
    """1299.0 -> '1,299.00', the way Chinese shops print prices."""
    return f"{amount:,.2f}"


FULLWIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


def fullwidth(text: str) -> str:
    return text.translate(FULLWIDTH)


def sales_label(count: int) -> str:
    """Monthly sales as shops show them: 860, 2000+, 1.2万+."""
    if count >= 10_000:
        return f"{count / 10_000:.1f}万+"
    if count >= 1000:
        return f"{count // 1000 * 1000}+"
    return str(count)


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the fault rule that matches this request, if any, around the shop's own handler."""
    shop = request.app[SHOP]
    if request.path == LOGIN_PATH:  # where the "login" fault sends shoppers; never itself faulted
        return fault_page(shop, render("faults/login.html", redirect=request.query.get("redirect", "/")))
    rule = shop.faults.take(shop.platform, request.path_qs)
    if rule is None:
        return await handler(request)
    if rule.kind == "captcha":
        return fault_page(shop, render("faults/captcha.html", token=f"{rule.id}-{rule.hits}"))
    if rule.kind == "login":
        raise web.HTTPFound(f"{LOGIN_PATH}?{urlencode({'redirect': request.path_qs})}")
    if rule.kind == "softban":
        return await handler(request.clone(rel_url=request.rel_url.with_query(None)))
    if rule.kind == "status":
        headers = {"Retry-After": str(math.ceil(rule.retry_after))} if rule.retry_after is not None else {}
        reason = {429: "Too Many Requests", 503: "Service Unavailable"}.get(rule.status, "Error")
        return web.Response(status=rule.status, text=f"{rule.status} {reason}", headers=headers)
    if rule.kind == "slow":
        await asyncio.sleep(rule.delay)
        return await handler(request)
    if rule.kind == "noprice":
        request["noprice"] = True
        return await handler(request)
    response = await handler(request)
    if not isinstance(response, web.Response) or response.body is None:
        return response
    body = bytes(response.body)
    if rule.kind == "truncate":
        response.body = truncate(body, rule.keep)
    elif rule.kind == "malformed":
        response.body = malform(body.decode(shop.encoding, errors="replace")).encode(shop.encoding, errors="replace")
    elif rule.kind == "layout" and response.content_type == "text/html":
        response.body = relayout(body.decode(shop.encoding, errors="replace")).encode(shop.encoding, errors="replace")
    return response


def fault_page(shop: ShopContext, html: str) -> web.Response:
    """A fault's own page, in the shop's encoding."""
    return web.Response(body=html.encode(shop.encoding, errors="xmlcharrefreplace"),
                        headers={"Content-Type": f"text/html; charset={shop.encoding}"})


def robots_txt(shop: ShopContext, disallow: list[str]) -> web.Response:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallow + shop.faults.disallowed(shop.platform))]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")


def make_app(shop: ShopContext, routes: list[web.RouteDef]) -> web.Application:
    app = web.Application(middlewares=[fault_middleware])
    app[SHOP] = shop
    app.add_routes(routes)
    return app
