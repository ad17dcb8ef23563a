"""ShopSentinel's settings: one TOML file, validated in full when it is loaded.

`load_config("config.toml")` returns a frozen `Config` or raises one `ConfigError` that lists every problem, one
line each, as `file: key.path[index]: expected ..., got ...`. Nothing is checked lazily: types, ranges, schedule
strings, selectors, URLs, e-mail addresses and the references between sections (platforms named by keywords,
products and routes) are all settled before any crawl, monitor or mail can start. `config_from_dict` does the
same for already-parsed data, and `with_demo_urls` re-points the demo-backed platforms at the ports the demo
marketplace actually runs on.

Secrets never live in the file. The file names environment variables (`smtp.password_env`, `url_env` of a
webhook, `proxy_env` of a platform) and the models read them only when asked (`SmtpSettings.password()`,
`Webhook.url()`, `Platform.proxy_url()`), so a `Config` never holds a secret and its repr cannot leak one.
Cookie files and browser storage states are paths. Every path is resolved against the config file's folder.
"""

import codecs
import difflib
import json
import math
import os
import re
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import cssselect
import jmespath
import lxml.etree
import tomllib
from parsel.csstranslator import HTMLTranslator
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationError, ValidationInfo,
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError

import i18n


class ConfigError(Exception):
    """The config cannot be used. The message names the file, the key and what was expected, one line per problem."""


# ---------------------------------------------------------------------------------------------------------------
# Value types. Each raises an "expected" error carrying a human description, which also documents the key when
# it is missing (see _Expect).


@dataclass(frozen=True)
class _Expect:
    """What a value must look like, in words; read back by the error formatter for missing keys."""

    text: str


def _expected(text: str, note: str = "") -> PydanticCustomError:
    """An invalid value: reported as `expected <text>, got <value>` plus `(<note>)` when there is one."""
    return PydanticCustomError("expected", "expected {expected}", {"expected": text, "note": note})


def _secret(message: str) -> PydanticCustomError:
    """An error about a secret in the file: its message must not echo the offending value."""
    return PydanticCustomError("secret", "{message}", {"message": message})


def _checked(base: Any, expectation: str, convert: Callable[..., Any], *, with_info: bool = False) -> Any:
    """An annotated type whose values `convert` checks; any failure is reported as `expected <expectation>`."""

    def guarded(*args: Any) -> Any:
        try:
            return convert(*args)
        except PydanticCustomError:
            raise
        except (TypeError, ValueError, LookupError, SyntaxError, re.error, cssselect.SelectorError):
            raise _expected(expectation) from None

    # pydantic passes ValidationInfo (which carries the config's folder) only to two-argument validators.
    if with_info:
        def validate(value: Any, info: ValidationInfo) -> Any:
            return guarded(value, info)
    else:
        def validate(value: Any) -> Any:
            return guarded(value)
    return Annotated[base, BeforeValidator(validate), _Expect(expectation)]


def _number(*, ge: float | None = None, gt: float | None = None, le: float | None = None,
            integer: bool = False) -> Any:
    kind = "an integer" if integer else "a number"
    if ge is not None and le is not None:
        expectation = f"{kind} from {ge:g} to {le:g}"
    else:
        bounds = [f">= {ge:g}" if ge is not None else "", f"> {gt:g}" if gt is not None else "",
                  f"<= {le:g}" if le is not None else ""]
        expectation = " ".join([kind, *filter(None, bounds)])

    def convert(value: Any) -> int | float:
        # TOML booleans are Python ints; a `true` where a number belongs is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError
        if integer and not isinstance(value, int):
            raise TypeError
        if not math.isfinite(value):
            raise ValueError
        if (ge is not None and value < ge) or (gt is not None and value <= gt) or (le is not None and value > le):
            raise ValueError
        return value if integer else float(value)

    return _checked(int if integer else float, expectation, convert)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError
    return value


Text = _checked(str, "a non-empty string", _text)

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(value: str) -> timedelta:
    """ "30s", "30m", "2h", "1d" or combinations such as "1h30m" as a timedelta."""
    match = _DURATION.fullmatch(_text(value).strip())
    if match is None:
        raise ValueError(f"not a duration: {value!r}")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The inverse of parse_duration, for messages: 5400 s -> "1h30m"."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _duration(*, positive: bool) -> Any:
    def convert(value: Any) -> timedelta:
        result = value if isinstance(value, timedelta) else parse_duration(value)
        if positive and not result:
            raise ValueError
        return result

    qualifier = "a duration > 0" if positive else "a duration"
    return _checked(timedelta, f'{qualifier} such as "30s", "30m", "2h", "1d" or "1h30m"', convert)


Interval = _duration(positive=True)
Duration = _duration(positive=False)


def _clock_time(value: Any) -> time:
    if isinstance(value, time):  # TOML's native local time: digest = 08:30:00
        return value
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value)
    if match is None:
        raise ValueError
    return time(int(match[1]), int(match[2]))


ClockTime = _checked(time, 'a local time "HH:MM" such as "08:30"', _clock_time)


def _time_zone(value: Any) -> str:
    try:
        ZoneInfo(_text(value))  # an unknown name raises ZoneInfoNotFoundError, a LookupError
    except OSError:  # "Asia" is a folder of zones, not a zone
        raise ValueError from None
    return value


TimeZoneName = _checked(str, 'an IANA time zone such as "Asia/Shanghai"', _time_zone)
LocaleName = _checked(str, 'a language: "zh_CN" or "en"', lambda value: i18n.checked_locale(_text(value)))


def _http_url(value: Any) -> str:
    parts = urlsplit(_text(value))
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError
    return value


def _base_url(value: Any) -> str:
    # Relative URLs are appended after a "/", so a trailing one here would double it.
    return _http_url(value).rstrip("/")


BaseUrl = _checked(str, 'an http(s) URL such as "https://shop.example.com"', _base_url)


def _proxy_url(value: Any) -> str:
    url = _http_url(value)
    if urlsplit(url).password is not None:
        raise _secret("a proxy password is a secret and is never read from the config file: put the whole proxy "
                      "URL in an environment variable and name it with proxy_env")
    return url


ProxyUrl = _checked(str, 'an http(s) proxy URL such as "http://127.0.0.1:3128"', _proxy_url)


def _url_or_path(value: Any) -> str:
    if urlsplit(_text(value)).scheme:
        return _http_url(value)
    if any(c.isspace() for c in value):
        raise ValueError
    return value


