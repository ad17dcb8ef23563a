"""What a crawled page is: the page we asked for, or a block, a login wall, a delisting, broken markup or a layout
we no longer read. One classifier for every spider, so a slider captcha never reads as "sold out" or "no reviews".

Refusing statuses come first (404/410 not found, 401 login, 403/429 blocked), then a redirect to a login page. A
page that shows what we came for (a price, search hits, reviews, hot terms) is then `ok`, whatever words it also
contains: a review may well mention 验证码. Only a page that does not is read for the markers below, in this
order: a block, a login wall, a delisting; then a page showing part of its fields is an incomplete but `ok` page;
then the site saying "no results" is a soft ban when earlier crawls found results there; last, a page showing
nothing with no marker at all is a changed layout when earlier crawls of that kind of page matched, and a plain
empty page otherwise (a first crawl cannot tell).

The markers are data, each with why it is there; they are matched in the page's markup, lower-cased, so a marker
in an element id or a script URL (nc_, punish) counts as well as one in the text. The "no results" markers are
read in the page's visible text instead, where a shop's count of hits stands apart from its markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit


class PageState(StrEnum):
    OK = "ok"
    BLOCKED = "blocked"                # captcha, slider, rate limit, access denied, soft-ban empty results
    LOGIN_REQUIRED = "login_required"  # redirected to a login page, or a login wall instead of the content
    NOT_FOUND = "not_found"            # 404/410 or the shop says the listing is gone: news, not an error
    PARSE_ERROR = "parse_error"        # an empty or undecodable body
    LAYOUT_CHANGED = "layout_changed"  # a normal page on which selectors that matched before match nothing


# Alarm states: N pages in a row of one of these raise a system alert (monitors.health), since only a person can
# fix them (new cookies, a slower schedule, new selectors).
ALARMING = (PageState.BLOCKED, PageState.LAYOUT_CHANGED)

BLOCK_MARKERS: tuple[tuple[str, str], ...] = (
    ("滑块", "slider captcha wording (Taobao/Tmall, JD, Pinduoduo verification pages)"),
    ("拖动滑块", "'drag the slider': Alibaba's nocaptcha slider prompt"),
    ("安全验证", "'security verification': the title of most Chinese marketplaces' verification pages"),
    ("验证码", "'verification code': image and SMS captcha pages"),
    ("请完成验证", "'please complete the verification'"),
    ("访问受限", "'access restricted': an IP or account rate-limited by the site"),
    ("异常流量", "'abnormal traffic': the wording of JD's and Baidu's block pages"),
    ("访问过于频繁", "'visiting too often': a rate-limit page served with status 200"),
    ("punish", "Alibaba's block pages live under /punish (x5secdata), linked from the page"),
    ("captcha", "captcha widgets' element ids and script names (Geetest, Tencent, hCaptcha)"),
    ("nc_1_", "Alibaba nocaptcha slider elements (nc_1_wrapper, nc_1_n1z); bare nc_ would match async_ in scripts"),
    ("slide-verify", "slider verification widgets' class names"),
)

LOGIN_MARKERS: tuple[tuple[str, str], ...] = (
    ("请登录", "'please log in' in place of the content"),
    ("登录后查看", "'log in to see' (price, reviews) on a page that shows nothing else"),
    ("扫码登录", "'scan to log in': the QR-code login form of Taobao, JD and Douyin"),
    ('type="password"', "a password field: the page's main content is a login form"),
)

NOT_FOUND_MARKERS: tuple[tuple[str, str], ...] = (
    ("商品已下架", "'listing taken down': the product was delisted"),
    ("宝贝不存在", "Taobao's 'item does not exist'"),
    ("商品不存在", "'product does not exist'"),
    ("页面不存在", "'page does not exist': a 404 page served with status 200"),
    ("已失效", "'no longer valid': an expired listing"),
)

# Regular expressions over the page's visible text with its tags and white space removed, so a count a shop sets
# in its own element (共找到 <font>0</font> 个宝贝) reads as 共找到0个宝贝. A zero is a zero only where no digit
# (or decimal point) adjoins it: 共找到10个 and 共120个结果 are results.
EMPTY_MARKERS: tuple[tuple[str, str], ...] = (
    ("没有找到", "'found nothing': a search with no hits (没有找到相关宝贝, 抱歉，没有找到…)"),
    ("无搜索结果", "'no search results'"),
    ("暂无相关", "'nothing related yet'"),
    ("暂无评价", "'no reviews yet'"),
    ("暂无数据", "'no data yet': an empty ranking"),
    (r"找到0(?![\d.])", "'found 0' (共找到 0 个宝贝, 找到0个): a search page counting its hits, legacy shops"),
    (r"(?<![\d.,])0个(相关)?(结果|商品|宝贝)", "'0 results' / '0 products'"),
    (r"搜索结果为0(?![\d.])", "'the search results are 0'"),
)
_EMPTY = tuple((re.compile(pattern), why) for pattern, why in EMPTY_MARKERS)
_TAG = re.compile(r"<[^>]*>")

# The path or host of a login page a site redirects to (login.taobao.com, passport.jd.com, /member/login.jhtml).
LOGIN_URL = re.compile(r"(^|[./])(login|passport|signin|sso)([./?_-]|$)", re.IGNORECASE)

BLOCK_STATUSES = frozenset({403, 429})       # the site refuses us (after retries, for 429)
LOGIN_STATUSES = frozenset({401})
NOT_FOUND_STATUSES = frozenset({404, 410})
STATE_STATUSES = BLOCK_STATUSES | LOGIN_STATUSES | NOT_FOUND_STATUSES  # HTTP errors that are page states


def _marker(text: str, markers: tuple[tuple[str, str], ...]) -> str | None:
    return next((marker for marker, _ in markers if marker in text), None)


def _empty_marker(html: str) -> str | None:
    """The words of the page that say its list is empty (EMPTY_MARKERS), as the page shows them."""
    text = "".join(_TAG.sub("", html).split())
    return next((found[0] for pattern, _ in _EMPTY if (found := pattern.search(text))), None)


def is_login_url(url: str) -> bool:
    parts = urlsplit(url)
    return bool(LOGIN_URL.search(parts.hostname or "") or LOGIN_URL.search(parts.path))


@dataclass(frozen=True)
class Verdict:
    state: PageState
    reason: str  # why, in words an operator can check: the status, the URL or the marker found


def wall(html: str) -> Verdict | None:
    """What a page shows instead of its content by its markers: a block, a login wall or a delisting (in that
    order); None when it shows none of them. Also asked of a browser page whose steps timed out waiting for
    content that a captcha page never draws."""
    text = html.lower()
    for state, markers in ((PageState.BLOCKED, BLOCK_MARKERS), (PageState.LOGIN_REQUIRED, LOGIN_MARKERS),
                           (PageState.NOT_FOUND, NOT_FOUND_MARKERS)):
        if marker := _marker(text, markers):
            return Verdict(state, f"page says {marker!r}")
    return None


def classify(*, status: int, url: str, html: str, found: bool, partial: bool = False, redirected: bool = False,
             matched_before: bool = False, results_before: bool = False, later_page: bool = False) -> Verdict:
    """The state of one fetched page.

    `found`: the page showed what its kind is read for (a price; at least one hit, review or hot term).
    `partial`: it showed part of it (a product's profile fields without a price): an incomplete page, unless a
    marker says it is a wall.
    `redirected`: the server redirected the request (`url` is where it ended).
    `matched_before`: earlier crawls of this platform's pages of this kind were ok.
    `results_before`: earlier crawls found results for this very target (a keyword's hits).
    `later_page`: a page after the first of a list requested by number: without entries it is the list's end.
    """
    text = html.lower()
    if status in NOT_FOUND_STATUSES:
        return Verdict(PageState.NOT_FOUND, f"HTTP {status}")
    if status in LOGIN_STATUSES:
        return Verdict(PageState.LOGIN_REQUIRED, f"HTTP {status}")
    if status in BLOCK_STATUSES:
        if login := _marker(text, LOGIN_MARKERS):
            return Verdict(PageState.LOGIN_REQUIRED, f"HTTP {status}, page says {login!r}")
        return Verdict(PageState.BLOCKED, f"HTTP {status}")
    if redirected and is_login_url(url):
        return Verdict(PageState.LOGIN_REQUIRED, f"redirected to a login page {url}")
    if found:
        return Verdict(PageState.OK, "content found")
    if not text.strip():
        return Verdict(PageState.PARSE_ERROR, "empty body")
    if (shown := wall(html)) is not None:
        return shown
    if partial:
        return Verdict(PageState.OK, "incomplete: part of the page's fields found")
    if later_page:
        return Verdict(PageState.OK, "a later page without entries: the end of the list")
    if empty := _empty_marker(html):
        if results_before:
            return Verdict(PageState.BLOCKED, f"page says {empty!r} where earlier crawls found results (soft ban)")
        return Verdict(PageState.OK, f"page says {empty!r}")
    if matched_before:
        return Verdict(PageState.LAYOUT_CHANGED, "selectors that matched in earlier crawls match nothing")
    return Verdict(PageState.OK, "nothing found, and no earlier crawl to compare with")


@dataclass(frozen=True)
class History:
    """What earlier crawls found, read from the store when a crawl starts (crawlers.run)."""

    matched: frozenset[tuple[str, str]] = frozenset()   # (platform, page kind) with an ok page in an earlier run
    keywords: frozenset[tuple[str, str]] = frozenset()  # (platform, keyword) with stored search results

    @classmethod
    def from_runs(cls, run_stats: list[dict], searched: list[tuple[str, str]]) -> History:
        matched = {(platform, kind) for stats in run_stats
                   for platform, entry in (stats.get("platforms") or {}).items()
                   for kind, states in (entry.get("states") or {}).items() if states.get(PageState.OK, 0)}
        return cls(frozenset(matched), frozenset(searched))


@dataclass
class PageLog:
    """A crawl's page states as they come (the counts go to the crawl's stats): each (platform, kind)'s latest run
    of one state, and each platform's blocked pages in a row with the time of the last (for the backoff in
    crawlers.middlewares)."""

    streaks: dict[tuple[str, str], tuple[PageState, int]] = field(default_factory=dict)
    blocked: dict[str, tuple[int, float]] = field(default_factory=dict)  # platform -> (in a row, monotonic time)

    def record(self, platform: str, kind: str, state: PageState, now: float) -> None:
        last, length = self.streaks.get((platform, kind), (state, 0))
        self.streaks[platform, kind] = (state, length + 1 if last == state else 1)
        if state == PageState.BLOCKED:
            self.blocked[platform] = (self.blocked.get(platform, (0, now))[0] + 1, now)
        else:
            self.blocked.pop(platform, None)

    def blocked_in_a_row(self, platform: str) -> tuple[int, float]:
        return self.blocked.get(platform, (0, 0.0))
