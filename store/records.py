"""Typed records: what the stages hand to the store, and the rows they get back.

Input records validate themselves when built, so a bad item fails in the stage that made it, with a message
saying which rule it broke, instead of surfacing later as a puzzling SQL error or, worse, as a stored zero.
Row classes extend an input record with what the store added (ids, timestamps); they are frozen snapshots.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping, TypeVar

from i18n import Message
from store.errors import InvalidRecordError
from store.timestamps import to_db_day_or_time

AVAILABILITY = ("InStock", "OutOfStock")
RUN_STATUSES = ("running", "ok", "failed", "interrupted")
ALERT_STATES = ("new", "sent", "acknowledged", "resolved")
SEVERITIES = ("info", "warning", "critical")

Amount = float | Decimal
"""Money in yuan: a float, or a Decimal as price-parser returns it (stored, and read back, as a float)."""


RowT = TypeVar("RowT")


def from_columns(cls: type[RowT], columns: Mapping[str, Any], **converted: Any) -> RowT:
    """Build a row record from a query's columns: `converted` replaces raw values (timestamps, JSON, flags),
    and columns the record does not know (added by a later migration) are ignored, so old readers keep
    working on a newer schema."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    return cls(**{name: converted[name] if name in converted else columns[name] for name in names})


def _set(record: object, name: str, value: object) -> None:
    object.__setattr__(record, name, value)


def _check_text(record: object, name: str, *, required: bool) -> None:
    value = getattr(record, name)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise InvalidRecordError(f"{type(record).__name__}.{name} must be a non-empty string, got {value!r}")


def _check_wording(record: object, name: str, *, required: bool) -> None:
    """Text a person reads: a Message with a msgid, or a non-empty string."""
    value = getattr(record, name)
    if isinstance(value, Message):
        if not value.msgid.strip():
            raise InvalidRecordError(f"{type(record).__name__}.{name} is a Message without a msgid: {value!r}")
        return
    _check_text(record, name, required=required)