UrlOrPath = _checked(str, 'an http(s) URL or a path relative to the platform\'s base_url such as "/item/1.html"',
                     _url_or_path)


def _url_template(required: frozenset[str], optional: frozenset[str], example: str) -> Any:
    def convert(value: Any) -> str:
        names = {name for _, name, _, _ in string.Formatter().parse(_text(value)) if name is not None}
        if not required <= names <= required | optional:
            raise ValueError
        _url_or_path(value.format_map({name: "1" for name in names}))
        return value

    placeholders = [f"{{{n}}} required" for n in sorted(required)] + [f"{{{n}}} optional" for n in sorted(optional)]
    note = f" ({', '.join(placeholders)})" if placeholders else " (no placeholders)"
    return _checked(str, f'a URL or path such as "{example}"{note}', convert)


PAGE_PLACEHOLDERS = frozenset({"page", "page0", "offset"})
"""How a list URL numbers its pages: {page} from 1, {page0} from 0 (JD's review feed), {offset} the entries before
the page, (page - 1) × the platform's page_size (Taobao's search, s=44, 88, ...)."""
SearchUrl = _url_template(frozenset({"keyword"}), PAGE_PLACEHOLDERS, "/search?q={keyword}&page={page}")
HotUrl = _url_template(frozenset(), frozenset(), "/hot")
ProductUrl = _url_template(frozenset({"item_id"}), frozenset(), "/item/{item_id}.html")
ReviewsUrl = _url_template(frozenset({"item_id"}), PAGE_PLACEHOLDERS, "/item/{item_id}/reviews?page={page}")

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")


def _email(value: Any) -> str:
    if _EMAIL.fullmatch(_text(value)) is None:
        raise ValueError
    return value


Email = _checked(str, 'an e-mail address such as "ops@example.com"', _email)


def _host_name(value: Any) -> str:
    if isinstance(value, str) and "@" in value:  # user:password@host: never echoed
        raise _secret("credentials do not belong in the host (the value is not shown, it may hold a password): give "
                      "the host name alone, the user in smtp.username and the password in the environment variable "
                      "named by smtp.password_env")
    if not isinstance(value, str) or re.fullmatch(r"[A-Za-z0-9.-]*", value) is None:
        raise ValueError
    return value


HostName = _checked(str, '"" or a host name such as "smtp.example.com"', _host_name)


def _env_name(value: Any) -> str:
    if not isinstance(value, str) or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) is None:
        # Not echoed: a secret pasted where its variable's name belongs is the likely mistake.
        raise _secret('expected an environment variable name such as "SHOPSENTINEL_SMTP_PASSWORD" '
                      "(the value is not shown, it may be a secret)")
    return value


EnvName = _checked(str, 'an environment variable name such as "SHOPSENTINEL_SMTP_PASSWORD"', _env_name)


def _compiling(compile_: Callable[[str], object]) -> Callable[[Any], str]:
    """A converter accepting strings that `compile_` accepts, so a broken expression fails at load, not mid-run."""

    def convert(value: Any) -> str:
        compile_(_text(value))
        return value

    return convert


Encoding = _checked(str, 'a text encoding such as "gbk" or "utf-8"', _compiling(codecs.lookup))
Regex = _checked(str, "a valid regular expression", _compiling(re.compile))
# Selectors are compiled with the engines the crawlers use: parsel's CSS dialect (with ::text and ::attr()),
# lxml's XPath, and JMESPath as in parsel's Selector.jmespath.
CssSelector = _checked(str, 'a CSS selector such as ".price::text"', _compiling(HTMLTranslator().css_to_xpath))
XPathExpr = _checked(str, 'an XPath expression such as "//span[@class=\'price\']/text()"',
                     _compiling(lxml.etree.XPath))
JsonPath = _checked(str, 'a JMESPath expression such as "data.items[*].price"', _compiling(jmespath.compile))


def _config_path(value: Any, info: ValidationInfo, *, must_exist: bool) -> Path:
    path = Path(_text(value) if isinstance(value, str) else value).expanduser()
    base_dir = (info.context or {}).get("base_dir")
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    if must_exist and not path.is_file():
        raise _expected("a path to an existing file", note=f"{path} is not a file")
    return path


ConfigPath = _checked(Path, "a path (relative to the config file's folder)",
                      lambda v, info: _config_path(v, info, must_exist=False), with_info=True)
ExistingFile = _checked(Path, "a path to an existing file (relative to the config file's folder)",
                        lambda v, info: _config_path(v, info, must_exist=True), with_info=True)


def _band(value: Any) -> tuple[float, float]:
    low, high = value  # a wrong shape raises TypeError or ValueError
    if any(isinstance(x, bool) or not isinstance(x, int | float) for x in (low, high)) or not 0 <= low < high:
        raise ValueError
    return float(low), float(high)


Band = _checked(tuple[float, float], "[min, max] prices with 0 <= min < max, such as [89, 139]", _band)

Share = _number(ge=0, le=1)
Percent = _number(ge=0, le=100)
Count = _number(ge=1, integer=True)
Positive = _number(gt=0)

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")
"""Severities in rising order."""


def at_least(severity: str, minimum: str) -> bool:
    """Whether `severity` is `minimum` or above it."""
    return SEVERITIES.index(severity) >= SEVERITIES.index(minimum)

Family = Literal["absolute", "qualification", "medical", "efficacy", "comparison", "national_symbols", "superstition",
                 "discrimination", "data_source", "patent", "health_food", "agri", "tobacco", "alcohol", "education",
                 "investment", "real_estate", "price_fraud", "urgency", "food_claim", "cosmetic_claim", "misleading"]
FAMILIES: tuple[Family, ...] = get_args(Family)
"""Compliance rule families (a violation's `category`; one lexicon file each): docs/compliance-lexicon.md."""

ProductCategory = Literal["general", "food", "health_food", "cosmetics", "drug", "medical_device", "education",
                          "finance", "real_estate", "alcohol", "tobacco", "agri"]
PRODUCT_CATEGORIES: tuple[ProductCategory, ...] = get_args(ProductCategory)
"""A listing's product category, which switches compliance rules on and off (美白 on food, not on cosmetics)."""

AlertCategory = Literal["price", "review", "compliance", "stock", "system"]
RouteCategory = Literal[AlertCategory, "*"]  # "*" = every category


