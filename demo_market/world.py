"""The demo marketplace's world: products, reviews, hot searches and a scripted scenario, all generated
deterministically from (seed, scale).

The HTTP server renders this world as three shops; benchmarks and tests score crawlers and NLP against
`World.ground_truth`. Everything is a pure function of (seed, scale, step): randomness comes from
`random.Random` instances seeded with strings naming what they decide (e.g. "2026:step:laodian:880001:7"),
so the value of one product at one step never depends on which other questions were asked before.

Step 0 (listings and their review history) is built eagerly. Later steps are derived lazily, one step from
the previous one, and cached per product, because the server asks for arbitrary steps per request and a
soak test may run far beyond any horizon we would precompute.
"""

from __future__ import annotations

import functools
import math
import random
import threading
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from statistics import NormalDist

from demo_market.content import (
    CATEGORY_CONTENT,
    CLOSERS_NEG,
    CLOSERS_NEUTRAL,
    CLOSERS_POS,
    DEFAULT_REVIEWS,
    EMOJI_NEG,
    EMOJI_POS,
    ENDINGS_NEG,
    ENDINGS_POS,
    FOLLOWUP_POS,
    GENERIC_PRAISE,
    MIXED_JOINERS,
    OPENERS_ANY,
    OPENERS_NEG,
    OPENERS_PLATFORM,
    OPENERS_POS,
    OWN_BRAND,
    OWN_PRODUCT_SPECS,
    OWN_SHOP,
    PET_WORDS,
    SHOP_SECTOR_WORDS,
    SHOP_SUFFIXES,
    SHOP_SYLLABLES,
    SHORT_NEG,
    SHORT_NEUTRAL,
    SHORT_POS,
    TIME_PHRASES,
    TITLE_ENDINGS,
    TITLE_PREFIXES,
    CategoryContent,
    OwnProductSpec,
)
from demo_market.model import (
    PLATFORMS,
    Category,
    Event,
    HotTerm,
    Product,
    ProductState,
    Review,
    Sku,
    Violation,
)

STEP_HOURS = 6
EPOCH = datetime(2026, 11, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
MAX_STEP = 99_999  # review ids reserve five digits for the step
OWN_PRODUCTS: tuple[tuple[str, str], ...] = tuple((s.platform, s.item_id) for s in OWN_PRODUCT_SPECS)

# Competitors per platform and category at scale 1.0 (own products come on top).
COMPETITORS: dict[str, dict[str, int]] = {
    "shangcheng": {"camping_chair": 26, "pet_fountain": 24, "power_bank": 20, "data_cable": 15, "meal_replacement": 18},
    "laodian": {"camping_chair": 24, "pet_fountain": 18, "power_bank": 24, "data_cable": 22, "meal_replacement": 15},
    "kuaigou": {"camping_chair": 18, "pet_fountain": 24, "power_bank": 16, "data_cable": 12, "meal_replacement": 33},
}
PLATFORM_PRICE_LEVEL = {"shangcheng": 1.0, "laodian": 0.82, "kuaigou": 0.95}
VIOLATION_SHARE = 0.2
TRICKY_SHARE = 0.1
HISTORY_DAYS = 90           # step-0 reviews are spread over this many days before the epoch
DRIFT_PROBABILITY = 0.04    # chance per step that a drifting competitor reprices
# The warm-up to 双十一 (11 November, ten days after the epoch): from the morning of day two, some competitors cut
# their price once, on a morning of their choosing, and keep the cut. Drawn from Randoms of their own, so nothing
# else in the world changes; the scripted competitors (undercut, jitter) and our own products take no part.
PROMO_SHARE = 0.35          # share of the other competitors that join
PROMO_STARTS = (8, 12, 16, 20)   # the steps (mornings of days two to five) a promotion may begin
PROMO_CUT = (0.08, 0.2)     # how much cheaper, as a share of the price

# The scripted scenario.
UNDERCUT_KEYWORD = "露营椅"
BELOW_COST_PRICE = 39.9
LOW_STOCK_AFTER = 86        # SC10002 stock from step 1 (safety stock 200)
LOW_STOCK_FLOOR = 30        # SC10002 is never replenished but keeps this reserve
LOW_STOCK_ITEM, BELOW_COST_ITEM, BURST_ITEM = "SC10002", "880002", "7100000001"
# At step 1 one of our own clean listings gets a banned word written into its title, right after the brand, as a
# seller chasing clicks would; the edit stands (fixing it is the operator's job, not the marketplace's).
# 880001 has no other scripted incident, so its compliance alert is the only news about it.
TITLE_EDIT_ITEM = "880001"
TITLE_EDIT_UNIT = ("国家级品质", "国家级", "absolute")   # (inserted text, the breach in it, its category)
BURST_THEMES: tuple[tuple[str, ...], ...] = (
    ("安全",), ("安全",), ("安全",), ("安全",), ("安全",), ("噪音",), ("噪音",), ("安全", "噪音"))
OWN_NEGATIVE_SHARE = 0.05   # own products are good: few negative reviews, before and during the scenario
ROLES: dict[tuple[str, str, int], str] = {   # (platform, category, competitor slot) -> scripted role
    ("shangcheng", "camping_chair", 0): "undercut",
    ("shangcheng", "camping_chair", 1): "jitter",
    ("shangcheng", "pet_fountain", 0): "jitter",
    ("laodian", "camping_chair", 0): "stock_out",
    ("laodian", "camping_chair", 1): "jitter",
    ("laodian", "power_bank", 0): "jitter",
    ("kuaigou", "pet_fountain", 0): "jitter",
    ("kuaigou", "meal_replacement", 0): "jitter",
}
HOT_ENTRANTS = {"shangcheng": "超轻露营椅", "laodian": "22.5W快充充电宝", "kuaigou": "静音猫咪饮水机"}
HOT_EMPHASIS: dict[str, dict[str, float]] = {
    "shangcheng": {"camping_chair": 1.3, "pet_fountain": 1.0, "power_bank": 0.9, "data_cable": 0.7,
                   "meal_replacement": 0.9},
    "laodian": {"camping_chair": 1.0, "pet_fountain": 0.8, "power_bank": 1.3, "data_cable": 1.2,
                "meal_replacement": 0.7},
    "kuaigou": {"camping_chair": 0.9, "pet_fountain": 1.3, "power_bank": 0.8, "data_cable": 0.6,
                "meal_replacement": 1.4},
}
HOT_POOL_SIZE = 40
HOT_INITIAL = 25
HOT_BOUNDS = (22, 28)       # the ranking's length stays within these
HOT_CHURN = 0.2             # chance per step of an entry, and separately of a drop, from step 2 on

_FULLWIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F) if chr(c).isalnum()}
_ID_KEYS = {"shangcheng": 104_729, "laodian": 3_571_113, "kuaigou": 86_028_121}


def clock(step: int) -> datetime:
    """Scenario time of a step."""
    return EPOCH + timedelta(hours=STEP_HOURS * step)