def _check_amount(record: object, name: str, *, required: bool = False) -> None:
    """Amounts (prices, costs, ratings, heat) are finite non-negative floats; Decimal and int are converted."""
    value = getattr(record, name)
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidRecordError(f"{type(record).__name__}.{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise InvalidRecordError(f"{type(record).__name__}.{name} must be finite and >= 0, got {value!r}")
    _set(record, name, number)


def _check_count(record: object, name: str, *, minimum: int = 0, required: bool = False) -> None:
    value = getattr(record, name)
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidRecordError(f"{type(record).__name__}.{name} must be an integer >= {minimum}, got {value!r}")


def _check_choice(record: object, name: str, allowed: tuple[str, ...], *, required: bool = False) -> None:
    value = getattr(record, name)
    if value is None and not required:
        return
    if value not in allowed:
        raise InvalidRecordError(f"{type(record).__name__}.{name} must be one of {allowed}, got {value!r}")


def _check_moment(record: object, name: str) -> None:
    value = getattr(record, name)
    if value is None:
        return
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidRecordError(
            f"{type(record).__name__}.{name} must be a timezone-aware datetime, got {value!r}"
        )


def _check_flag(record: object, name: str) -> None:
    value = getattr(record, name)
    if value is not None and not isinstance(value, bool):
        raise InvalidRecordError(f"{type(record).__name__}.{name} must be True, False or None, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class ProductRecord:
    """A listing as a crawler (or the operator's config) sees it.

    Identity is (platform, item_id) when the item id is known, else the url. Any other field left None means
    "not known this time": an upsert keeps the stored value rather than erasing it.
    """

    platform: str
    url: str
    item_id: str | None = None
    title: str | None = None
    description: str | None = None
    shop: str | None = None
    category: str | None = None
    own: bool | None = None
    cost: Amount | None = None
    band_min: Amount | None = None
    band_max: Amount | None = None
    safety_stock: int | None = None
    seen_at: datetime | None = None

    def __post_init__(self) -> None:
        _check_text(self, "platform", required=True)
        _check_text(self, "url", required=True)
        for name in ("item_id", "title", "description", "shop", "category"):
            _check_text(self, name, required=False)
        _check_flag(self, "own")
        for name in ("cost", "band_min", "band_max"):
            _check_amount(self, name)
        _check_count(self, "safety_stock")
        _check_moment(self, "seen_at")
        if self.band_min is not None and self.band_max is not None and self.band_min > self.band_max:
            raise InvalidRecordError(f"ProductRecord band_min {self.band_min} > band_max {self.band_max}")


@dataclass(frozen=True, kw_only=True)
class ProductRow:
    """A stored product."""

    id: int
    platform: str
    url: str
    item_id: str | None
    title: str | None
    description: str | None
    shop: str | None
    category: str | None
    own: bool
    cost: float | None
    band_min: float | None
    band_max: float | None
    safety_stock: int | None
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, kw_only=True)
class PriceObservation:
    """One product page's prices and stock at one moment.

    Only pages that yielded a price become observations: `price` is required, and None is refused rather
    than stored as 0, which a price-band monitor would read as a real (disastrous) price. Pages without a
    price are counted in the crawl run's stats instead. `rule` names the extraction rule that found the price.
    """

    price: Amount
    observed_at: datetime | None = None
    price_max: Amount | None = None
    list_price: Amount | None = None
    promo_price: Amount | None = None
    currency: str = "CNY"
    stock: int | None = None
    availability: str | None = None
    monthly_sales: int | None = None
    rating: float | None = None
    review_count: int | None = None
    rule: str | None = None

    def __post_init__(self) -> None:
        if self.price is None:
            raise InvalidRecordError(
                "PriceObservation.price is None: store an observation only for a page that yielded a price "
                "(count the page as incomplete in the run stats instead)"
            )
        _check_amount(self, "price", required=True)
        for name in ("price_max", "list_price", "promo_price", "rating"):
            _check_amount(self, name)
        _check_text(self, "currency", required=True)
        for name in ("stock", "monthly_sales", "review_count"):
            _check_count(self, name)
        _check_choice(self, "availability", AVAILABILITY)
        _check_text(self, "rule", required=False)
        _check_moment(self, "observed_at")
        if self.price_max is not None and self.price_max < self.price:
            raise InvalidRecordError(f"PriceObservation.price_max {self.price_max} < price {self.price}")


@dataclass(frozen=True, kw_only=True)
class PriceRow(PriceObservation):
    """A stored price observation."""

    id: int
    product_id: int
    run_id: int | None
    observed_at: datetime


@dataclass(frozen=True, kw_only=True)
class ReviewRecord:
    """A review as crawled. `review_id` is the platform's id when the page shows one (it drives dedup).
    `append` is the buyer's follow-up review (追评) when the page shows one; it is not part of the dedup key,
    so a review re-crawled with a follow-up it lacked before is the same review, given its follow-up."""

    text: str
    review_id: str | None = None
    rating: float | None = None
    sku: str | None = None
    posted_at: datetime | date | None = None
    append: str | None = None

    def __post_init__(self) -> None:
        _check_text(self, "text", required=True)
        _check_text(self, "review_id", required=False)
        _check_text(self, "append", required=False)
        _check_amount(self, "rating")
        _check_text(self, "sku", required=False)
        if isinstance(self.posted_at, datetime):
            _check_moment(self, "posted_at")
        elif self.posted_at is not None and not isinstance(self.posted_at, date):
            raise InvalidRecordError(f"ReviewRecord.posted_at must be a datetime or date, got {self.posted_at!r}")


@dataclass(frozen=True, kw_only=True)
class ReviewRow(ReviewRecord):
    """A stored review. Later migrations add NLP columns; their values will appear as new fields here."""

    id: int
    product_id: int
    platform: str
    review_key: str
    crawled_at: datetime
    run_id: int | None
    sentiment_score: float | None = None   # probability the review is positive, from `sentiment_model`
    sentiment_label: str | None = None     # "pos" | "neg"
    sentiment_model: str | None = None
    append_crawled_at: datetime | None = None  # when the follow-up was first stored, and by which run
    append_run_id: int | None = None
    append_sentiment_score: float | None = None  # the follow-up's own score, from `sentiment_model`


def normalise_review_text(text: str) -> str:
    """Width-fold (NFKC) and collapse whitespace, so re-crawls that differ only in layout hash alike."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def review_key(platform: str, product_id: int, review: ReviewRecord) -> str:
    """The dedup key of a review of the stored product `product_id`.

    With a platform review id: "platform:review_id". Without one: "sha1:" + the SHA-1 of platform, product,
    normalised text and posting time, so the same review crawled twice is stored once, while the same text
    posted on another day or for another product stays a separate review. The stored product id stands for
    the item because it survives the product's url changing or its item id becoming known later.
    """
    if review.review_id is not None:
        return f"{platform}:{review.review_id}"
    posted = "" if review.posted_at is None else to_db_day_or_time(review.posted_at, "ReviewRecord.posted_at")
    material = "\x1f".join((platform, str(product_id), normalise_review_text(review.text), posted))
    return "sha1:" + hashlib.sha1(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class HotTermRecord:
    """One entry of a platform's hot-search list."""

    rank: int
    term: str
    heat: float | None = None
    rising: bool | None = None

    def __post_init__(self) -> None:
        _check_count(self, "rank", minimum=1, required=True)
        _check_text(self, "term", required=True)
        _check_amount(self, "heat")
        _check_flag(self, "rising")


@dataclass(frozen=True, kw_only=True)
class HotTermRow(HotTermRecord):
    """A stored hot-term entry; entries sharing platform and observed_at form one snapshot."""

    id: int
    platform: str
    run_id: int | None
    observed_at: datetime


@dataclass(frozen=True, kw_only=True)
class SearchHit:
    """A keyword search returned the (already upserted) product `product_id` at `rank` (1 = first)."""

    rank: int
    product_id: int

    def __post_init__(self) -> None:
        _check_count(self, "rank", minimum=1, required=True)
        _check_count(self, "product_id", minimum=1, required=True)


@dataclass(frozen=True, kw_only=True)
class SearchResultRow(SearchHit):
    """A stored search hit; hits sharing platform, keyword and observed_at form one result page."""

    id: int
    platform: str
    keyword: str
    run_id: int | None
    observed_at: datetime


@dataclass(frozen=True, kw_only=True)
class RunRow:
    """A stored crawl run. `stats` and `errors` are the JSON the run finished with ({} and [] until then)."""

    id: int
    kind: str
    platform: str | None
    started_at: datetime
    ended_at: datetime | None
    status: str
    pid: int | None
    stats: dict[str, Any]
    errors: list[Any]


@dataclass(frozen=True, kw_only=True)
class AlertRecord:
    """An alert a monitor raises. `subject` is what it is about (a product id or a keyword, as text);
    `dedup_key` lets the outbox recognise the same alert raised again.

    `title`, `body` and `suggestion` are what a person reads: Messages (i18n.N_) rendered in the reader's language
    with `str()`, or plain text (alerts stored before messages were, and text that needs no translation)."""

    dedup_key: str
    kind: str
    severity: str
    title: Message | str
    subject: str | None = None
    category: str | None = None
    body: Message | str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    suggestion: Message | str | None = None

    def __post_init__(self) -> None:
        for name in ("dedup_key", "kind"):
            _check_text(self, name, required=True)
        _check_wording(self, "title", required=True)
        _check_choice(self, "severity", SEVERITIES, required=True)
        for name in ("subject", "category"):
            _check_text(self, name, required=False)
        _check_wording(self, "suggestion", required=False)
        if not isinstance(self.body, Message | str):
            raise InvalidRecordError(f"AlertRecord.body must be a Message or a string, got {self.body!r}")
        if not isinstance(self.evidence, Mapping):
            raise InvalidRecordError(f"AlertRecord.evidence must be a mapping, got {self.evidence!r}")


@dataclass(frozen=True, kw_only=True)
class AlertRow(AlertRecord):
    """A stored alert with its delivery bookkeeping."""

    id: int
    state: str
    created_at: datetime
    updated_at: datetime
    delivery_attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None


ALERT_ACTIONS = ("acknowledged", "resolved", "note")


@dataclass(frozen=True, kw_only=True)
class AlertEventRow:
    """One thing a person did to an alert: acknowledged or resolved it, or wrote a note. `actor` is the console
    user's name; None for a change made on the command line."""

    id: int
    alert_id: int
    action: str
    actor: str | None
    note: str | None
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ReviewThemeRecord:
    """A pain point found in a review: its theme (e.g. 质量) and the (aspect, opinion) pair and clause behind it."""

    theme: str
    aspect: str | None = None
    opinion: str | None = None
    clause: str | None = None

    def __post_init__(self) -> None:
        _check_text(self, "theme", required=True)


@dataclass(frozen=True, kw_only=True)
class ReviewThemeRow(ReviewThemeRecord):
    id: int
    review_id: int
    analysed_at: datetime


@dataclass(frozen=True, kw_only=True)
class InsightRow:
    """A standing finding that is not an alarm (e.g. a differentiation opportunity), kept current by subject."""

    id: int
    kind: str
    subject: str
    platform: str | None
    keyword: str | None
    product_id: int | None
    detail: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