class _Model(BaseModel):
    # extra="forbid": a typo is an error, not a silently ignored key. validate_default: defaults such as
    # "var/shopsentinel.db" go through the same validators, so they too resolve against the config's folder.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# ---------------------------------------------------------------------------------------------------------------
# Sections


class StoreSettings(_Model):
    path: ConfigPath = "var/shopsentinel.db"
    busy_wait: Duration = "5m"  # the daemon's wait, in all, for a database another process keeps locked (a backup)


class PathSettings(_Model):
    var_dir: ConfigPath = "var"

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    @property
    def reports_dir(self) -> Path:
        return self.var_dir / "reports"

    @property
    def models_dir(self) -> Path:
        return self.var_dir / "models"


class AutoThrottle(_Model):
    enabled: StrictBool = True
    target_concurrency: Positive = 1.0
    max_delay_s: Positive = 30.0


def _optional_chromium(value: Any, info: ValidationInfo) -> Path | None:
    return None if value in ("", None) else _config_path(value, info, must_exist=True)


ResourceType = Literal["document", "stylesheet", "image", "media", "font", "script", "texttrack", "xhr", "fetch",
                       "eventsource", "websocket", "manifest", "other"]


class CrawlSettings(_Model):
    user_agent: Text = "ShopSentinel/0.1 (shop monitoring)"
    obey_robots: StrictBool = True
    concurrent_requests: Count = 8
    concurrency_per_domain: Count = 2
    download_delay_s: _number(ge=0) = 1.0
    autothrottle: AutoThrottle = Field(default_factory=dict)
    timeout_s: Positive = 30.0
    retries: _number(ge=0, integer=True) = 2
    retry_backoff_s: _number(ge=0) = 2.0
    stop_after_blocked: Count = 3  # blocked pages in a row after which a platform is left alone for the run
    max_pages_per_run: Count = 500
    chromium_path: _checked(Path | None, 'a path to the Chromium binary, or "" to detect it',
                            _optional_chromium, with_info=True) = ""
    browser_page_cap: Count = 4
    block_resources: tuple[ResourceType, ...] = ("image", "font", "media")


def _exactly_one(model: BaseModel, keys: tuple[str, ...], wording: str) -> None:
    given = [key for key in keys if getattr(model, key) not in (None, False)]
    if len(given) != 1:
        raise _expected(f"exactly one of {wording}")


class Selector(_Model):
    """Where one field is found: exactly one of css, xpath or json (JMESPath over a JSON response)."""

    css: CssSelector | None = None
    xpath: XPathExpr | None = None
    json_path: JsonPath | None = Field(default=None, alias="json")
    attr: Text | None = None    # read this attribute of the matched element instead of its text
    regex: Regex | None = None  # keep the first group (or the whole match) of this pattern
    scale: Positive | None = None  # multiply a number read, e.g. 0.01 for prices an API gives in fen

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        _exactly_one(self, ("css", "xpath", "json_path"), "css, xpath or json")
        if self.attr is not None and self.json_path is not None:
            raise _expected("attr only with css or xpath")
        return self


class BrowserStep(_Model):
    """One action on a rendered page before its fields are read: exactly one action key per step."""

    wait_for: Text | None = None          # a Playwright selector to wait for
    click: Text | None = None
    click_until_gone: Text | None = None  # e.g. a "load more" button, clicked until it disappears
    scroll: StrictBool | None = None      # scroll to the bottom until the page stops growing
    wait_ms: _number(ge=0, integer=True) | None = None
    max_repeats: Count = 20               # cap for click_until_gone and scroll, so a page cannot loop forever

    @model_validator(mode="after")
    def _one_action(self) -> Self:
        _exactly_one(self, ("wait_for", "click", "click_until_gone", "scroll", "wait_ms"),
                     "wait_for, click, click_until_gone, scroll = true or wait_ms")
        return self


SelectorTable = Annotated[Selector, _Expect('a selector table such as { css = ".price::text" }')]


class PageProfile(BaseModel):
    """How to read one kind of page. Every key besides items/steps/xhr names a field and holds its Selector."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, SelectorTable]

    items: SelectorTable | None = None    # the repeated entries of a list page; field selectors apply inside each
    steps: tuple[BrowserStep, ...] = ()  # render = "browser" only
    xhr: Text | None = None          # URL part of the XHR response whose JSON the json selectors read
    # A JavaScript variable whose JSON value, assigned in one of the page's scripts, the json selectors read
    # (e.g. "g_page_config"); a JSON or JSONP response body is read without it.
    script_var: Text | None = None

    @property
    def fields(self) -> dict[str, Selector]:
        return dict(self.__pydantic_extra__ or {})


class SiteProfile(_Model):
    hot: PageProfile = Field(default_factory=PageProfile)
    search: PageProfile = Field(default_factory=PageProfile)
    product: PageProfile = Field(default_factory=PageProfile)
    reviews: PageProfile = Field(default_factory=PageProfile)

    def pages(self) -> dict[str, PageProfile]:
        return {"hot": self.hot, "search": self.search, "product": self.product, "reviews": self.reviews}


_SECRET_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})


def _read_env(name: str, what: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ConfigError(f"environment variable {name} is not set; it must hold {what}")
    return value


def _domain_name(value: Any) -> str:
    if not isinstance(value, str) or re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*", value) is None:
        raise ValueError
    return value.lower()


DomainName = _checked(str, 'a domain name such as "club.jd.com" (it and its subdomains)', _domain_name)


# ---------------------------------------------------------------------------------------------------------------
# Shipped platform profiles: profiles/<id>.toml is a platform table (name, URLs, render, selectors) for a real
# marketplace. A platform in config.toml that sets `preset = "<id>"` starts from it; its own keys replace the
# shipped ones, and its [platforms.X.profile.<page>] fields replace the shipped fields of that page one by one.
# A shipped file may itself start from another (tmall from taobao), so each shared selector is written once.

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
SHIPPED_PROFILES = tuple(sorted(path.stem for path in PROFILES_DIR.glob("*.toml")))


def _shipped_name(value: Any) -> str:
    if value not in SHIPPED_PROFILES:
        raise ValueError
    return value


ShippedName = _checked(str, f"one of the shipped profiles ({', '.join(SHIPPED_PROFILES)})", _shipped_name)


def over_preset(base: Mapping[str, Any], table: Mapping[str, Any]) -> dict[str, Any]:
    """Platform `table` over the platform table `base`: keys replace keys, except that the pages of `profile` merge
    field by field (a selector replaces a selector whole: css over a shipped json must not leave both)."""
    result = {**base, **table}
    base_pages, pages = base.get("profile"), table.get("profile")
    if isinstance(base_pages, Mapping) and isinstance(pages, Mapping):
        result["profile"] = {**base_pages, **{
            page: {**base_pages[page], **fields}
            if isinstance(fields, Mapping) and isinstance(base_pages.get(page), Mapping) else fields
            for page, fields in pages.items()}}
    return result


def shipped_table(name: str, _seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """The platform table of shipped profile `name`, with the shipped profile it starts from under it."""
    if name in _seen:
        raise ConfigError(f"{PROFILES_DIR / name}.toml: preset cycle {' -> '.join((*_seen, name))}")
    table = _read_toml(PROFILES_DIR / f"{name}.toml")
    parent = table.get("preset")
    if parent is not None:
        if parent not in SHIPPED_PROFILES:
            raise ConfigError(f"{PROFILES_DIR / name}.toml: preset: no shipped profile {_render(parent)}")
        table = over_preset(shipped_table(parent, (*_seen, name)), table)
    return {**table, "preset": name}


def _with_presets(data: Any) -> Any:
    """Config data whose platforms naming a valid preset stand on their shipped tables (an invalid name is left
    for validation to report at its key)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("platforms"), Mapping):
        return data
    platforms = {key: over_preset(shipped_table(table["preset"]), table)
                 if isinstance(table, Mapping) and table.get("preset") in SHIPPED_PROFILES else table
                 for key, table in data["platforms"].items()}
    return {**data, "platforms": platforms}