# --- internal records --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TitleEdit:
    """From `step` on, the listing's title reads `title`, which carries the planted `violations`."""

    step: int
    title: str
    violations: tuple[Violation, ...]


@dataclass(frozen=True)
class _Plan:
    """How one product behaves over the scenario: the listing plus the parameters its history is drawn from."""

    index: int                                  # position on its platform; part of its review ids
    product: Product
    content: CategoryContent
    specs: dict[str, str]
    neg_share: float
    theme_weights: tuple[tuple[str, float], ...]
    sales_rate: float                           # expected units sold per step
    review_rate: float                          # expected new reviews per step
    price_mode: str                             # "fixed" | "drift" | "drift_up" | "jitter"
    price_style: str
    restock_point: int
    restock_qty: int
    restock_prob: float
    max_sku_delta: float                        # price_max - price
    search_title: str                           # lower-cased title as generated (step 0)
    stock_floor: int = 0
    price_script: dict[int, float] = field(default_factory=dict)
    stock_script: dict[int, int] = field(default_factory=dict)
    burst_step: int | None = None               # step of a scripted negative-review burst
    title_edit: _TitleEdit | None = None        # a scripted edit of the listing's title

    def listing(self, step: int) -> Product:
        """The product as its shop lists it at `step`: as generated, or with the title edit from its step on."""
        edit = self.title_edit
        if edit is None or step < edit.step:
            return self.product
        return replace(self.product, title=edit.title, violations=self.product.violations + edit.violations)

    def search_text(self, step: int) -> str:
        """The lower-cased title at `step`, what search looks for keywords in."""
        edit = self.title_edit
        return self.search_title if edit is None or step < edit.step else edit.title.lower()


class _Timeline:
    """Per-step history of one product, extended on demand. Step s is derived from step s-1 and randomness
    seeded by (seed, product, s) only, so extending in any order yields the same values."""

    __slots__ = ("monthly", "price", "reviews", "stars", "stock", "visible")

    def __init__(self, product: Product, reviews: list[Review]) -> None:
        self.price = [product.base_price]
        self.stock = [product.base_stock]
        self.monthly = [product.base_monthly_sales]
        self.reviews = reviews                  # ascending by posted_at
        self.visible = [len(reviews)]           # number of reviews visible at each step
        self.stars = [sum(r.rating for r in reviews)]


class _Slots(dict):
    """format_map source: spec values are fixed per product, {t} and {item} are drawn at each use, {pet} once
    per review (one buyer has one pet)."""

    def __init__(self, rng: random.Random, content: CategoryContent, specs: dict[str, str]) -> None:
        super().__init__(specs)
        self._draws = {"t": TIME_PHRASES, "item": content.item_words, "pet": PET_WORDS}
        self._rng = rng

    def __missing__(self, key: str) -> str:
        value = self._rng.choice(self._draws[key])
        if key == "pet":
            self[key] = value
        return value


@dataclass(frozen=True)
class _Draft:
    """A review's content before it gets an id, a time and a variant."""

    text: str
    rating: int
    sentiment: str
    themes: tuple[str, ...] = ()
    append: str | None = None


# --- small helpers -----------------------------------------------------------------------------------------


def _rng(seed: int, *parts: object) -> random.Random:
    """A Random seeded by what it decides, independent of every other draw."""
    return random.Random(":".join(map(str, (seed, *parts))))


def _poisson(rng: random.Random, lam: float) -> int:
    """Poisson draw; normal approximation for large means keeps it cheap."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _shop_price(value: float, style: str) -> float:
    """Rounds a raw price the way sellers write prices: 89, 89.9, 89.99 or a plain integer."""
    if style == "x9":
        return float(max(9, round((value + 1) / 10) * 10 - 1))
    if style == "x.9":
        return round(math.floor(value) + 0.9, 2)
    if style == "x.99":
        return round(math.floor(value) + 0.99, 2)
    return float(max(1, round(value)))


def _scramble(value: int, key: int) -> int:
    """A bijection on 0..10**12-1 (a four-round Feistel network on two six-digit halves)."""
    left, right = divmod(value, 10**6)
    for round_key in range(key, key + 4):
        left, right = right, (left + (right * 1_000_003 + round_key) ** 2 // 7) % 10**6
    return left * 10**6 + right


def _review_id(platform: str, index: int, step: int, k: int) -> str:
    """Unique per platform: (product index, step, k) is packed, then scrambled so ids look like real ones."""
    n = _scramble((index * 100_000 + step) * 1_000 + k, _ID_KEYS[platform])
    if platform == "shangcheng":
        return f"1{n:012d}"
    if platform == "laodian":
        return f"5{n:012d}"
    return f"7{n:012d}{_scramble(n, 7) % 10**6:06d}"


def _weighted_sample(rng: random.Random, weights: dict[str, float], k: int) -> list[str]:
    """k distinct keys, drawn with probability proportional to weight (Efraimidis-Spirakis keys)."""
    keyed = sorted(weights, key=lambda key: rng.random() ** (1.0 / weights[key]), reverse=True)
    return keyed[:k]


Segment = tuple[str, tuple[str, str] | None]   # (text, (offending match, violation category) or None)


def _join(field_name: str, segments: list[Segment]) -> tuple[str, tuple[Violation, ...]]:
    """Concatenates segments and records the exact span of every planted breach."""
    parts: list[str] = []
    violations: list[Violation] = []
    pos = 0
    for text, breach in segments:
        if breach is not None:
            match, kind = breach
            start = pos + text.index(match)
            violations.append(Violation(field_name, match, start, start + len(match), kind))
        parts.append(text)
        pos += len(text)
    return "".join(parts), tuple(violations)


# --- listings ----------------------------------------------------------------------------------------------


def _title_segments(rng: random.Random, platform: str, content: CategoryContent, specs: dict[str, str],
                    brand: str, core: str, inserts: list[Segment]) -> list[Segment]:
    """Core word + attribute words + scene words, decorated the way each platform's sellers do it."""
    head: list[str] = []
    if rng.random() < {"shangcheng": 0.35, "laodian": 0.45, "kuaigou": 0.4}[platform]:
        head.append(rng.choice(TITLE_PREFIXES[platform]))
    if rng.random() < {"shangcheng": 0.75, "laodian": 0.2, "kuaigou": 0.45}[platform]:
        head.append(brand)
    candidates = [a.format_map(specs) for a in rng.sample(content.attributes, rng.randint(3, 5))]
    candidates += rng.sample(content.scenes, rng.randint(2, 3))
    if rng.random() < 0.6:
        candidates.append(rng.choice(content.tails))
    if rng.random() < {"shangcheng": 0.15, "laodian": 0.45, "kuaigou": 0.2}[platform]:
        candidates.append(rng.choice(TITLE_ENDINGS))
    words = head + [core]
    for word in candidates:
        if not any(word in w or w in word for w in words):   # no "高靠背靠背", no "【包邮】…包邮"
            words.append(word)
    body: list[Segment] = [(w, None) for w in words[len(head) + 1:]]
    for insert in inserts:
        body.insert(rng.randint(0, len(body)), insert)
    spacer: list[Segment] = [(" ", None)] if platform == "shangcheng" and rng.random() < 0.2 else []
    return [(w, None) for w in words[:len(head) + 1]] + spacer + body


