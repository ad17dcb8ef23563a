"""快购 (kuaigou): a JavaScript single-page shop, like Douyin or Pinduoduo's web pages.

Every page is the same empty shell; the browser runs /static/app.js, which fetches JSON from /api/... and builds
the DOM. Prices come in fen (1/100 yuan) as such APIs send them, reviews arrive behind a "load more" button, and
the API answers only requests that carry the cookie and header the app sets, so a plain HTTP client sees no price.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from demo_market.model import Product
from demo_market.shops.common import SHOP, ShopContext, make_app, page_number, render, robots_txt

SEARCH_PAGE_SIZE = 20
REVIEW_PAGE_SIZE = 10
CLIENT_HEADER = "X-KG-Client"
SESSION_COOKIE = "kg_sid"


def product_path(item_id: str) -> str:
    return f"/p/{item_id}"


def fen(amount: float | None) -> int | None:
    return None if amount is None else round(amount * 100)


def ok(data: dict) -> web.Response:
    return web.json_response({"code": 0, "msg": "success", "data": data})


@web.middleware
async def browser_only(request: web.Request, handler) -> web.StreamResponse:
    """The API serves only the shop's own app: it wants the session cookie and client header app.js sets."""
    if request.path.startswith("/api/") and (
            SESSION_COOKIE not in request.cookies or not request.headers.get(CLIENT_HEADER, "").startswith("web")):
        return web.json_response({"code": 40301, "msg": "请在快购App或浏览器中访问", "data": None}, status=403)
    return await handler(request)


async def shell(request: web.Request) -> web.Response:
    return web.Response(text=render("kuaigou/shell.html"), content_type="text/html")


async def app_js(request: web.Request) -> web.Response:
    script = resources.files("demo_market").joinpath("static/kuaigou/app.js").read_text(encoding="utf-8")
    return web.Response(text=script, content_type="application/javascript")


async def robots(request: web.Request) -> web.Response:
    return robots_txt(request.app[SHOP], ["/api/user/"])


async def api_hot(request: web.Request) -> web.Response:
    shop = request.app[SHOP]
    terms = shop.world.hot_terms(shop.platform, shop.step)
    return ok({"updated": shop.world.clock(shop.step).isoformat(),
               "list": [{"rank": t.rank, "word": t.term, "hot_value": t.heat, "is_rising": t.rising} for t in terms]})


async def api_search(request: web.Request) -> web.Response:
    shop = request.app[SHOP]
    keyword = request.query.get("q", "").strip()
    page = page_number(request)
    items, pages, total = shop.search_page(keyword, page, SEARCH_PAGE_SIZE)
    rows = []
    for product in items:
        state = shop.world.state(product, shop.step)
        rows.append({"item_id": product.item_id, "title": product.title, "min_price": fen(state.price),
                     "sold_count": state.monthly_sales, "shop_name": product.shop, "comment_count": state.review_count})
    return ok({"total": total, "page": page, "page_size": SEARCH_PAGE_SIZE, "has_more": page < pages,
               "items": rows})


def find_product(request: web.Request) -> tuple[ShopContext, Product]:
    shop = request.app[SHOP]
    product = shop.product(request.match_info["item_id"])
    if product is None:
        raise web.HTTPNotFound(text='{"code":40401,"msg":"商品不存在","data":null}', content_type="application/json")
    return shop, product


async def api_item(request: web.Request) -> web.Response:
    shop, product = find_product(request)
    state = shop.world.state(product, shop.step)
    price = None if request.get("noprice") else {
        "min_price": fen(state.price), "max_price": fen(state.price_max), "origin_price": fen(state.list_price),
        "coupon_price": fen(state.promo_price)}
    return ok({"item_id": product.item_id, "title": product.title, "desc": product.description,
               "cat_path": list(shop.world.categories[product.category].path),
               "shop": {"name": product.shop}, "price": price, "stock": state.stock,
               "sold_count_month": state.monthly_sales, "score": round(state.rating, 1),
               "comment_count": state.review_count,
               "skus": [{"sku_id": s.sku_id, "spec": s.name, "price": fen(state.price + s.price_delta)}
                        for s in product.skus]})


async def api_reviews(request: web.Request) -> web.Response:
    shop, product = find_product(request)
    cursor_raw = request.query.get("cursor", "0")
    if not cursor_raw.isdigit():
        raise web.HTTPBadRequest(text='{"code":40001,"msg":"bad cursor"}', content_type="application/json")
    cursor = int(cursor_raw)
    items, total = shop.reviews_page(product, cursor, REVIEW_PAGE_SIZE)
    return ok({"total": total, "cursor": cursor + len(items), "has_more": cursor + len(items) < total,
               "comments": [{"comment_id": r.review_id, "content": r.text, "score": r.rating,
                             "create_time": int(r.posted_at.timestamp()), "sku_desc": r.sku,
                             "append": {"content": r.append} if r.append else None} for r in items]})


def build(shop: ShopContext) -> web.Application:
    app = make_app(shop, [
        web.get("/", shell),
        web.get("/hot", shell),
        web.get("/s", shell),
        web.get("/p/{item_id}", shell),
        web.get("/static/app.js", app_js),
        web.get("/robots.txt", robots),
        web.get("/api/hot", api_hot),
        web.get("/api/search", api_search),
        web.get("/api/item/{item_id}", api_item),
        web.get("/api/item/{item_id}/reviews", api_reviews),
    ])
    app.middlewares.append(browser_only)
    return app