class Platform(_Model):
    name: Text                           # display name, e.g. "尚城"
    preset: ShippedName | None = None    # the shipped profile this platform starts from (profiles/<preset>.toml)
    base_url: BaseUrl | None = None      # relative URLs below (and in products) are appended to it
    render: Literal["http", "browser"] = "http"
    # The crawler requests only this platform's domains (base_url's and its other URLs', with subdomains) and
    # these, and never local or private addresses unless the platform is `local` (crawlers/url_policy.py).
    allowed_domains: tuple[DomainName, ...] = ()
    local: StrictBool = False
    demo_site: Literal["shangcheng", "laodian", "kuaigou"] | None = None
    encoding: Encoding | None = None     # hint for pages that mislabel their charset; also encodes search terms
    obey_robots: StrictBool | None = None  # None: crawl.obey_robots
    # Requests per second all crawl workers together may send to this platform (a token bucket in Redis, shared by
    # `agent.py worker`s); None: each worker paces itself as the embedded crawl does (crawl.download_delay_s).
    max_rps: Positive | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    proxy: ProxyUrl | None = None
    proxy_env: EnvName | None = None     # environment variable holding a proxy URL with credentials
    cookies_file: ExistingFile | None = None   # Netscape cookies.txt or a JSON cookie list, never cookie values
    storage_state: ExistingFile | None = None  # Playwright storage state (render = "browser")
    search_url: SearchUrl | None = None
    hot_url: HotUrl | None = None
    product_url: ProductUrl | None = None
    reviews_url: ReviewsUrl | None = None
    page_size: _number(ge=1, integer=True) | None = None  # entries per list page, for {offset} in the URLs above
    profile: SiteProfile = Field(default_factory=SiteProfile)

    @field_validator("headers")
    @classmethod
    def _no_secret_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        secret = sorted(name for name in headers if name.lower() in _SECRET_HEADERS)
        if secret:
            raise _secret(f"the {', '.join(secret)} header carries a secret and is never read from the config file: "
                          "use cookies_file or storage_state (paths)")
        return headers

    @model_validator(mode="after")
    def _one_proxy(self) -> Self:
        if self.proxy is not None and self.proxy_env is not None:
            raise _expected("at most one of proxy and proxy_env")
        return self

    @model_validator(mode="after")
    def _offset_needs_page_size(self) -> Self:
        if self.page_size is None and any("{offset}" in (url or "") for url in (self.search_url, self.reviews_url)):
            raise _expected("page_size with {offset} in search_url or reviews_url (the entries on one page)")
        return self

    def _page_fields(self, page: int) -> dict[str, int]:
        return {"page": page, "page0": page - 1, "offset": (page - 1) * (self.page_size or 0)}

    def resolve(self, url: str) -> str:
        """An absolute URL: `url` itself when absolute, else appended to base_url."""
        if urlsplit(url).scheme:
            return url
        if self.base_url is None:
            raise ValueError(f"{url!r} is relative and platform {self.name!r} has no base_url")
        return f"{self.base_url}/{url.lstrip('/')}"

    def search_page_url(self, keyword: str, page: int = 1) -> str:
        # Legacy GBK shops expect search terms percent-encoded in their own charset, as their own links are.
        term = quote(keyword, safe="", encoding=self.encoding or "utf-8")
        template = _required(self.search_url, "search_url")
        return self.resolve(template.format(keyword=term, **self._page_fields(page)))

    def hot_page_url(self) -> str:
        return self.resolve(_required(self.hot_url, "hot_url"))

    def product_page_url(self, item_id: str) -> str:
        return self.resolve(_required(self.product_url, "product_url").format(item_id=quote(item_id, safe="")))

    def reviews_page_url(self, item_id: str, page: int = 1) -> str:
        template = _required(self.reviews_url, "reviews_url")
        return self.resolve(template.format(item_id=quote(item_id, safe=""), **self._page_fields(page)))

    def numbers_pages(self, kind: str) -> bool:
        """Whether the URL of `kind` ("search" or "reviews") numbers its pages, so the page after page n can be
        requested by number when the profile reads no `next` link."""
        template = {"search": self.search_url, "reviews": self.reviews_url}.get(kind)
        return template is not None and any(f"{{{name}}}" in template for name in PAGE_PLACEHOLDERS)

    def proxy_url(self) -> str | None:
        """The proxy to use, read from proxy_env at call time when configured that way."""
        if self.proxy_env is not None:
            return _read_env(self.proxy_env, f"the proxy URL of platform {self.name!r}")
        return self.proxy


def _required(template: str | None, key: str) -> str:
    if template is None:
        raise ValueError(f"platform has no {key}")
    return template


class Keyword(_Model):
    term: Text
    platforms: tuple[Text, ...] = ()  # omitted: every platform with a search_url (filled in at load)
    top: _number(ge=1, le=200, integer=True) = 10  # how many top listings to track as competitors
    category: Text | None = None