def _description_segments(rng: random.Random, content: CategoryContent, specs: dict[str, str],
                          inserts: list[Segment]) -> list[Segment]:
    """A few selling points, in one of the layouts detail pages use, with any planted sentences mixed in."""
    points = rng.sample(content.selling_points, rng.randint(3, 5))
    style = rng.choice(("bracket", "plain", "numbered"))
    sentences: list[Segment] = []
    for header, sentence in points:
        text = sentence.format_map(specs)
        sentences.append((f"【{header}】{text}" if style == "bracket" else text, None))
    for insert in inserts:
        sentences.insert(rng.randint(0, len(sentences)), insert)
    if style == "numbered":
        marks = "①②③④⑤⑥⑦⑧⑨"
        return [seg for i, s in enumerate(sentences) for seg in ((marks[i], None), s)]
    return sentences


def _skus(rng: random.Random, item_id: str, content: CategoryContent) -> tuple[Sku, ...]:
    """Variants from one or two dimensions; deltas are relative to the cheapest variant."""
    dims = content.sku_dims[: rng.randint(1, len(content.sku_dims))]
    combos: list[tuple[str, float]] = [("", 0.0)]
    for dim, values in dims:
        chosen = rng.sample(values, rng.randint(1, min(3, len(values))))
        combos = [(f"{name};{dim}:{value}" if name else f"{dim}:{value}", delta + extra)
                  for name, delta in combos for value, extra in chosen]
    lowest = min(delta for _, delta in combos)
    return tuple(Sku(f"{item_id}{i + 1:02d}", name, round(delta - lowest, 2)) for i, (name, delta) in enumerate(combos))


def _breaches(rng: random.Random, content: CategoryContent) -> tuple[list[Segment], list[Segment]]:
    """One to three Advertising Law breaches, split between title units and description sentences."""
    count = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
    in_title = sum(rng.random() < 0.4 for _ in range(count))
    title = rng.sample(content.violations_title, min(in_title, len(content.violations_title)))
    description = rng.sample(content.violations_description, count - len(title))
    return ([(unit, (match, kind)) for unit, match, kind in title],
            [(sentence, (match, kind)) for sentence, match, kind in description])


def _tricky(rng: random.Random, content: CategoryContent) -> tuple[list[Segment], list[Segment]]:
    """Permitted uses of 最近/第一次/第一步/唯一的缺点: a tricky-clean listing gets one or two."""
    title = [(rng.choice(content.tricky_title), None)] if rng.random() < 0.4 else []
    description = [(s, None) for s in rng.sample(content.tricky_description, rng.randint(1, 2 - len(title)))]
    return title, description


def _shop_names(rng: random.Random, platform: str, sector: str, count: int, taken: set[str]) -> list[tuple[str, str]]:
    """(shop name, brand) pairs, unique on the platform and never the demo operator's own shop."""
    firsts, seconds = SHOP_SYLLABLES[sector]
    shops: list[tuple[str, str]] = []
    while len(shops) < count:
        first, second = rng.choice(firsts), rng.choice(seconds)
        if first == second:
            continue
        brand = first + second
        name = brand + rng.choice(SHOP_SECTOR_WORDS[sector]) + rng.choice(SHOP_SUFFIXES[platform])
        if name not in taken and name != OWN_SHOP:
            taken.add(name)
            shops.append((name, brand))
    return shops


def _item_ids(rng: random.Random, platform: str, count: int) -> list[str]:
    """Platform-specific id formats; the ranges exclude the own products' fixed ids."""
    if platform == "shangcheng":
        return [f"SC{n}" for n in rng.sample(range(20_000, 100_000), count)]
    if platform == "laodian":
        return [str(n) for n in rng.sample(range(100_000, 880_000), count)]
    return [str(n) for n in rng.sample(range(3_000_000_000, 7_000_000_000), count)]


# --- reviews -----------------------------------------------------------------------------------------------


def _pick_themes(rng: random.Random, weights: tuple[tuple[str, float], ...]) -> tuple[str, ...]:
    """One theme, sometimes two, drawn by the product's own pain-point frequencies."""
    count = 2 if rng.random() < 0.3 else 1
    return tuple(_weighted_sample(rng, dict(weights), count))


def _finish(rng: random.Random, parts: list[str], endings: tuple[str, ...]) -> str:
    """Joins clauses with the buyer's punctuation habits."""
    sep = rng.choice(("，", "，", "，", "，", ",", " ", "。"))
    return sep.join(parts) + rng.choice(endings)


def _opener(rng: random.Random, platform: str, mood: tuple[str, ...]) -> str:
    """How the buyer starts: neutral, mood-specific or typical of the platform (拼单买的, 直播间买的)."""
    return rng.choice(OPENERS_ANY + mood + OPENERS_PLATFORM[platform])


def _positive(rng: random.Random, plan: _Plan, slots: _Slots, sku_value: str) -> str:
    """A short 好评 or a few clauses of praise, category-specific and generic, maybe naming the variant."""
    if rng.random() < 0.22:
        return rng.choice(SHORT_POS)
    content = plan.content
    parts: list[str] = []
    if rng.random() < 0.45:
        parts.append(_opener(rng, plan.product.platform, OPENERS_POS))
    if rng.random() < 0.2:
        parts.append(f"买的{sku_value}")
    count = rng.choice((1, 1, 2, 2, 2, 3, 4))
    parts += [c.format_map(slots) for c in rng.sample(content.praise, min(count, len(content.praise)))]
    if rng.random() < 0.5:
        parts.append(rng.choice(GENERIC_PRAISE))
    if rng.random() < 0.5:
        parts.append(rng.choice(CLOSERS_POS))
    return _finish(rng, parts, ENDINGS_POS)


def _complaint(rng: random.Random, plan: _Plan, slots: _Slots, themes: tuple[str, ...]) -> str:
    """One complaint clause per theme, in varied surface forms, with the buyer's opener and verdict."""
    content = plan.content
    parts: list[str] = []
    if rng.random() < 0.4:
        parts.append(_opener(rng, plan.product.platform, OPENERS_NEG))
    parts += [rng.choice(content.complaints[theme]).format_map(slots) for theme in themes]
    if rng.random() < 0.6:
        parts.append(rng.choice(CLOSERS_NEG))
    return _finish(rng, parts, ENDINGS_NEG)


