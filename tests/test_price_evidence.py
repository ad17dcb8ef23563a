"""The DOM price evidence rules one at a time, on small inline pages, and how the scored candidates compete."""

from decimal import Decimal

import pytest

from crawlers.page_facts import find_anchor
from crawlers.parsed_page import Page
from crawlers.price_evidence import (
    MIN_SCORE,
    Candidate,
    Surroundings,
    best_selling,
    dom_candidates,
    in_list_of_other_items,
    in_main_block,
    in_side_block,
    in_terms,
    said_now,
)
from crawlers.prices import LIST, Price

D = Decimal


def scored(body: str) -> tuple[dict[Decimal, Candidate], Surroundings]:
    """The candidates of a page by amount, and the surroundings the rules read."""
    page = Page.parse(f'<html lang="zh-CN"><body>{body}</body></html>', None)
    anchor = find_anchor(page, None, None)
    candidates = dom_candidates(page, anchor, "CNY")
    return {c.price.amount: c for c in candidates}, Surroundings(page, anchor)


MAIN = ('<div class="detail"><h1>九阳破壁机 L18</h1><div class="p-price">京东价 ¥459.00</div>{inside}'
        '<button>加入购物车</button></div>{outside}')


def test_main_block_holds_the_title_and_the_buy_button():
    found, where = scored(MAIN.format(inside="", outside='<div class="box"><span class="price">¥399.00</span></div>'))
    assert in_main_block(found[D("459")], where) and not in_main_block(found[D("399")], where)
    assert found[D("459")].score > found[D("399")].score


def test_no_main_block_when_title_and_button_meet_only_at_body():
    page = Page.parse('<html><body><div><h1>Teapot</h1></div><div><button>Add to cart</button></div></body></html>',
                      None)
    assert find_anchor(page, None, None).block is None


CARDS = ('<ul class="plist">' + "".join(f'<li class="p-item"><a href="/i/{n}">item {n}</a><div class="p-pri">¥{n}.00'
                                         '</div></li>' for n in (129, 259, 299)) + "</ul>")


def test_cards_of_other_items_are_a_list_of_other_items():
    found, where = scored(MAIN.format(inside="", outside=CARDS))
    assert all(in_list_of_other_items(found[D(n)], where) for n in (129, 259, 299))
    assert not in_list_of_other_items(found[D("459")], where)
    assert found[D("129")].score < MIN_SCORE


def test_rows_of_the_products_own_panel_are_no_list_of_other_items():
    rows = '<dl class="row"><dt>价格</dt><dd class="price">¥599.00</dd></dl><dl class="row"><dt>促销价</dt>' \
           '<dd class="price">¥459.00</dd></dl>'
    found, where = scored(f'<div class="detail"><h1>九阳破壁机 L18</h1>{rows}<a class="btn" href="#">立即购买</a></div>')
    assert not in_list_of_other_items(found[D("459")], where)


@pytest.mark.parametrize("outside", [
    '<aside><span class="price">¥399.00</span></aside>',
    '<div class="col-sub"><span class="price">¥399.00</span></div>',
    '<div class="box"><div class="hd"><h4>看了又看</h4></div><p class="price">¥399.00</p></div>',
    '<div class="box"><div class="cnt-hd">猜你喜欢</div><em>¥399.00</em></div>',
    '<section><h2>You may also like</h2><span class="price">¥399.00</span></section>',
    '<div class="suits"><h3>推荐搭配</h3><span class="price">¥399.00</span></div>',
])
def test_sidebars_and_blocks_headed_by_other_items(outside):
    found, where = scored(MAIN.format(inside="", outside=outside))
    assert in_side_block(found[D("399")], where) and not in_side_block(found[D("459")], where)


@pytest.mark.parametrize("inside, amount", [
    ('<p class="bt">白条 <span class="price">¥153.00×3期</span></p>', "153"),
    ('<p class="bt"><span class="price">¥76.50</span>/期</p>', "76.50"),
    ('<p class="note">配送至北京 <span class="price">¥6.00</span></p>', "6"),
    ('<p>or 4 interest-free payments of <span class="price">¥37.25</span></p>', "37.25"),
    ('<p class="pay"><span class="price">¥29.67</span> with Klarna</p>', "29.67"),
    ('<p class="cp">满200减20 <span class="price">¥50</span></p>', "50"),
    ('<p class="suit">耳机+收纳包 套装 <span class="price">¥2099</span></p>', "2099"),
])
def test_coupon_instalment_shipping_and_bundle_terms(inside, amount):
    found, where = scored(MAIN.format(inside=inside, outside=""))
    assert in_terms(found[D(amount)], where) and not in_terms(found[D("459")], where)
    assert found[D(amount)].score < MIN_SCORE


@pytest.mark.parametrize("inside", ['<p>白条分期 <span class="price">¥153.00</span></p>',
                                    '<p>运费：<span class="price">¥6.00</span></p>',
                                    '<p>套餐价 <span class="price">¥2099.00</span></p>'])
def test_labelled_terms_are_no_candidates_at_all(inside):
    found, _ = scored(MAIN.format(inside=inside, outside=""))
    assert set(found) == {D("459")}


def test_a_label_saying_the_price_now():
    found, where = scored('<h1>毛巾</h1><p>原价 ¥39.00</p><p>促销价 ¥19.90</p>')
    assert said_now(found[D("19.90")], where) and found[D("39")].price.kind == LIST


def test_the_numbers_element_decides_not_its_currency_signs():
    """<span class="unit">¥</span><span class="num">239</span>: `unit` (a unit price) is no word about 239."""
    found, _ = scored('<h1>精华液</h1><div class="price-main"><span class="unit">¥</span><span class="num">239</span>'
                      '</div>')
    assert D("239") in found


def test_a_range_is_one_candidate_with_its_upper_end():
    found, _ = scored('<h1>平板电脑</h1><dl><dt>价格</dt><dd><em>¥</em> <span class="tm-price">5499.00-6799.00</span>'
                      '</dd></dl>')
    assert found[D("5499.00")].price.max_amount == D("6799.00")


def candidate(amount: str, score: int, offset: int = 0) -> Candidate:
    return Candidate(Price(D(amount), None, "CNY"), "dom:label", offset, end=offset + 4, score=score)


def test_the_higher_score_wins_and_the_same_amount_twice_is_no_tie():
    assert best_selling([candidate("59", 70), candidate("79", 60), candidate("59", 70, 40)], 0).best.offset == 0


def test_two_amounts_at_the_top_score_are_a_tie_not_a_guess():
    selling = best_selling([candidate("39", 65, 10), candidate("68", 65, 30)], 0)
    assert selling.best is None and selling.doubt.startswith("two prices tie")


def test_a_weak_best_is_no_price():
    selling = best_selling([candidate("129", MIN_SCORE - 5)], 0)
    assert selling.best is None and selling.doubt.startswith("only weak price evidence")


def test_only_other_items_prices_give_no_price_and_say_why():
    found, _ = scored(f'<div><h1>九阳破壁机 L18</h1><p>暂无报价</p></div>{CARDS}')
    selling = best_selling(list(found.values()), 0)
    assert selling.best is None and "list of other items" in selling.doubt