class OwnProduct(_Model):
    platform: Text
    url: UrlOrPath
    cost: _number(ge=0)  # yuan per unit, landed
    band: Band           # allowed selling price [min, max], yuan
    safety_stock: _number(ge=0, integer=True)
    name: Text | None = None
    category: ProductCategory = "general"  # which compliance rules apply (美白 is lawful wording on cosmetics only)


class Competitor(_Model):
    platform: Text
    url: UrlOrPath
    name: Text | None = None


class Schedule(_Model):
    hot_terms: Interval = "1h"
    prices: Interval = "30m"      # own products, competitor URLs and keyword search results
    reviews: Interval = "2h"      # competitors' reviews
    own_reviews: Interval = "30m"  # own products' reviews; must beat thresholds.reviews.response_minutes
    retrain: Interval = "1d"      # how often the daemon looks for new rated reviews to retrain the sentiment model on
    retrain_min_new: _number(ge=0, integer=True) = 500  # ... and retrains when this many arrived; 0: never
    analysis_after_crawl: StrictBool = True
    digest: ClockTime = "08:30"   # local time of the daily digest e-mail
    timezone: TimeZoneName = "Asia/Shanghai"
    jitter: Duration = "5m"       # random delay added to each run, so runs do not hit sites on the dot
    platform_failure_alert: Count = 3  # a platform failing this many crawls in a row raises a system alert
    page_state_alert: Count = 3  # this many blocked (or layout-changed) pages of a kind in a row: a system alert

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def intervals(self) -> dict[str, timedelta]:
        return {"hot_terms": self.hot_terms, "prices": self.prices, "reviews": self.reviews,
                "own_reviews": self.own_reviews, "retrain": self.retrain}


class PriceThresholds(_Model):
    undercut_pct: Percent = 5.0         # a competitor priced this % or more below us
    move_pct: Percent = 10.0            # a competitor's price moving this % between observations
    debounce_observations: Count = 2    # consecutive observations a change must persist before it alerts
    min_abs_change: _number(ge=0) = 1.0  # yuan; smaller changes are noise whatever their percentage
    band_shift_pct: Percent = 10.0      # the keyword's competitor price band (median) moving this %


class ReviewThresholds(_Model):
    negative_max_stars: _number(ge=1, le=5, integer=True) = 2  # a review with this many stars or fewer is negative
    negative_score: Share = 0.4          # ... and so is one whose sentiment score is below this
    surge_window_reviews: Count = 20     # the negative share is measured over this many latest reviews
    surge_window_hours: Positive = 24.0   # ... posted within this many hours
    surge_share: Share = 0.30            # a negative share at or above this is a surge
    surge_z: Positive = 2.0               # ... as is a share this many standard deviations above the baseline
    response_minutes: Count = 60         # a negative review on an own product must be answered within this


class OpportunityThresholds(_Model):
    theme_share: Share = 0.30        # a pain-point theme (e.g. 质量差) in this share of competitors' reviews
    low_price_share: Share = 0.7     # share of top-N listings priced below the median of all listings
    min_reviews: Count = 20          # shares over fewer reviews are not trusted
    value_premium_pct: Percent = 30.0  # value pricing: suggested premium over the competitor median


class StockThresholds(_Model):
    safety_ratio: Share = 0.5           # alert when own stock falls below safety_ratio * safety_stock
    competitor_stockout: StrictBool = True  # alert when a tracked competitor sells out


class TrendThresholds(_Model):
    rank_jump: Count = 10                  # hot-term rank gained between two crawls
    heat_growth_pct: _number(gt=0) = 50.0  # hot-term heat growth between two crawls


def _replaced_severity_table(value: Any) -> None:
    if value is not None:
        raise _expected("no [thresholds.compliance.severity] table",
                        note="replaced: every lexicon rule now carries its own tier; set thresholds.compliance."
                             "alert_severity to the lowest tier that raises an own-listing alert")
    return None


class ComplianceThresholds(_Model):
    scan_own: StrictBool = True
    scan_competitors: StrictBool = True
    alert_severity: Severity = "warning"    # the lowest tier that raises an own-listing alert (or a competitor insight)
    competitor_severity: Severity = "info"  # competitors' violations are intelligence, not the operator's risk
    # The per-category table of earlier versions; kept only to say what replaced it.
    severity: Annotated[None, BeforeValidator(_replaced_severity_table)] = None


class UserTerm(_Model):
    """A term the operator adds to the lexicon ([compliance] add)."""

    term: Text
    family: Family
    severity: Severity
    suggestion: Text
    categories: tuple[ProductCategory, ...] = ()   # () = every product category


class ComplianceSettings(_Model):
    """The operator's dictionary over the shipped lexicon: terms added, and terms allowed (a brand name with 最)."""

    add: tuple[UserTerm, ...] = ()
    allow: tuple[Text, ...] = ()


class Thresholds(_Model):
    price: PriceThresholds = Field(default_factory=dict)
    reviews: ReviewThresholds = Field(default_factory=dict)
    opportunity: OpportunityThresholds = Field(default_factory=dict)
    stock: StockThresholds = Field(default_factory=dict)
    trends: TrendThresholds = Field(default_factory=dict)
    compliance: ComplianceThresholds = Field(default_factory=dict)


class Webhook(_Model):
    url_env: EnvName  # environment variable holding the (apprise) URL, which embeds a token

    def url(self) -> str:
        return _read_env(self.url_env, "a webhook URL")


GroupLabel = Literal["category", "kind", "severity", "subject"]  # alert fields a route can group by
"""`subject` is what an alert is about: a product id for product alerts, a keyword or a platform otherwise."""

RouteSend = Literal["auto", "immediate", "digest"]
"""How a route sends: `auto` follows alerts.digest and alerts.critical_immediate; the others fix it for the route."""