def _mixed(rng: random.Random, plan: _Plan, slots: _Slots, theme: str) -> str:
    """Praise then a mild complaint: 外观好看，但是噪音有点大."""
    content = plan.content
    praise = rng.choice(content.praise + GENERIC_PRAISE).format_map(slots)
    text = praise + rng.choice(MIXED_JOINERS) + rng.choice(content.mild[theme]).format_map(slots)
    if rng.random() < 0.4:
        text += "，" + rng.choice(CLOSERS_NEUTRAL)
    return text + rng.choice(("。", "", "~", "。。。"))


def _decorate(rng: random.Random, text: str, platform: str, emoji: tuple[str, ...], share: float) -> str:
    """Emoji and, now and then, full-width letters and digits as some input methods produce."""
    if rng.random() < share * (2 if platform == "kuaigou" else 1):
        text += "".join(rng.choices(emoji, k=rng.randint(1, 3)))
    if rng.random() < 0.03:
        text = text.translate(_FULLWIDTH)
    return text


def _draft(rng: random.Random, plan: _Plan, sku_value: str, strict: bool) -> _Draft:
    """One review. Non-strict reviews carry the noise of real data (defaults, Traditional script, star ratings
    that disagree a little with the text, follow-ups that turn a good review bad). Strict ones, used for own
    products after step 0, are unambiguous: positive with 4-5 stars or negative with 1-2 stars and themes."""
    platform, content = plan.product.platform, plan.content
    slots = _Slots(rng, content, plan.specs)
    if rng.random() < (0.12 if platform == "laodian" else 0.07):
        text, sentiment = rng.choice(DEFAULT_REVIEWS[platform])
        return _Draft(text, 5, sentiment)
    if not strict and rng.random() < 0.015:
        text, sentiment, themes, stars = rng.choice(content.traditional)
        return _Draft(text, stars, sentiment, themes)
    if rng.random() < plan.neg_share:
        themes = _pick_themes(rng, plan.theme_weights)
        if not strict and rng.random() < 0.07:
            return _Draft(rng.choice(SHORT_NEG), rng.choice((1, 1, 2)), "neg")
        text = _decorate(rng, _complaint(rng, plan, slots, themes), platform, EMOJI_NEG, 0.2)
        stars = rng.choice((1, 2)) if strict else rng.choices((1, 2, 3), weights=(55, 30, 15))[0]
        return _Draft(text, stars, "neg", themes)
    if not strict and rng.random() < 0.1:
        if rng.random() < 0.25:
            return _Draft(rng.choice(SHORT_NEUTRAL), rng.choice((3, 3, 4)), "neutral")
        theme = _pick_themes(rng, plan.theme_weights)[0]
        stars = rng.choices((3, 4, 5, 2), weights=(45, 30, 15, 10))[0]
        return _Draft(_mixed(rng, plan, slots, theme), stars, "neutral", (theme,))
    text = _positive(rng, plan, slots, sku_value)
    stars = rng.choice((4, 5)) if strict else rng.choices((5, 4, 3), weights=(82, 14, 4))[0]
    if not strict and rng.random() < 0.05:
        if rng.random() < 0.3:  # the good review stands with its stars; the follow-up (追评) turns it bad
            theme = _pick_themes(rng, plan.theme_weights)[:1]
            later = rng.choice(content.complaints[theme[0]]).format_map(slots)
            return _Draft(text, stars, "neg", theme, append=later)
        followup = rng.choice(FOLLOWUP_POS)  # drawn before the decoration, as ever: the world stays the seed's
        return _Draft(_decorate(rng, text, platform, EMOJI_POS + content.emoji, 0.18), stars, "pos", append=followup)
    return _Draft(_decorate(rng, text, platform, EMOJI_POS + content.emoji, 0.18), stars, "pos")


def _negative(rng: random.Random, plan: _Plan, themes: tuple[str, ...]) -> _Draft:
    """A negative review with given themes (the scripted burst)."""
    text = _complaint(rng, plan, _Slots(rng, plan.content, plan.specs), themes)
    return _Draft(_decorate(rng, text, plan.product.platform, EMOJI_NEG, 0.2), rng.choice((1, 1, 2)), "neg", themes)


def _reviews(rng: random.Random, plan: _Plan, step: int, times: list[datetime],
             bought: list[tuple[Sku, _Draft]]) -> list[Review]:
    """Dresses drafts as Reviews posted at the given (sorted) times."""
    product = plan.product
    return [
        Review(product.platform, _review_id(product.platform, plan.index, step, k), product.item_id, draft.text,
               draft.rating, when, sku.name, step, draft.sentiment, draft.themes, draft.append)
        for k, (when, (sku, draft)) in enumerate(zip(times, bought))
    ]


def _buy(rng: random.Random, plan: _Plan, strict: bool) -> tuple[Sku, _Draft]:
    """A variant bought (the first one sells best) and the review its buyer writes, which may name it."""
    skus = plan.product.skus
    sku = rng.choices(skus, weights=[3] + [1] * (len(skus) - 1))[0]
    return sku, _draft(rng, plan, sku.name.split(";")[0].split(":")[1], strict)


def _history(seed: int, plan: _Plan, count: int) -> list[Review]:
    """The reviews a product already has at step 0, spread over the previous HISTORY_DAYS days."""
    rng = _rng(seed, "rv", plan.product.platform, plan.product.item_id, 0)
    span = HISTORY_DAYS * 86_400
    times = sorted(EPOCH - timedelta(seconds=span - int(span * rng.random() ** 0.8)) for _ in range(count))
    return _reviews(rng, plan, 0, times, [_buy(rng, plan, strict=False) for _ in range(count)])


# --- building the world ------------------------------------------------------------------------------------


def _own_plan(seed: int, index: int, spec: OwnProductSpec) -> tuple[_Plan, list[Review]]:
    """Own products are curated; only their review history depends on the seed."""
    content = CATEGORY_CONTENT[spec.category]
    skus = tuple(Sku(f"{spec.item_id}{i + 1:02d}", name, delta) for i, (name, delta) in enumerate(spec.skus))
    product = Product(
        spec.platform, spec.item_id, spec.category, spec.title, spec.description, OWN_SHOP, True,
        spec.base_price, spec.list_price, None, skus, spec.base_stock, spec.monthly_sales, 5.0,
        cost=spec.cost, band=spec.band, safety_stock=spec.safety_stock,
    )
    low_stock = spec.item_id == LOW_STOCK_ITEM
    plan = _Plan(
        index=index, product=product, content=content, specs=spec.specs, neg_share=OWN_NEGATIVE_SHARE,
        theme_weights=tuple((p.theme, p.weight) for p in content.category.pain_points),
        sales_rate=spec.monthly_sales / 120, review_rate=0.3, price_mode="fixed", price_style="int",
        # Restocked before the 50 % warning line can be reached, except for the scripted low-stock product.
        restock_point=0 if low_stock else int(spec.safety_stock * 0.8), restock_qty=spec.base_stock,
        restock_prob=1.0, max_sku_delta=max(s.price_delta for s in skus), search_title=spec.title.lower(),
        stock_floor=LOW_STOCK_FLOOR if low_stock else 0,
        stock_script={1: LOW_STOCK_AFTER} if low_stock else {},
        price_script={1: BELOW_COST_PRICE, 2: spec.base_price} if spec.item_id == BELOW_COST_ITEM else {},
        burst_step=1 if spec.item_id == BURST_ITEM else None,
        title_edit=_title_edit(spec.title) if spec.item_id == TITLE_EDIT_ITEM else None,
    )
    return plan, _history(seed, plan, spec.review_count)


