"""商城 (shangcheng): a modern server-rendered shop that embeds schema.org Product and BreadcrumbList JSON-LD, like JD
or Tmall pages."""

from __future__ import annotations

import json
from urllib.parse import quote

from aiohttp import web

from demo_market.model import Category, Product
from demo_market.shops.common import (SHOP, ShopContext, make_app, page_count, page_number, render, robots_txt,
                                      sales_label, yuan)

SEARCH_PAGE_SIZE = 20
REVIEW_PAGE_SIZE = 20


def product_path(item_id: str) -> str:
    return f"/item/{item_id}.html"


def json_ld(shop: ShopContext, product: Product, noprice: bool) -> str:
    """The Product JSON-LD a real shop would embed; `</` escaped so no text can close the script element."""
    state = shop.world.state(product, shop.step)
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "sku": product.item_id,
        "productID": product.item_id,
        "description": product.description,
        "brand": {"@type": "Brand", "name": product.shop},
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": f"{state.rating:.1f}",
                            "reviewCount": state.review_count, "bestRating": "5"},
    }
    if not noprice:
        availability = "https://schema.org/InStock" if state.available else "https://schema.org/OutOfStock"
        seller = {"@type": "Organization", "name": product.shop}
        if state.price_max > state.price:
            data["offers"] = {"@type": "AggregateOffer", "lowPrice": f"{state.price:.2f}",
                              "highPrice": f"{state.price_max:.2f}", "offerCount": len(product.skus),
                              "priceCurrency": "CNY", "availability": availability, "seller": seller}
        else:
            data["offers"] = {"@type": "Offer", "price": f"{state.price:.2f}", "priceCurrency": "CNY",
                              "availability": availability, "seller": seller,
                              "url": product_path(product.item_id)}
    return json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")


def breadcrumb_json_ld(product: Product, category: Category) -> str:
    """The BreadcrumbList JSON-LD a real shop embeds beside its Product: 首页, the category tree, the product."""
    crumbs = [("首页", "/"), *((name, f"/search?q={quote(name)}") for name in category.path),
              (product.title, product_path(product.item_id))]
    data = {"@context": "https://schema.org", "@type": "BreadcrumbList",
            "itemListElement": [{"@type": "ListItem", "position": position, "name": name, "item": link}
                                for position, (name, link) in enumerate(crumbs, start=1)]}
    return json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")


async def home(request: web.Request) -> web.Response:
    shop = request.app[SHOP]
    categories = list(shop.world.categories.values())
    return web.Response(text=render("shangcheng/home.html", categories=categories), content_type="text/html")


async def robots(request: web.Request) -> web.Response:
    return robots_txt(request.app[SHOP], ["/cart", "/user/"])


async def hot(request: web.Request) -> web.Response:
    shop = request.app[SHOP]
    terms = shop.world.hot_terms(shop.platform, shop.step)
    return web.Response(text=render("shangcheng/hot.html", terms=terms, clock=shop.world.clock(shop.step)),
                        content_type="text/html")


async def search(request: web.Request) -> web.Response:
    shop = request.app[SHOP]
    keyword = request.query.get("q", "").strip()
    page = page_number(request)
    items, pages, total = shop.search_page(keyword, page, SEARCH_PAGE_SIZE)
    cards = [card(shop, product, rank) for rank, product in enumerate(items, start=(page - 1) * SEARCH_PAGE_SIZE + 1)]
    return web.Response(text=render("shangcheng/search.html", keyword=keyword, page=page, pages=pages,
                                    total=total, cards=cards), content_type="text/html")


def card(shop: ShopContext, product: Product, rank: int) -> dict:
    state = shop.world.state(product, shop.step)
    return {"rank": rank, "item_id": product.item_id, "url": product_path(product.item_id), "title": product.title,
            "shop": product.shop, "price": yuan(state.price), "sales": sales_label(state.monthly_sales),
            "reviews": state.review_count}


def find_product(request: web.Request) -> tuple[ShopContext, Product]:
    shop = request.app[SHOP]
    product = shop.product(request.match_info["item_id"])
    if product is None:
        raise web.HTTPNotFound(text=render("shangcheng/404.html"), content_type="text/html")
    return shop, product


async def item(request: web.Request) -> web.Response:
    shop, product = find_product(request)
    state = shop.world.state(product, shop.step)
    noprice = request.get("noprice", False)
    category = shop.world.categories[product.category]
    return web.Response(text=render(
        "shangcheng/item.html", product=product, state=state, noprice=noprice, yuan=yuan,
        sales=sales_label(state.monthly_sales), json_ld=json_ld(shop, product, noprice),
        breadcrumb=breadcrumb_json_ld(product, category), category=category,
        reviews_url=f"/item/{product.item_id}/reviews",
        preview=shop.world.reviews(product, shop.step)[:3]), content_type="text/html")


async def reviews(request: web.Request) -> web.Response:
    shop, product = find_product(request)
    page = page_number(request)
    items, total = shop.reviews_page(product, (page - 1) * REVIEW_PAGE_SIZE, REVIEW_PAGE_SIZE)
    return web.Response(text=render("shangcheng/reviews.html", product=product, reviews=items, page=page,
                                    pages=page_count(total, REVIEW_PAGE_SIZE), total=total,
                                    item_url=product_path(product.item_id)),
                        content_type="text/html")


def build(shop: ShopContext) -> web.Application:
    return make_app(shop, [
        web.get("/", home),
        web.get("/robots.txt", robots),
        web.get("/hot", hot),
        web.get("/search", search),
        web.get("/item/{item_id}.html", item),
        web.get("/item/{item_id}/reviews", reviews),
    ])