class AlertRoute(_Model):
    categories: tuple[RouteCategory, ...] = ("*",)
    min_severity: Severity = "info"
    recipients: tuple[Email, ...] = ()
    webhooks: tuple[Text, ...] = ()  # names of [alerts.webhooks.<name>] tables
    send: RouteSend = "auto"
    also_digest: StrictBool = False  # alerts this route sends at once are listed in the digest as well
    # Alertmanager's grouping: one message per group of alerts with the same values of these labels.
    group_by: tuple[GroupLabel, ...] = ("category", "subject")
    group_wait: Duration = "0s"        # a new group waits this long for more alerts before its first message
    group_interval: Duration = "5m"    # a group that was notified waits this long before sending its new alerts
    repeat_interval: Duration | None = None  # a re-raised alert (same dedup key) reaches this route's
    #                                           destinations at most this often; None: every re-raise

    @model_validator(mode="after")
    def _has_categories_and_destination(self) -> Self:
        if not self.categories:
            raise _expected("at least one category")
        if not self.recipients and not self.webhooks:
            raise _expected("at least one recipient or webhook")
        if self.also_digest and self.send == "digest":
            raise _expected("also_digest only with send = \"auto\" or \"immediate\"",
                            "a route that sends to the digest already lists its alerts there")
        if len(set(self.group_by)) != len(self.group_by):
            raise _expected("group_by naming each label once")
        return self

    def matches(self, category: str, severity: Severity) -> bool:
        wanted = "*" in self.categories or category in self.categories
        return wanted and at_least(severity, self.min_severity)


class AlertSettings(_Model):
    cooldown: Duration = "6h"           # the same alert (dedup key) is not sent again within this
    digest: StrictBool = True           # one message per recipient: at the end of a scan, at schedule.digest in the daemon
    critical_immediate: StrictBool = True  # routes with send = "auto": critical alerts go at once instead of the digest
    webhooks: dict[str, Webhook] = Field(default_factory=dict)
    routes: tuple[AlertRoute, ...] = ()


class SmtpSettings(_Model):
    host: HostName = ""  # "" = the demo's local SMTP capture
    port: _number(ge=1, le=65535, integer=True) = 587
    security: Literal["plain", "starttls", "ssl"] = "starttls"
    username: str = ""  # "" = no login
    password_env: EnvName = "SHOPSENTINEL_SMTP_PASSWORD"
    from_addr: Email = "shopsentinel@example.com"
    timeout_s: Positive = 30.0

    @property
    def uses_demo_capture(self) -> bool:
        return not self.host

    def password(self) -> str | None:
        """The login password from password_env, read now; None when no login is configured."""
        if not self.username:
            return None
        return _read_env(self.password_env, f"the SMTP password for {self.username}")


def _listen_host(value: Any) -> str:
    import ipaddress

    text = _text(value)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", text) is None:
            raise
    return text


ListenHost = _checked(str, 'an address to listen on such as "127.0.0.1"', _listen_host)
ConsoleUrl = _checked(str, '"" or the console\'s public http(s) URL such as "https://ops.example.com"',
                      lambda value: "" if value == "" else _base_url(value))
MIN_SECRET_CHARS = 32