def _title_edit(title: str) -> _TitleEdit:
    """The step-1 edit of an own title: TITLE_EDIT_UNIT written in right after the brand."""
    if not title.startswith(OWN_BRAND):
        raise ValueError(f"own title {title!r} does not start with the brand {OWN_BRAND!r}")
    unit, match, category = TITLE_EDIT_UNIT
    edited, violations = _join("title", [(OWN_BRAND, None), (unit, (match, category)), (title[len(OWN_BRAND):], None)])
    return _TitleEdit(1, edited, violations)


def _competitor_plans(seed: int, scale: float, platform: str, first_index: int,
                      own_prices: dict[str, float]) -> list[tuple[_Plan, list[Review]]]:
    """All competitors on one platform, in the order the shop lists them, with their review histories."""
    rng = _rng(seed, "listings", platform)
    slots = [(category, slot) for category, n in COMPETITORS[platform].items()
             for slot in range(max(3, round(n * scale)))]
    ids = _item_ids(rng, platform, len(slots))
    review_counts = _review_counts(rng, len(slots))
    compliance = _compliance_marks(rng, slots)
    taken: set[str] = set()
    shops: dict[str, list[tuple[str, str]]] = {}
    for sector in sorted({CATEGORY_CONTENT[c].sector for c, _ in slots}):
        listings = sum(1 for c, _ in slots if CATEGORY_CONTENT[c].sector == sector)
        shops[sector] = _shop_names(rng, platform, sector, max(2, math.ceil(0.55 * listings)), taken)
    order = list(range(len(slots)))
    rng.shuffle(order)
    result = []
    for position, i in enumerate(order):
        category, slot = slots[i]
        content = CATEGORY_CONTENT[category]
        plan = _competitor(
            _rng(seed, "listing", platform, ids[i]), platform, content, first_index + position, ids[i],
            shops[content.sector], compliance[i], ROLES.get((platform, category, slot)), own_prices.get(category),
            review_counts[i],
        )
        result.append((plan, _history(seed, plan, review_counts[i])))
    return result


def _review_counts(rng: random.Random, n: int) -> list[int]:
    """Long-tailed review counts (lognormal), stratified so the platform total barely varies with the seed."""
    strata = list(range(n))
    rng.shuffle(strata)
    normal = NormalDist(3.05, 1.15)
    return [min(900, int(math.exp(normal.inv_cdf((s + rng.random()) / n)))) for s in strata]


def _compliance_marks(rng: random.Random, slots: list[tuple[str, int]]) -> list[str]:
    """'violating' / 'tricky' / 'clean' by quota per category, so every category has both kinds."""
    marks = ["clean"] * len(slots)
    for category in dict.fromkeys(c for c, _ in slots):   # ordered: set order would vary with PYTHONHASHSEED
        members = [i for i, (c, _) in enumerate(slots) if c == category]
        rng.shuffle(members)
        n_bad = max(1, round(VIOLATION_SHARE * len(members)))
        n_tricky = max(1, round(TRICKY_SHARE * len(members)))
        for i in members[:n_bad]:
            marks[i] = "violating"
        for i in members[n_bad:n_bad + n_tricky]:
            marks[i] = "tricky"
    return marks


def _competitor(rng: random.Random, platform: str, content: CategoryContent, index: int, item_id: str,
                shops: list[tuple[str, str]], mark: str, role: str | None, own_price: float | None,
                review_count: int) -> _Plan:
    """One competitor listing and the parameters of its behaviour over the scenario."""
    category = content.category
    specs = {key: rng.choice(values) for key, values in content.specs.items()}
    shop, brand = shops[min(int(rng.random() ** 1.6 * len(shops)), len(shops) - 1)]
    cores = [c for c in content.title_cores if UNDERCUT_KEYWORD in c] if role == "undercut" else content.title_cores
    title_inserts: list[Segment] = []
    description_inserts: list[Segment] = []
    if mark == "violating":
        title_inserts, description_inserts = _breaches(rng, content)
    elif mark == "tricky":
        title_inserts, description_inserts = _tricky(rng, content)
    title, title_violations = _join(
        "title", _title_segments(rng, platform, content, specs, brand, rng.choice(cores), title_inserts))
    description, description_violations = _join(
        "description", _description_segments(rng, content, specs, description_inserts))

    reference = content.typical_price * PLATFORM_PRICE_LEVEL[platform]
    raw = min(max(reference * math.exp(rng.gauss(0, 0.45)), category.price_range[0]), category.price_range[1])
    if role in ("undercut", "jitter") and own_price is not None:
        raw = own_price * rng.uniform(1.0, 1.15)   # priced alongside the own product it competes with
    style = "x.9" if raw < 30 else rng.choice(("x9", "x9", "x.9", "x.99", "int"))
    price = _shop_price(raw, style)
    list_price = max(_shop_price(price * rng.uniform(1.15, 1.9), style), round(price + 1, 2))
    monthly = int(review_count * rng.uniform(2.5, 8)) + rng.randint(0, 30)
    stock = rng.randint(15, 40) if role == "stock_out" else int(monthly * rng.uniform(0.4, 2.0)) + rng.randint(20, 200)
    neg_share = min(0.55, max(0.02, 0.12 * (reference / price) ** 0.6 * math.exp(rng.gauss(0, 0.5))))
    skus = _skus(rng, item_id, content)

    price_script: dict[int, float] = {}
    stock_script: dict[int, int] = {}
    if role == "undercut" and own_price is not None:
        price_script = {1: round(math.floor(own_price * rng.uniform(0.72, 0.8)) + 0.9, 2)}
    elif role == "stock_out":
        stock_script = {1: 0, 2: rng.randint(300, 600)}
    if role == "jitter":
        mode = "jitter"
    elif role is not None:
        mode = "fixed"
    elif own_price is not None:
        mode = "drift_up" if rng.random() < 0.25 else "fixed"   # never a surprise undercut of an own product
    else:
        mode = "drift" if rng.random() < 0.3 else "fixed"

    product = Product(
        platform, item_id, category.key, title, description, shop, False, price, list_price,
        rng.choice((0.8, 0.85, 0.88, 0.9, 0.92, 0.95)) if rng.random() < 0.35 else None,
        skus, stock, monthly, 5.0, violations=title_violations + description_violations,
        tricky_clean=mark == "tricky",
    )
    return _Plan(
        index=index, product=product, content=content, specs=specs, neg_share=neg_share,
        theme_weights=tuple((p.theme, p.weight * math.exp(rng.gauss(0, 0.45))) for p in category.pain_points),
        sales_rate=monthly / 120 * rng.uniform(1.0, 1.3), review_rate=review_count / 240 + 0.03,
        price_mode=mode, price_style=style, restock_point=max(5, int(stock * 0.2)),
        restock_qty=max(50, int(stock * rng.uniform(0.8, 1.5))), restock_prob=0.35,
        max_sku_delta=max(s.price_delta for s in skus), search_title=title.lower(),
        price_script=price_script, stock_script=stock_script,
    )


