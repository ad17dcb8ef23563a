"""老店 (laodian): a legacy GBK-encoded shop with table layouts and no structured data.

Prices exist only in the DOM and in the shapes old Chinese shops print them: `¥1,299.00`, `券后价 ¥89`, ranges
`¥89-129`, full-width digits `￥１２９．００`. The charset is declared only in a <meta> tag, not in the HTTP header,
and search keywords arrive percent-encoded in GBK (or UTF-8 from modern clients), as on real old sites.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote, unquote_to_bytes

from aiohttp import web

from demo_market.model import Product, ProductState
from demo_market.shops.common import (SHOP, ShopContext, fullwidth, make_app, page_count, page_number, render,
                                      robots_txt, sales_label, yuan)

ENCODING = "gbk"
SEARCH_PAGE_SIZE = 15
REVIEW_PAGE_SIZE = 10


def product_path(item_id: str) -> str:
    return f"/goods.php?id={item_id}"


def gbk_quote(text: str) -> str:
    return quote(text.encode(ENCODING, errors="xmlcharrefreplace"))


def query_text(request: web.Request, name: str) -> str:
    """A query parameter decoded as UTF-8 when it is valid UTF-8, else as GB18030 (a superset of GBK)."""
    for pair in request.rel_url.raw_query_string.split("&"):
        key, _, value = pair.partition("=")
        if key == name:
            raw = unquote_to_bytes(value.replace("+", " "))
            try:
                return raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                return raw.decode("gb18030", errors="replace").strip()
    return ""


def gbk_page(html: str, status: int = 200) -> web.Response:
    # Legacy servers send no charset in the header: the page's <meta> is the only clue. Characters GBK lacks
    # (emoji) become numeric character references, as old PHP sites emit them.
    return web.Response(body=html.encode(ENCODING, errors="xmlcharrefreplace"), status=status,
                        headers={"Content-Type": "text/html"})


def compact(amount: float) -> str:
    """89.0 -> '89', 89.5 -> '89.50': how range prices are printed."""
    return f"{amount:.0f}" if amount == int(amount) else f"{amount:.2f}"


def price_style(product: Product) -> str:
    """Each listing keeps one price style, chosen from its id so it is stable across steps."""
    digest = hashlib.sha1(product.item_id.encode()).digest()[0]
    return "fullwidth" if digest % 5 == 0 else "plain"


def price_html(product: Product, state: ProductState) -> dict:
    if state.price_max > state.price:
        now = f"¥{compact(state.price)}-{compact(state.price_max)}"
    else:
        now = f"¥{yuan(state.price)}"
    if price_style(product) == "fullwidth":
        now = fullwidth(now.replace("¥", "￥"))
    return {
        "now": now,
        "origin": f"¥{yuan(state.list_price)}" if state.list_price > state.price else None,
        "coupon": f"券后价 ¥{compact(state.promo_price)}" if state.promo_price else None,
    }


async def robots(request: web.Request) -> web.Response:
    return robots_txt(request.app[SHOP], ["/admin/", "/member.php"])


async def home(request: web.Request) -> web.Response:
    shop = request.app[SHOP]
    links = [(k, gbk_quote(k)) for c in shop.world.categories.values() for k in c.keywords]
    return gbk_page(render("laodian/home.html", links=links))


async def top(request: web.Request) -> web.Response:
    shop = request.app[SHOP]
    terms = [(t, gbk_quote(t.term)) for t in shop.world.hot_terms(shop.platform, shop.step)]
    return gbk_page(render("laodian/top.html", terms=terms, clock=shop.world.clock(shop.step)))


async def search(request: web.Request) -> web.Response:
    shop = request.app[SHOP]
    keyword = query_text(request, "kw")
    page = page_number(request, "p")
    items, pages, total = shop.search_page(keyword, page, SEARCH_PAGE_SIZE)
    rows = []
    for product in items:
        state = shop.world.state(product, shop.step)
        rows.append({"item_id": product.item_id, "url": product_path(product.item_id).lstrip("/"),
                     "title": product.title, "shop": product.shop, "price": price_html(product, state)["now"],
                     "sales": sales_label(state.monthly_sales)})
    return gbk_page(render("laodian/list.html", keyword=keyword, kw=gbk_quote(keyword), page=page, pages=pages,
                           total=total, rows=rows))


def find_product(request: web.Request) -> tuple[ShopContext, Product]:
    shop = request.app[SHOP]
    product = shop.product(request.query.get("id", ""))
    if product is None:
        raise web.HTTPNotFound(body=render("laodian/404.html").encode(ENCODING), headers={"Content-Type": "text/html"})
    return shop, product


async def goods(request: web.Request) -> web.Response:
    shop, product = find_product(request)
    state = shop.world.state(product, shop.step)
    category = shop.world.categories[product.category]
    return gbk_page(render("laodian/goods.html", product=product, state=state, price=price_html(product, state),
                           noprice=request.get("noprice", False), sales=sales_label(state.monthly_sales),
                           crumbs=[(name, gbk_quote(name)) for name in category.path]))


async def comments(request: web.Request) -> web.Response:
    shop, product = find_product(request)
    page = page_number(request, "p")
    items, total = shop.reviews_page(product, (page - 1) * REVIEW_PAGE_SIZE, REVIEW_PAGE_SIZE)
    return gbk_page(render("laodian/comment.html", product=product, reviews=items, page=page,
                           pages=page_count(total, REVIEW_PAGE_SIZE), total=total))


def build(shop: ShopContext) -> web.Application:
    shop.encoding = ENCODING
    return make_app(shop, [
        web.get("/", home),
        web.get("/index.php", home),
        web.get("/robots.txt", robots),
        web.get("/top.php", top),
        web.get("/list.php", search),
        web.get("/goods.php", goods),
        web.get("/comment.php", comments),
    ])