class WebSettings(_Model):
    """The operator console (`agent.py serve`, web/)."""

    host: ListenHost = "127.0.0.1"  # loopback: operators reach it through a reverse proxy with TLS
    port: _number(ge=1, le=65535, integer=True) = 8780
    base_url: ConsoleUrl = ""   # the address operators open, e.g. "https://ops.example.com" (for alert e-mails' links)
    secret_env: EnvName = "SHOPSENTINEL_WEB_SECRET"  # the variable holding the key that signs session cookies
    session_lifetime: Interval = "12h"  # a sign-in ends after this long without a click (each page renews it)
    login_failures: Count = 5   # wrong passwords for one user name within login_window before sign-in waits
    login_failures_per_address: Count = 20  # ... and from one client address, whatever the names tried
    login_window: Interval = "15m"

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS once the console is published at an https address."""
        return self.base_url.startswith("https://")

    def secret(self) -> str:
        """The session-signing key from secret_env, read now; a short key is refused (it could be guessed)."""
        value = _read_env(self.secret_env, f"a random key of at least {MIN_SECRET_CHARS} characters that signs the "
                                           "console's session cookies (e.g. from `openssl rand -hex 32`)")
        if len(value) < MIN_SECRET_CHARS:
            raise ConfigError(f"environment variable {self.secret_env} holds {len(value)} characters; the key that "
                              f"signs session cookies needs at least {MIN_SECRET_CHARS}")
        return value


def _keywords_default_to_searchable_platforms(data: Any) -> Any:
    if not isinstance(data, Mapping) or not isinstance(data.get("platforms"), Mapping):
        return data
    keywords = data.get("keywords")
    if not isinstance(keywords, list):
        return data
    searchable = [key for key, platform in data["platforms"].items()
                  if isinstance(platform, Mapping) and "search_url" in platform]
    filled = [{**kw, "platforms": searchable} if isinstance(kw, Mapping) and "platforms" not in kw else kw
              for kw in keywords]
    return {**data, "keywords": filled}


class Config(_Model):
    locale: LocaleName = i18n.DEFAULT_LOCALE  # the language of e-mails, reports and the CLI (`--lang` overrides)
    store: StoreSettings = Field(default_factory=dict)
    paths: PathSettings = Field(default_factory=dict)
    crawl: CrawlSettings = Field(default_factory=dict)
    platforms: dict[str, Platform] = Field(min_length=1)
    keywords: tuple[Keyword, ...] = ()
    own_products: tuple[OwnProduct, ...] = ()
    competitors: tuple[Competitor, ...] = ()
    schedule: Schedule = Field(default_factory=dict)
    thresholds: Thresholds = Field(default_factory=dict)
    alerts: AlertSettings = Field(default_factory=dict)
    smtp: SmtpSettings = Field(default_factory=dict)
    web: WebSettings = Field(default_factory=dict)
    compliance: ComplianceSettings = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _presets_then_keyword_platforms(cls, data: Any) -> Any:
        return _keywords_default_to_searchable_platforms(_with_presets(data))

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        problems = list(_cross_problems(self))
        if problems:
            raise PydanticCustomError("problems", "{problems}", {"problems": problems})
        return self

    def own_product_url(self, product: OwnProduct) -> str:
        return self.platforms[product.platform].resolve(product.url)

    def competitor_url(self, competitor: Competitor) -> str:
        return self.platforms[competitor.platform].resolve(competitor.url)

    def obeys_robots(self, platform: str) -> bool:
        override = self.platforms[platform].obey_robots
        return self.crawl.obey_robots if override is None else override


# ---------------------------------------------------------------------------------------------------------------
# Checks across sections. Each yields (key path, "expected ..., got ...").

Problem = tuple[tuple[str | int, ...], str]


def _cross_problems(config: Config) -> Iterator[Problem]:
    yield from _platform_problems(config)
    yield from _keyword_problems(config)
    yield from _listing_problems(config, "own_products", config.own_products)
    yield from _listing_problems(config, "competitors", config.competitors)
    yield from _own_product_problems(config)
    yield from _compliance_problems(config)
    yield from _schedule_problems(config)
    yield from _route_problems(config)


def _platform_choice(config: Config, got: str) -> str:
    return f"one of the configured platforms ({', '.join(config.platforms)}), got {_render(got)}"


def _platform_problems(config: Config) -> Iterator[Problem]:
    for key, platform in config.platforms.items():
        if platform.base_url is None:
            for name in ("search_url", "hot_url", "product_url", "reviews_url"):
                template = getattr(platform, name)
                if template is not None and not urlsplit(template).scheme:
                    yield ("platforms", key, name), f"expected an absolute URL because base_url is not set, " \
                                                    f"got {_render(template)}"
        if platform.render != "browser":
            for page, profile in platform.profile.pages().items():
                if profile.steps:
                    yield (("platforms", key, "profile", page, "steps"),
                           'expected no browser steps because render = "http" (steps need render = "browser")')


def _keyword_problems(config: Config) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, keyword in enumerate(config.keywords):
        if keyword.term in seen:
            yield ("keywords", i, "term"), f"expected each term once, got {_render(keyword.term)} again"
        seen.add(keyword.term)
        if not keyword.platforms:
            yield ("keywords", i, "platforms"), "expected at least one platform with a search_url, got []"
        for j, name in enumerate(keyword.platforms):
            if name not in config.platforms:
                yield ("keywords", i, "platforms", j), f"expected {_platform_choice(config, name)}"
            elif config.platforms[name].search_url is None:
                yield ("keywords", i, "platforms", j), \
                    f"expected a platform with a search_url, got {_render(name)} (set platforms.{name}.search_url)"


def _listing_problems(config: Config, section: str,
                      listings: tuple[OwnProduct | Competitor, ...]) -> Iterator[Problem]:
    seen: set[tuple[str, str]] = set()
    for i, listing in enumerate(listings):
        platform = config.platforms.get(listing.platform)
        if platform is None:
            yield (section, i, "platform"), f"expected {_platform_choice(config, listing.platform)}"
            continue
        if platform.base_url is None and not urlsplit(listing.url).scheme:
            yield (section, i, "url"), (f"expected an absolute URL because platforms.{listing.platform}.base_url "
                                        f"is not set, got {_render(listing.url)}")
            continue
        url = platform.resolve(listing.url)
        if (listing.platform, url) in seen:
            yield (section, i, "url"), f"expected each URL once, got {_render(listing.url)} again"
        seen.add((listing.platform, url))


def _own_product_problems(config: Config) -> Iterator[Problem]:
    for i, product in enumerate(config.own_products):
        if product.cost >= product.band[1]:
            yield ("own_products", i, "cost"), \
                f"expected a cost below the band's max ({product.band[1]:g}), got {product.cost:g}"


def _compliance_problems(config: Config) -> Iterator[Problem]:
    added: set[str] = set()
    for i, entry in enumerate(config.compliance.add):
        if entry.term in added:
            yield ("compliance", "add", i, "term"), f"expected each term once, got {_render(entry.term)} again"
        added.add(entry.term)
    allowed: set[str] = set()
    for i, term in enumerate(config.compliance.allow):
        if term in allowed:
            yield ("compliance", "allow", i), f"expected each term once, got {_render(term)} again"
        elif term in added:
            yield ("compliance", "allow", i), f"expected a term not also in compliance.add, got {_render(term)}"
        allowed.add(term)


def _schedule_problems(config: Config) -> Iterator[Problem]:
    schedule = config.schedule
    crawls = {job: interval for job, interval in schedule.intervals().items() if job != "retrain"}  # unjittered
    name, shortest = min(crawls.items(), key=lambda item: item[1])
    if schedule.jitter >= shortest:
        yield ("schedule", "jitter"), (f"expected a jitter shorter than the shortest interval ({name} = "
                                       f"\"{format_duration(shortest)}\"), got \"{format_duration(schedule.jitter)}\"")
    respond_within = timedelta(minutes=config.thresholds.reviews.response_minutes)
    if schedule.own_reviews + schedule.jitter > respond_within:
        yield ("schedule", "own_reviews"), (
            f"expected own_reviews plus jitter to fit within thresholds.reviews.response_minutes "
            f"({config.thresholds.reviews.response_minutes}), so a negative review is seen in time to answer it, "
            f"got \"{format_duration(schedule.own_reviews)}\" + \"{format_duration(schedule.jitter)}\"")


def _route_problems(config: Config) -> Iterator[Problem]:
    known = ", ".join(config.alerts.webhooks) or "none configured"
    for i, route in enumerate(config.alerts.routes):
        for j, name in enumerate(route.webhooks):
            if name in config.alerts.webhooks:
                continue
            # A URL here most likely carries a token: say so without echoing it.
            got = ("a URL (webhook URLs carry tokens: put the URL in an environment variable and name it in "
                   "[alerts.webhooks.<name>] url_env)") if "://" in name else _render(name)
            yield ("alerts", "routes", i, "webhooks", j), \
                f"expected the name of an [alerts.webhooks.<name>] table ({known}), got {got}"


# ---------------------------------------------------------------------------------------------------------------
# Loading and error messages


def load_config(path: str | Path = "config.toml", *, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read and validate a config file; relative paths in it are taken from the file's folder.

    `overrides` are nested tables merged over the file's before validation, key by key (e.g. the demo's
    `{"crawl": {"download_delay_s": 0}}`), so an override is validated and named in errors like the file's keys.
    """
    path = Path(path)
    data = _read_toml(path)
    if overrides:
        data = merged(data, overrides)
    return config_from_dict(data, base_dir=path.resolve().parent, source=str(path))


def merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` merged in: tables merge recursively, any other value replaces."""
    result = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def config_from_dict(data: Mapping[str, Any], *, base_dir: str | Path, source: str = "<config>") -> Config:
    """Validate already-parsed TOML data; `source` names it in error messages."""
    try:
        return Config.model_validate(data, context={"base_dir": Path(base_dir)})
    except ValidationError as exc:
        raise ConfigError("\n".join(_error_lines(source, exc))) from None


def shipped_platform(name: str) -> Platform:
    """Shipped profile `name` as a platform of its own, e.g. to read saved pages of a marketplace not configured."""
    source = f"{PROFILES_DIR / name}.toml"
    try:
        return Platform.model_validate(shipped_table(name), context={"base_dir": PROFILES_DIR})
    except ValidationError as exc:
        raise ConfigError("\n".join(_error_lines(source, exc))) from None


def with_demo_urls(config: Config, urls: Mapping[str, str]) -> Config:
    """A copy whose demo-backed platforms point at `urls` (demo site key -> base URL), e.g. free test ports.

    Own-product and competitor URLs given as paths follow automatically, being resolved against base_url.
    """
    platforms = dict(config.platforms)
    for key, platform in config.platforms.items():
        if platform.demo_site is None:
            continue
        if platform.demo_site not in urls:
            raise ConfigError(f"platforms.{key}.demo_site: no demo URL given for {_render(platform.demo_site)} "
                              f"(given: {', '.join(urls) or 'none'})")
        try:
            base_url = _base_url(urls[platform.demo_site])
        except (TypeError, ValueError):
            raise ConfigError(f"demo URL for {_render(platform.demo_site)}: expected an http(s) URL, "
                              f"got {_render(urls[platform.demo_site])}") from None
        platforms[key] = platform.model_copy(update={"base_url": base_url})
    return config.model_copy(update={"platforms": platforms})


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (looked in {path.resolve().parent})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: expected UTF-8 text, got an undecodable byte at offset {exc.start}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_syntax_message(path, str(exc))) from None


def _toml_syntax_message(path: Path, message: str) -> str:
    # Python 3.11's TOMLDecodeError has no line attributes; the position is only in its message.
    position = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if position is not None:
        return (f"{path}: line {position[1]}, column {position[2]}: invalid TOML: "
                f"{message[:position.start()]}")
    return f"{path}: invalid TOML: {message.replace(' (at end of document)', ' at the end of the file')}"


def _error_lines(source: str, exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        if error["type"] == "problems":
            lines += [f"{source}: {_format_loc(loc)}: {text}" for loc, text in error["ctx"]["problems"]]
        else:
            lines.append(f"{source}: {_format_loc(error['loc'])}: {_explain(error)}")
    return lines


def _explain(error: Mapping[str, Any]) -> str:
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx", {})
    if kind == "secret":
        return ctx["message"]
    if kind == "extra_forbidden":
        return _explain_unknown_key(loc)
    if kind == "missing":
        expectation = _describe_at(loc)
        return "missing required key" + (f", expected {expectation}" if expectation else "")
    if kind == "expected":
        expectation = ctx["expected"]
    elif kind == "too_short":
        expectation = f"at least {ctx['min_length']} entr{'y' if ctx['min_length'] == 1 else 'ies'}"
    else:
        expectation = _describe_at(loc) or error["msg"]
    note = f" ({ctx['note']})" if ctx.get("note") else ""
    return f"expected {expectation}, got {_render(error['input'])}{note}"


def _explain_unknown_key(loc: tuple[str | int, ...]) -> str:
    key = str(loc[-1])
    model = _unwrap(_type_at(loc[:-1])[0])[0]
    known = list(_fields_by_key(model)) if _is_model(model) else []
    if f"{key}_env" in known:
        return (f"secrets are never read from the config file: put the value in an environment variable and set "
                f"{key}_env to that variable's name")
    if f"{key}_file" in known:
        return f"{key} are never kept in the config file: save them to a file and set {key}_file to its path"
    if re.search(r"(^|_)pass(word|wd)?$|secret|token|api_?key", key, re.IGNORECASE):
        return "secrets are never read from the config file: keep them in environment variables"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean \"{close[0]}\"?)"
    return f"unknown key, expected one of: {', '.join(known)}" if known else "unknown key"


def _format_loc(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part, ensure_ascii=False)
            text += f".{name}" if text else name
    return text or "(top level)"


def _render(value: Any, limit: int = 80) -> str:
    """A value as it would appear in TOML, shortened: what the user wrote, for "got ..."."""
    text = _render_full(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _render_full(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_render_full(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{key} = {_render_full(item)}" for key, item in value.items()) + " }"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


# The error formatter walks the model types along an error's key path to describe what belongs there (for missing
# keys and plain type errors) and which keys a table accepts (for unknown keys).


def _type_at(loc: tuple[str | int, ...]) -> tuple[Any, tuple[Any, ...]]:
    """The annotation and metadata of the value at `loc` under Config, or (None, ()) if the path leaves the schema."""
    annotation: Any = Config
    metadata: tuple[Any, ...] = ()
    for part in loc:
        annotation, metadata = _unwrap(annotation, metadata)
        origin = get_origin(annotation)
        if _is_model(annotation) and isinstance(part, str):
            field = _fields_by_key(annotation).get(part)
            if field is None:
                extra = getattr(annotation, "__annotations__", {}).get("__pydantic_extra__")
                if extra is None:
                    return None, ()
                annotation, metadata = get_args(extra)[1], ()
            else:
                annotation, metadata = field.annotation, tuple(field.metadata)
        elif origin in (list, tuple) and isinstance(part, int):
            annotation, metadata = get_args(annotation)[0], ()
        elif origin is dict and isinstance(part, str):
            annotation, metadata = get_args(annotation)[1], ()
        else:
            return None, ()
    return annotation, metadata


def _unwrap(annotation: Any, metadata: tuple[Any, ...] = ()) -> tuple[Any, tuple[Any, ...]]:
    """Strip Annotated (keeping its metadata) and `| None`."""
    while True:
        if get_origin(annotation) is Annotated:
            metadata = metadata + annotation.__metadata__
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, UnionType):
            members = [arg for arg in get_args(annotation) if arg is not NoneType]
            if len(members) != 1:
                return annotation, metadata
            annotation = members[0]
        else:
            return annotation, metadata


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _fields_by_key(model: type[BaseModel]) -> dict[str, Any]:
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _describe_at(loc: tuple[str | int, ...]) -> str | None:
    annotation, metadata = _unwrap(*_type_at(loc))
    for item in metadata:
        if isinstance(item, _Expect):
            return item.text
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(_render(choice) for choice in get_args(annotation))
    if get_origin(annotation) in (list, tuple):
        return "a list"
    if get_origin(annotation) is dict or _is_model(annotation):
        return "a table"
    return {bool: "true or false", str: "a string", int: "an integer", float: "a number"}.get(annotation)