def _rated(plan: _Plan, reviews: list[Review]) -> _Plan:
    """The plan with its product's step-0 rating set from the generated reviews."""
    rating = round(sum(r.rating for r in reviews) / len(reviews), 1) if reviews else 5.0
    return replace(plan, product=replace(plan.product, rating=rating))


# --- hot search --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Curve:
    """A hot term's heat over time: a base level, a slow wave (rank jumps) and a saturating trend."""

    base: float
    amplitude: float
    period: float
    phase: float
    trend: float


@dataclass(frozen=True)
class _HotPool:
    """A platform's candidate hot terms: each with its heat curve, the protected core keywords that never drop
    out, and the terms in the ranking at step 0."""

    curves: dict[str, _Curve]
    protected: frozenset[str]
    initial: tuple[str, ...]


def _hot_pool(seed: int, platform: str) -> _HotPool:
    rng = _rng(seed, "hot", platform)
    protected = {c.category.keywords[0] for c in CATEGORY_CONTENT.values()}
    entrant = HOT_ENTRANTS[platform]
    weights = {term: HOT_EMPHASIS[platform][key]
               for key, c in CATEGORY_CONTENT.items() for term in c.category.keywords + c.hot_tails
               if term not in protected and term != entrant}
    ranked = _weighted_sample(rng, weights, HOT_POOL_SIZE - len(protected) - 1)
    rng.shuffle(ranked)
    for leader in sorted(protected) + [entrant]:   # core keywords and the scripted entrant run hot
        ranked.insert(rng.randint(0, 8), leader)
    curves = {
        term: _Curve(180_000 / (r + 1) ** 0.9, rng.uniform(0.15, 0.5), rng.uniform(8, 40), rng.uniform(0, 2 * math.pi),
                     0.9 if term == entrant else rng.uniform(-0.4, 0.4))
        for r, term in enumerate(ranked)
    }
    return _HotPool(curves, frozenset(protected), tuple(t for t in ranked if t != entrant)[:HOT_INITIAL])


# --- the world ---------------------------------------------------------------------------------------------


class World:
    """The generated marketplace. Construct through `build_world`, which caches one world per (seed, scale)."""

    def __init__(self, seed: int, scale: float) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.seed = seed
        self.scale = scale
        self.categories: dict[str, Category] = {key: c.category for key, c in CATEGORY_CONTENT.items()}
        self._lock = threading.RLock()
        self._plans: dict[tuple[str, str], _Plan] = {}
        self._timelines: dict[tuple[str, str], _Timeline] = {}
        self._by_platform: dict[str, list[_Plan]] = {}
        for platform in PLATFORMS:
            own = [spec for spec in OWN_PRODUCT_SPECS if spec.platform == platform]
            built = [_own_plan(seed, i, spec) for i, spec in enumerate(own)]
            built += _competitor_plans(seed, scale, platform, len(own), {s.category: s.base_price for s in own})
            plans = []
            for plan, reviews in built:
                plan = _rated(plan, reviews)
                key = (platform, plan.product.item_id)
                self._plans[key] = plan
                self._timelines[key] = _Timeline(plan.product, reviews)
                plans.append(plan)
            self._by_platform[platform] = plans
        self.products: list[Product] = [p.product for platform in PLATFORMS for p in self._by_platform[platform]]
        self._hot = {platform: _hot_pool(seed, platform) for platform in PLATFORMS}
        self._hot_members: dict[str, list[tuple[str, ...]]] = {p: [self._hot[p].initial] for p in PLATFORMS}
        self._rankings: dict[tuple[str, int], tuple[HotTerm, ...]] = {}
        self._events: dict[int, tuple[Event, ...]] = {}
        self._promos = {key: promo for key, plan in self._plans.items() if (promo := _promo(seed, plan)) is not None}

    # --- lookups -------------------------------------------------------------------------------------------

    def product(self, platform: str, item_id: str, step: int = 0) -> Product | None:
        """The listing as it reads at `step` (a scripted edit changes its title), None when there is none."""
        plan = self._plans.get((platform, item_id))
        return plan.listing(step) if plan else None

    def products_on(self, platform: str) -> list[Product]:
        """The platform's listings as generated (step 0)."""
        return [p.product for p in self._by_platform.get(platform, [])]

    def clock(self, step: int) -> datetime:
        return clock(step)

    # --- per-step views ------------------------------------------------------------------------------------

    def state(self, product: Product, step: int) -> ProductState:
        plan = self._plans[(product.platform, product.item_id)]
        timeline = self._timeline(plan, step)
        price = timeline.price[step]
        promo = self._promos.get((product.platform, product.item_id))
        if promo is not None and step >= promo.start:
            price = min(price, _shop_price(price * (1 - promo.cut), plan.price_style))
        visible = timeline.visible[step]
        return ProductState(
            price=price,
            price_max=round(price + plan.max_sku_delta, 2),
            list_price=product.list_price,
            promo_price=round(price * product.promo_ratio, 2) if product.promo_ratio else None,
            stock=timeline.stock[step],
            monthly_sales=timeline.monthly[step],
            rating=round(timeline.stars[step] / visible, 1) if visible else product.rating,
            review_count=visible,
        )

    def reviews(self, product: Product, step: int) -> list[Review]:
        """Reviews visible at `step`, newest first."""
        timeline = self._timeline(self._plans[(product.platform, product.item_id)], step)
        visible = timeline.visible[step]
        return timeline.reviews[visible - 1::-1] if visible else []

    def search(self, platform: str, keyword: str, step: int) -> list[Product]:
        """综合排序: listings whose title contains the keyword first, then listings of a category the keyword
        names (露营椅 also finds 月亮椅 listings); each group by monthly sales. Listings as they read at `step`."""
        _check_step(step)
        needle = keyword.strip().lower()
        if not needle:
            return []
        named = {key for key, c in self.categories.items() if any(k.lower() in needle for k in c.keywords)}
        hits = []
        for plan in self._by_platform.get(platform, []):
            in_title = needle in plan.search_text(step)
            if in_title or plan.product.category in named:
                sales = self._timeline(plan, step).monthly[step]
                hits.append((0 if in_title else 1, -sales, plan.product.item_id, plan.listing(step)))
        hits.sort(key=lambda h: h[:3])
        return [h[3] for h in hits]

    def hot_terms(self, platform: str, step: int) -> list[HotTerm]:
        return list(self._ranking(platform, step))

    def events(self, step: int) -> list[Event]:
        """Scripted events that happen at `step` (none at step 0: that is the initial state)."""
        _check_step(step)
        with self._lock:
            if step not in self._events:
                self._events[step] = tuple(self._build_events(step))
            return list(self._events[step])

    def ground_truth(self, step: int) -> dict:
        """What a perfect crawler and analyser would report at `step`; JSON-serialisable."""
        _check_step(step)
        products = []
        negatives: dict[str, list[Review]] = {key: [] for key in self.categories}
        totals = dict.fromkeys(PLATFORMS, 0)
        for platform in PLATFORMS:
            for plan in self._by_platform[platform]:
                product = plan.listing(step)
                state = self.state(product, step)
                visible = self._timelines[(platform, product.item_id)].reviews[:state.review_count]
                negative = [r for r in visible if r.sentiment == "neg"]
                negatives[product.category] += negative
                totals[platform] += state.review_count
                entry = {
                    "platform": platform, "item_id": product.item_id, "category": product.category,
                    "marketplace_category": " > ".join(self.categories[product.category].path),
                    "title": product.title, "description": product.description, "shop": product.shop,
                    "own": product.own, "cost": product.cost, "band": list(product.band) if product.band else None,
                    "safety_stock": product.safety_stock, "price": state.price, "price_max": state.price_max,
                    "list_price": state.list_price, "promo_price": state.promo_price, "currency": "CNY",
                    "stock": state.stock, "availability": "InStock" if state.available else "OutOfStock",
                    "monthly_sales": state.monthly_sales, "rating": state.rating,
                    "review_count": state.review_count, "negative_reviews": len(negative),
                    "violations": [asdict(v) for v in product.violations], "tricky_clean": product.tricky_clean,
                }
                if len(negative) >= 5:
                    entry["pain_points"] = _theme_shares(negative)
                products.append(entry)
        return {
            "seed": self.seed,
            "scale": self.scale,
            "step": step,
            "clock": clock(step).isoformat(),
            "products": products,
            "pain_points": {key: _theme_shares(reviews) for key, reviews in negatives.items()},
            "hot_terms": {p: [asdict(h) for h in self._ranking(p, step)] for p in PLATFORMS},
            "events": [asdict(e) for s in range(step + 1) for e in self.events(s)],
            "keywords": {key: list(c.keywords) for key, c in self.categories.items()},
            "review_totals": totals,
        }

    # --- timelines -----------------------------------------------------------------------------------------

    def _timeline(self, plan: _Plan, step: int) -> _Timeline:
        """The product's timeline, extended up to `step`."""
        _check_step(step)
        timeline = self._timelines[(plan.product.platform, plan.product.item_id)]
        if len(timeline.price) <= step:
            with self._lock:
                for s in range(len(timeline.price), step + 1):
                    self._advance(plan, timeline, s)
        return timeline

    def _advance(self, plan: _Plan, timeline: _Timeline, s: int) -> None:
        """Derives step s from step s-1: price, sales, stock and the reviews posted during the step."""
        product = plan.product
        rng = _rng(self.seed, "step", product.platform, product.item_id, s)
        price = _next_price(rng, plan, timeline.price[-1], s)
        previous_stock = timeline.stock[-1]
        if s in plan.stock_script:
            stock = plan.stock_script[s]
            sold = max(0, previous_stock - stock)
        else:
            sold = min(_poisson(rng, plan.sales_rate), max(0, previous_stock - plan.stock_floor))
            stock = previous_stock - sold
            if stock < plan.restock_point and (stock == 0 or rng.random() < plan.restock_prob):
                stock += plan.restock_qty
        count = len(BURST_THEMES) if plan.burst_step == s else _poisson(rng, plan.review_rate)
        new_reviews = self._new_reviews(plan, s, count) if count else []
        timeline.price.append(price)
        timeline.stock.append(stock)
        timeline.monthly.append(timeline.monthly[-1] + sold)
        timeline.reviews.extend(new_reviews)
        timeline.visible.append(timeline.visible[-1] + len(new_reviews))
        timeline.stars.append(timeline.stars[-1] + sum(r.rating for r in new_reviews))

    def _new_reviews(self, plan: _Plan, s: int, count: int) -> list[Review]:
        """The `count` reviews posted during step s: a trickle by popularity, or the scripted burst."""
        product = plan.product
        rng = _rng(self.seed, "rv", product.platform, product.item_id, s)
        if plan.burst_step == s:
            bought = [(product.skus[0], _negative(rng, plan, themes)) for themes in BURST_THEMES]
        else:
            bought = [_buy(rng, plan, strict=product.own) for _ in range(count)]
        start, span = clock(s), STEP_HOURS * 3600
        times = sorted(start + timedelta(seconds=rng.randrange(span)) for _ in bought)
        return _reviews(rng, plan, s, times, bought)

    # --- hot terms -----------------------------------------------------------------------------------------

    def _heat(self, platform: str, term: str, step: int) -> int:
        curve = self._hot[platform].curves[term]
        noise = _rng(self.seed, "heat", platform, term, step).gauss(0, 0.04)
        wave = curve.amplitude * math.sin(2 * math.pi * step / curve.period + curve.phase)
        trend = curve.trend * step / (abs(step) + 24)
        return int(curve.base * math.exp(wave + trend + noise))

    def _members(self, platform: str, step: int) -> tuple[str, ...]:
        """Terms in the ranking at `step`. Step 1 swaps in the scripted entrant for the coolest term; from step 2
        on, terms enter and fall off at random, keeping the ranking between HOT_BOUNDS in length."""
        history = self._hot_members[platform]
        with self._lock:
            for s in range(len(history), step + 1):
                history.append(self._churn(platform, history[-1], s))
        return history[step]

    def _churn(self, platform: str, previous: tuple[str, ...], s: int) -> tuple[str, ...]:
        pool = self._hot[platform]
        droppable = sorted((t for t in previous if t not in pool.protected), key=lambda t: self._heat(platform, t, s))
        if s == 1:
            return tuple(t for t in previous if t != droppable[0]) + (HOT_ENTRANTS[platform],)
        rng = _rng(self.seed, "churn", platform, s)
        members = list(previous)
        if rng.random() < HOT_CHURN and len(members) < HOT_BOUNDS[1]:
            members.append(rng.choice([t for t in pool.curves if t not in previous]))
        if rng.random() < HOT_CHURN and len(members) > HOT_BOUNDS[0]:
            members.remove(droppable[0])
        return tuple(members)

    def _ranking(self, platform: str, step: int) -> tuple[HotTerm, ...]:
        _check_step(step)
        key = (platform, step)
        if key not in self._rankings:
            members = self._members(platform, step)
            before = set(self._members(platform, step - 1)) if step else set(members)
            heats = {t: self._heat(platform, t, step) for t in members}
            ordered = sorted(members, key=lambda t: (-heats[t], t))
            self._rankings[key] = tuple(
                HotTerm(rank, term, heats[term],
                        term not in before or heats[term] > self._heat(platform, term, step - 1) * 1.02)
                for rank, term in enumerate(ordered, start=1))
        return self._rankings[key]

    # --- events --------------------------------------------------------------------------------------------

    def _build_events(self, step: int) -> list[Event]:
        if step == 0:
            return []
        events = self._scripted_events(step) if step in (1, 2) else []
        for platform in PLATFORMS:
            before, now = self._ranking(platform, step - 1), self._ranking(platform, step)
            old = {h.term: h for h in before}
            new = {h.term: h for h in now}
            events += [Event(step, "hot_term_new", platform, None, {"term": h.term, "rank": h.rank, "heat": h.heat})
                       for h in now if h.term not in old]
            events += [Event(step, "hot_term_dropped", platform, None, {"term": h.term, "last_rank": h.rank})
                       for h in before if h.term not in new]
        for platform, item_id in OWN_PRODUCTS:
            plan = self._plans[(platform, item_id)]
            if plan.burst_step == step:
                continue
            timeline = self._timeline(plan, step)
            for review in timeline.reviews[timeline.visible[step - 1]:timeline.visible[step]]:
                if review.sentiment == "neg":
                    events.append(Event(step, "own_negative_review", platform, item_id, {
                        "review_id": review.review_id, "review_ids": [review.review_id], "rating": review.rating,
                        "themes": list(review.themes)}))
        return events

    def _scripted_events(self, step: int) -> list[Event]:
        """The step-1 incidents and their step-2 resolutions, described from the plans and timelines."""
        events: list[Event] = []
        for plan in self._plans.values():
            product, item_id, platform = plan.product, plan.product.item_id, plan.product.platform
            if step in plan.price_script:
                old = self._timeline(plan, step).price[step - 1]
                new = plan.price_script[step]
                if not product.own:
                    own = self._own_for(platform, product.category)
                    own_price = self.state(own, step).price
                    events.append(Event(step, "competitor_undercut", platform, item_id, {
                        "keyword": UNDERCUT_KEYWORD, "old_price": old, "new_price": new,
                        "own_item_id": own.item_id, "own_price": own_price,
                        "below_own": round(1 - new / own_price, 4)}))
                else:
                    kind = "below_cost" if new < (product.cost or 0) else "price_restored"
                    events.append(Event(step, kind, platform, item_id, {
                        "old_price": old, "price": new, "cost": product.cost, "band": list(product.band or ())}))
            if step in plan.stock_script:
                timeline = self._timeline(plan, step)
                old, new = timeline.stock[step - 1], timeline.stock[step]
                if product.own:
                    events.append(Event(step, "own_low_stock", platform, item_id, {
                        "old_stock": old, "stock": new, "safety_stock": product.safety_stock, "threshold": 0.5}))
                else:
                    events.append(Event(step, "stock_out" if new == 0 else "restocked", platform, item_id,
                                        {"old_stock": old, "stock": new}))
            if plan.burst_step == step:
                timeline = self._timeline(plan, step)
                burst = timeline.reviews[timeline.visible[step - 1]:timeline.visible[step]]
                themes: dict[str, int] = {}
                for review in burst:
                    for theme in review.themes:
                        themes[theme] = themes.get(theme, 0) + 1
                events.append(Event(step, "negative_burst", platform, item_id, {
                    "count": len(burst), "review_ids": [r.review_id for r in burst], "themes": themes}))
            if plan.title_edit is not None and plan.title_edit.step == step:
                events += [Event(step, "own_title_violation", platform, item_id, {
                    "old_title": product.title, "title": plan.title_edit.title, "field": v.field, "match": v.match,
                    "start": v.start, "end": v.end, "category": v.category}) for v in plan.title_edit.violations]
        if step == 1:
            for platform in PLATFORMS:
                jitter = [p.product.item_id for p in self._by_platform[platform] if p.price_mode == "jitter"]
                events.append(Event(step, "price_jitter", platform, None, {"item_ids": jitter, "delta": 0.01}))
        return events

    def _own_for(self, platform: str, category: str) -> Product:
        return next(p.product for p in self._by_platform[platform] if p.product.own and p.product.category == category)


def _next_price(rng: random.Random, plan: _Plan, previous: float, s: int) -> float:
    """Most prices hold; drifting ones reprice now and then; jittering ones wobble by exactly one fen."""
    if s in plan.price_script:
        return plan.price_script[s]
    base = plan.product.base_price
    if plan.price_mode == "jitter":
        offsets = (-0.01, 0.01) if s == 1 else (-0.01, 0.0, 0.01)
        return round(base + rng.choice(offsets), 2)
    if plan.price_mode == "drift_up" and rng.random() < DRIFT_PROBABILITY:
        return min(plan.product.list_price, _shop_price(previous * rng.uniform(1.01, 1.06), plan.price_style))
    if plan.price_mode == "drift" and rng.random() < DRIFT_PROBABILITY:
        return min(plan.product.list_price, _shop_price(base * rng.uniform(0.92, 1.06), plan.price_style))
    return previous


@dataclass(frozen=True)
class _Promo:
    """A competitor's 双十一 warm-up: its price is `cut` cheaper from step `start` on."""

    start: int
    cut: float


def _promo(seed: int, plan: _Plan) -> _Promo | None:
    """Whether and how a competitor joins the warm-up (see PROMO_SHARE); its own Random, so no other draw moves."""
    if plan.product.own or plan.price_script or plan.price_mode == "jitter":
        return None
    rng = _rng(seed, "promo", plan.product.platform, plan.product.item_id)
    if rng.random() >= PROMO_SHARE:
        return None
    return _Promo(rng.choice(PROMO_STARTS), rng.uniform(*PROMO_CUT))


def _theme_shares(negative: list[Review]) -> list[dict]:
    """Pain-point shares among the injected themes of negative reviews, rank 1 first."""
    counts: dict[str, int] = {}
    for review in negative:
        for theme in review.themes:
            counts[theme] = counts.get(theme, 0) + 1
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"theme": theme, "share": round(n / total, 4), "rank": rank}
            for rank, (theme, n) in enumerate(ordered, start=1)]


def _check_step(step: int) -> None:
    if not 0 <= step <= MAX_STEP:
        raise ValueError(f"step must be within 0..{MAX_STEP}, got {step}")


def build_world(seed: int = 2026, scale: float = 1.0) -> World:
    """The world for (seed, scale); cached, since building it is the expensive part and it never changes.
    Arguments are normalised first so build_world(), build_world(2026) and build_world(scale=1) share one world."""
    return _cached_world(int(seed), float(scale))


@functools.lru_cache(maxsize=8)
def _cached_world(seed: int, scale: float) -> World:
    return World(seed, scale)
