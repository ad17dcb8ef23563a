"""Pain points in negative reviews: (aspect, opinion) pairs, their themes, theme shares and the playbook's
differentiation-opportunity rule.

The playbook reads competitors' negative reviews to find what buyers suffer from (漏电, 噪音大, 质量差) and what a
better product could fix. This module does that in four steps:

1. `extract_pairs` splits a review into clauses (nlp.text.clauses, so 外观好看，但是噪音有点大 has two), keeps the
   negative ones (`is_negative`, by default the lexicon rules below; the sentiment model plugs in there), tags
   them with jieba.posseg and finds complaints with the lexicon of `nlp.themes`: a noun plus a negative word
   (噪音 + 大, 发货 + 慢), a stand-alone complaint (漏电, 掉漆), a negated positive word (不稳, 没瘦), a noun whose
   presence or absence is the complaint (有味道, 没效果). Negators in front (不漏水, 没有异味, 一点都不吵) cancel a
   complaint. Each pair gets a theme: a stand-alone complaint's own, else the aspect's, else a weak default.
2. `cluster_leftovers` groups the negative clauses the rules could not theme (TF-IDF + NMF), labelled by their
   top terms, so new kinds of complaints still surface.
3. `theme_shares` turns a set of negative reviews into each theme's share (a review counts once per theme), rank,
   short examples and a weekly trend.
4. `differentiation_opportunity` applies the rule: competitors mostly sell cheap and one product theme exceeds
   30 % of their negative reviews -> a 高质中价 (high quality, mid price) opportunity.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median
from typing import Protocol

from nlp import themes as lex
from nlp.text import STOPWORDS, clauses, content_words, normalise, pos_segment

MAX_NGRAM = 4            # lexicon entries span at most this many jieba tokens (搓 + 泥, 不 + 支持 + 快充)
MODIFIER_SPAN = 4        # negators and degree adverbs looked at in front of an opinion
ASPECT_SPAN = 6          # units looked at in front of an opinion for its aspect
NOUN_FLAGS = ("n", "vn", "nz", "ng")
PEEL_PREFIXES = ("没有", "不太", "有点", "特别", "非常", "不", "没", "无", "未", "太", "很", "超", "偏", "挺", "真",
                 "好", "巨", "贼", "略")
"""Prefixes jieba glues to an opinion (太贵, 不漏水, 很差); split off when the rest is a lexicon word."""
PARTICLES = ("得", "的", "了", "啦", "死")
"""Particles jieba glues to the end of an opinion (吵得, 充得); split off when the rest is a lexicon word."""
SOFTENERS = ("一点", "一些", "了点")
""""A bit" glued after an opinion (差一点, 贵了点); split off likewise."""
USE_COUNT_WORDS = frozenset(("没用", "没用过"))
USE_SPANS = frozenset(("多久", "多长时间", "两次", "几次", "几天", "多少次", "一次", "两天", "三天", "一周", "一个月"))
"""没用 followed by a count or a span (没用几次就坏了) means "hardly used", not "useless"."""
INTENSIFIERS_AFTER = frozenset(("死", "爆", "死了", "爆了", "炸", "要命"))
INTENSIFIERS_AFTER_DE = frozenset(("要命", "不行", "厉害", "像", "离谱", "受不了", "过分", "吓人", "出奇", "夸张",
                                   "要死", "没法"))
"""After a scalar (directly, or after 得) they say "so much that" (重死了, 热得像暖手宝): as good as 太."""
FILLERS = frozenset(("的", "得", "地", "了", "是", "也", "都", "就", "还", "又", "吧", "啊", "呀"))


# --- the lexicon, indexed by word ------------------------------------------------------------------------------


@dataclass
class _Entry:
    """Everything one word can be. A word may be several things: 效果 is an aspect (效果差) and a noun whose
    absence is a complaint (没效果)."""

    aspects: tuple[str, ...] = ()     # themes of the aspect, in lexicon order
    strong: str | None = None         # complaint with its own theme
    weak: str | None = None           # complaint whose theme an aspect overrides
    complaint: bool = False           # strong, weak or generic complaint
    positive: bool = False            # its negation is a complaint
    negated_theme: str | None = None  # the theme of that negation, unless an aspect says otherwise
    scalar: bool = False
    lacking: str | None = None
    present: str | None = None
    neutral: bool = False
    insufficient: bool = False        # 不够: a modifier (不够长), or a complaint at the end (长度不够)


def _build_index() -> dict[str, _Entry]:
    index: dict[str, _Entry] = {}

    def entry(word: str) -> _Entry:
        return index.setdefault(word, _Entry())

    for theme in lex.THEMES:
        for word in theme.aspects:
            entry(word).aspects += (theme.name,)
        for word in theme.complaints:
            entry(word).strong, entry(word).complaint = theme.name, True
        for word in theme.hints:
            entry(word).weak, entry(word).complaint = theme.name, True
        for word in theme.negated:
            entry(word).positive, entry(word).negated_theme = True, theme.name
        for word in theme.lacking:
            entry(word).lacking = theme.name
        for word in theme.present:
            entry(word).present = theme.name
    for word in lex.GENERIC_COMPLAINTS:
        entry(word).complaint = True
    for word in lex.GENERIC_POSITIVES:
        entry(word).positive = True
    for word in lex.SCALARS | {w for theme in lex.THEMES for w in theme.bad_directions}:
        entry(word).scalar = True
    for word in lex.INSUFFICIENT:
        entry(word).insufficient = True
    for word in lex.NEUTRAL:
        entry(word).neutral = True
    return index


_INDEX = _build_index()
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff]) +(?=[\u4e00-\u9fff])")
_MODIFIERS = lex.NEGATORS | lex.INSUFFICIENT | lex.EXCESS | lex.DEGREE
_NOT_NOUNS = _MODIFIERS | lex.NON_ASPECTS | FILLERS
_BAD_DIRECTIONS = {t.name: t.bad_directions for t in lex.THEMES}


# --- results ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """One complaint in a clause. `aspect` is the thing complained about as written (噪音, 充电速度), None for a
    bare complaint (漏电); `opinion` is the complaint as written from its negator or verb on (不太稳, 没什么效果,
    有味道), without degree adverbs in front (噪音有点大: 大); `theme` is the normalised pain point, None when the
    rules found a complaint they could not theme (its clause is then a leftover for clustering)."""

    aspect: str | None
    opinion: str
    theme: str | None
    clause: str


@dataclass(frozen=True)
class ReviewPains:
    """What one review complains about: its pairs, its negative clauses, and those with no themed pair."""

    pairs: tuple[Pair, ...]
    negative_clauses: tuple[str, ...]
    leftovers: tuple[str, ...]

    @property
    def themes(self) -> tuple[str, ...]:
        """Distinct themes in order of first mention."""
        return tuple(dict.fromkeys(p.theme for p in self.pairs if p.theme))


@dataclass(frozen=True)
class _Unit:
    word: str
    flag: str
    entry: _Entry | None


@dataclass(frozen=True)
class _Modifiers:
    negator: str | None       # the negator in front, when the count of negators is odd
    insufficient: str | None  # 不够
    excess: bool              # 太, 偏, 有点
    have: str | None          # 有, 一股: directly in front, not negated
    start: int                # index of the first negator, 不够 or 有 (the opinion as written starts there)


# --- extraction ------------------------------------------------------------------------------------------------


def extract_pairs(text: str, is_negative: Callable[[str], bool] | None = None) -> list[Pair]:
    """The (aspect, opinion, theme) complaints of a review's negative clauses. `is_negative` decides per clause
    (e.g. the sentiment model); by default a clause is negative when the lexicon finds a complaint or negative
    sentiment in it."""
    return list(analyse(text, is_negative).pairs)


def analyse(text: str, is_negative: Callable[[str], bool] | None = None) -> ReviewPains:
    """Pairs, negative clauses and leftover clauses (negative, but no themed pair) of one review."""
    pairs: list[Pair] = []
    negative: list[str] = []
    leftovers: list[str] = []
    for clause, tokens in _clause_tokens(text):
        units = _units(tokens)
        found = _complaints(units, clause)
        if not (is_negative(clause) if is_negative else _lexicon_negative(units, found)):
            continue
        negative.append(clause)
        pairs += found
        if not any(p.theme for p in found):
            leftovers.append(clause)
    return ReviewPains(tuple(pairs), tuple(negative), tuple(leftovers))


def _clauses(text: str) -> list[str]:
    """nlp.text.clauses, also split where a space separates Chinese phrases (到货了 里面断芯了): buyers use spaces
    as commas, and a complaint should not take its aspect from the phrase before."""
    return [part for clause in clauses(text) for part in _CJK_SPACE.split(clause) if part]


def _clause_tokens(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each clause with its POS-tagged tokens. The review is tagged once and its tokens are dealt out to the
    clauses by position: one jieba.posseg call per review instead of one per clause is about 1.5 times faster,
    with the same tokens (jieba cuts at punctuation and spaces anyway). A token that starts in a clause belongs
    to it."""
    normalised = normalise(text)
    spans: list[tuple[str, int, int]] = []
    position = 0
    for clause in _clauses(text):
        start = normalised.find(clause, position)
        if start < 0:                   # not where expected: tag this clause on its own
            return [(c, pos_segment(c)) for c in _clauses(text)]
        spans.append((clause, start, start + len(clause)))
        position = start + len(clause)
    if not spans:
        return []
    tokens: list[list[tuple[str, str]]] = [[] for _ in spans]
    offset, i = 0, 0
    for word, flag in pos_segment(normalised):
        at = normalised.find(word, offset)
        if at < 0:
            continue
        offset = at + len(word)
        while i < len(spans) - 1 and at >= spans[i][2]:
            i += 1
        if spans[i][1] <= at < spans[i][2]:
            tokens[i].append((word, flag))
    return [(clause, clause_tokens) for (clause, _, _), clause_tokens in zip(spans, tokens, strict=True)]


def is_negative_clause(clause: str) -> bool:
    """The default clause classifier: a complaint or negative sentiment from the lexicon, not negated."""
    units = _units(pos_segment(clause))
    return _lexicon_negative(units, _complaints(units, clause))


def _lexicon_negative(units: list[_Unit], complaints: list[Pair]) -> bool:
    return bool(complaints) or any(u.word in lex.NEGATIVE_SENTIMENT and not _modifiers(units, k, -1).negator
                                   for k, u in enumerate(units))


def _units(tokens: list[tuple[str, str]]) -> list[_Unit]:
    """jieba tokens regrouped into lexicon words. Tokens that glue a prefix, an aspect or a particle to an
    opinion (太贵, 速度慢, 吵得) are split first; then the longest run of up to MAX_NGRAM pieces that is a lexicon
    word becomes one unit (搓 + 泥, 饱腹 + 感)."""
    pieces = _realign([piece for word, flag in tokens if flag != "x" and not word.isspace()
                       for piece in _split(word, flag)])
    units: list[_Unit] = []
    i = 0
    while i < len(pieces):
        for n in range(min(MAX_NGRAM, len(pieces) - i), 1, -1):
            joined = "".join(w for w, _ in pieces[i:i + n])
            if joined in _INDEX:
                units.append(_Unit(joined, pieces[i + n - 1][1], _INDEX[joined]))
                i += n
                break
        else:
            word, flag = pieces[i]
            units.append(_Unit(word, flag, _INDEX.get(word)))
            i += 1
    return units


def _split(word: str, flag: str) -> list[tuple[str, str]]:
    """One jieba token as lexicon-sized pieces, or unchanged."""
    if word in _INDEX or len(word) < 2:
        return [(word, flag)]
    for prefix in PEEL_PREFIXES:
        if word.startswith(prefix) and word[len(prefix):] in _INDEX:
            return [(prefix, "d"), (word[len(prefix):], flag)]
    if word[-1] in PARTICLES and word[:-1] in _INDEX:
        return [(word[:-1], flag), (word[-1], "u")]
    for tail in SOFTENERS:                              # 差一点, 贵了点: "a bit" after the opinion
        if word.endswith(tail) and word[:-len(tail)] in _INDEX:
            return [(word[:-len(tail)], flag), (tail, "m")]
    if len(word) == 3 and word[1] == word[2] and word[0] in _INDEX:     # ABB forms: 臭烘烘, 脏兮兮
        return [(word[0], flag), (word[1:], "z")]
    for cut in range(len(word) - 1, 1, -1):           # heads of two characters or more: not 细腻, 出差
        entry = _INDEX.get(word[cut:])
        if entry and (entry.complaint or entry.scalar):
            return [(word[:cut], "n"), (word[cut:], "a")]
    return [(word, flag)]


def _realign(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Moves a boundary jieba put one or two characters off when both sides then are words we know: lexicon
    words (饱腹 | 感差 -> 饱腹感 | 差), or a function word before a lexicon word (不 | 过滤芯 -> 不过 | 滤芯)."""
    out = list(pieces)
    for i in range(len(out) - 1):
        (left, left_flag), (right, right_flag) = out[i], out[i + 1]
        if right in _INDEX:
            continue
        for m in (1, 2):
            head = left + right[:m]
            if len(right) > m and (head in _INDEX or head in STOPWORDS) and right[m:] in _INDEX:
                out[i], out[i + 1] = (head, left_flag), (right[m:], right_flag)
                break
    return out


def _complaints(units: list[_Unit], clause: str) -> list[Pair]:
    pairs: list[Pair] = []
    floor = -1
    for j, unit in enumerate(units):
        if unit.entry is None or unit.entry.neutral:
            continue
        pair = _judge(units, j, floor, clause)
        if pair is not None:
            if pair not in pairs:
                pairs.append(pair)
            floor = j
    return pairs


def _judge(units: list[_Unit], j: int, floor: int, clause: str) -> Pair | None:
    """The complaint unit j makes, if any, given what stands in front of and behind it."""
    unit, entry = units[j], units[j].entry
    assert entry is not None
    if _describes_complaint_noun(units, j) or _counts_uses(units, j):
        return None
    mods = _modifiers(units, j, floor)
    if entry.lacking and mods.negator:
        return _pair(units, j, floor, clause, _span(units, mods.start, j), strong=entry.lacking)
    if entry.present and mods.have:
        return _pair(units, j, floor, clause, _span(units, mods.start, j), strong=entry.present)
    if entry.complaint:
        if mods.negator:
            return None
        return _pair(units, j, floor, clause, unit.word, strong=entry.strong, weak=entry.weak)
    if entry.positive and (mods.negator or mods.insufficient):
        return _pair(units, j, floor, clause, _span(units, mods.start, j), weak=entry.negated_theme)
    if entry.scalar and not mods.negator:
        return _scalar_pair(units, j, floor, clause, mods)
    if entry.insufficient and not _qualifies_next(units, j):
        return _pair(units, j, floor, clause, unit.word)
    return None


def _describes_complaint_noun(units: list[_Unit], j: int) -> bool:
    """很重的胶味, 很大的异味: the adjective only qualifies a noun that is itself the complaint."""
    if j + 2 >= len(units) or units[j + 1].word != "的":
        return False
    noun = units[j + 2].entry
    return noun is not None and noun.complaint


def _counts_uses(units: list[_Unit], j: int) -> bool:
    """没用几次就坏了 says "used only a few times", not 没用 "useless"."""
    if units[j].word not in USE_COUNT_WORDS or j + 1 >= len(units):
        return False
    following = units[j + 1]
    return following.flag.startswith("m") or following.word in USE_SPANS or following.word[0] in "几多"


def _qualifies_next(units: list[_Unit], j: int) -> bool:
    """Whether 不够 at j modifies the next word (不够长, 不够结实) rather than ending the complaint (长度不够)."""
    following = units[j + 1].entry if j + 1 < len(units) else None
    return following is not None and (following.positive or following.scalar)


def _scalar_pair(units: list[_Unit], j: int, floor: int, clause: str, mods: _Modifiers) -> Pair | None:
    """大, 小, 重 ... complain only when marked as too much (太重, 偏小, 不够长, 热得像暖手宝) or when they are the bad
    direction of their aspect's theme (噪音大, 价格高), whose theme they then take (味道大 is 异味, not 口感)."""
    word = units[j].word
    aspect, aspect_themes = _aspect(units, j, floor)
    directions = lex.ASPECT_BAD_DIRECTIONS.get(aspect or "")
    licensed = [t for t in aspect_themes if word in (directions or _BAD_DIRECTIONS[t])]
    intensified = _intensified(units, j)
    if licensed:
        theme: str | None = licensed[0]
    elif mods.excess or mods.insufficient or intensified:
        theme = lex.SCALAR_DEFAULT_THEMES.get(word) or (aspect_themes[0] if aspect_themes else None)
    else:
        return None
    return Pair(aspect, _span(units, mods.start, j) if mods.insufficient else word, theme, clause)


def _intensified(units: list[_Unit], j: int) -> bool:
    following = [u.word for u in units[j + 1:j + 3]]
    if following[:1] and following[0] in INTENSIFIERS_AFTER:
        return True
    return following[:1] == ["得"] and len(following) == 2 and following[1] in INTENSIFIERS_AFTER_DE


def _pair(units: list[_Unit], j: int, floor: int, clause: str, opinion: str, *, strong: str | None = None,
          weak: str | None = None) -> Pair:
    """Theme order: the complaint's own theme, else the aspect's, else the complaint's weak default."""
    aspect, aspect_themes = _aspect(units, j, floor)
    theme = strong or (aspect_themes[0] if aspect_themes else None) or weak
    return Pair(aspect, opinion, theme, clause)


def _modifiers(units: list[_Unit], j: int, floor: int) -> _Modifiers:
    negators: list[str] = []
    insufficient = None
    excess = False
    have = None
    start = j
    k = j - 1
    while k > floor and j - k <= MODIFIER_SPAN:
        word = units[k].word
        if word not in _MODIFIERS and not (word in lex.HAVE and k == j - 1):
            break
        if word in lex.NEGATORS:
            negators.append(word)
            start = k
        elif word in lex.INSUFFICIENT:
            insufficient, start = word, k
        elif word in lex.HAVE:
            have, start = word, k
        if word in lex.EXCESS:
            excess = True
        k -= 1
    negator = negators[-1] if len(negators) % 2 else None
    return _Modifiers(negator, insufficient, excess, None if negator else have, start)


def _span(units: list[_Unit], start: int, end: int) -> str:
    return "".join(u.word for u in units[start:end + 1])


def _aspect(units: list[_Unit], j: int, floor: int) -> tuple[str | None, tuple[str, ...]]:
    """The thing complained about and its themes. An adjective qualifying a noun names it (很大的噪音: 噪音).
    Otherwise the aspect is the nearest run of nouns in front of the opinion (水泵声音); its themes are those of the
    run's last lexicon aspect, else of the nearest lexicon aspect further back within reach, which then names
    the aspect (发货的速度慢: 发货)."""
    if j + 2 < len(units) and units[j + 1].word == "的" and _is_nounish(units[j + 2]):
        noun = units[j + 2]
        return noun.word, noun.entry.aspects if noun.entry else ()
    start = max(floor + 1, j - ASPECT_SPAN)
    nounish = [k for k in range(j - 1, start - 1, -1) if _is_nounish(units[k])]
    if not nounish:
        return None, ()
    run = [nounish[0]]
    for k in nounish[1:]:
        if k != run[-1] - 1:
            break
        run.append(k)
    themed = next((k for k in nounish if units[k].entry is not None and units[k].entry.aspects), None)
    if themed is None:
        return _join(units, run), ()
    themes = units[themed].entry.aspects  # type: ignore[union-attr]
    return (_join(units, run) if themed in run else units[themed].word), themes


def _join(units: list[_Unit], indices: list[int]) -> str:
    return "".join(units[k].word for k in sorted(indices))


def _is_nounish(unit: _Unit) -> bool:
    entry = unit.entry
    if entry is not None and entry.aspects:
        return True
    if entry is not None and (entry.complaint or entry.scalar or entry.positive):
        return False
    return unit.flag in NOUN_FLAGS and unit.word not in STOPWORDS and unit.word not in _NOT_NOUNS



# --- what the rules miss ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtraTheme:
    """A cluster of leftover complaint clauses, labelled by its top terms (e.g. 出水/水流/变小)."""

    label: str
    terms: tuple[str, ...]
    size: int                   # clauses in the cluster
    examples: tuple[str, ...]
    members: tuple[int, ...]    # indices of its clauses in the input


def cluster_leftovers(leftovers: Sequence[str], k: int | None = None, *, min_clauses: int = 20, max_k: int = 8,
                      top_terms: int = 3, examples: int = 3, random_state: int = 0) -> list[ExtraTheme]:
    """Clusters the negative clauses the rules could not theme into extra themes (TF-IDF over content words,
    NMF with nndsvd initialisation, so the same input always gives the same clusters), largest first.

    Fewer than `min_clauses` clauses give no clusters: a handful of odd complaints is no theme. Without `k`, the
    number of clusters grows with the square root of the clause count (20 clauses: 2, 125: 5), up to `max_k`.
    Sentiment and filler words (失望, 垃圾, 东西) are left out, so clusters form around what the complaint is
    about."""
    # scikit-learn takes about a second to import, and only clustering needs it.
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(leftovers) < min_clauses:
        return []
    documents = [[w for w in content_words(c) if w not in lex.GENERIC_TERMS] for c in leftovers]
    kept = [i for i, words in enumerate(documents) if words]
    vectoriser = TfidfVectorizer(analyzer=lambda words: words, min_df=2)
    try:
        matrix = vectoriser.fit_transform([documents[i] for i in kept])
    except ValueError:          # no term occurs twice: nothing to cluster
        return []
    vocabulary = vectoriser.get_feature_names_out()
    clusters = min(k or max(2, round(math.sqrt(len(kept) / 5))), max_k if k is None else k, len(vocabulary),
                   len(kept))
    if clusters < 1:
        return []
    model = NMF(n_components=clusters, init="nndsvd", random_state=random_state, max_iter=500)
    weights = model.fit_transform(matrix)
    groups: dict[int, list[int]] = {}
    for row, original in enumerate(kept):
        if weights[row].max() > 0:
            groups.setdefault(int(weights[row].argmax()), []).append(original)
    extra = []
    for component, members in groups.items():
        order = model.components_[component].argsort()[::-1][:top_terms]
        terms = tuple(str(vocabulary[i]) for i in order if model.components_[component][i] > 0)
        shortest = sorted(dict.fromkeys(leftovers[i] for i in members), key=lambda c: (len(c), c))[:examples]
        extra.append(ExtraTheme("/".join(terms), terms, len(members), tuple(shortest), tuple(members)))
    return sorted(extra, key=lambda e: (-e.size, e.label))


# --- theme shares ----------------------------------------------------------------------------------------------


class ReviewLike(Protocol):
    """What the pain-point report reads from a review: the store's ReviewRow and the demo's Review fit.
    `rating` is stars (1-5) or None; `posted_at` a datetime, a date or None."""

    @property
    def text(self) -> str: ...

    @property
    def rating(self) -> float | None: ...

    @property
    def posted_at(self) -> datetime | date | None: ...


@dataclass(frozen=True)
class PeriodShare:
    """A theme in one week (starting Monday) of negative reviews."""

    start: date
    negative_reviews: int
    reviews: int
    share: float


@dataclass(frozen=True)
class ThemeShare:
    theme: str
    reviews: int                # negative reviews mentioning the theme (once each)
    share: float                # reviews / all negative reviews of the report
    rank: int
    examples: tuple[str, ...]   # short clauses that carry the theme
    trend: tuple[PeriodShare, ...]


@dataclass(frozen=True)
class ThemeReport:
    negative_reviews: int
    explained: int              # negative reviews with at least one theme
    themes: tuple[ThemeShare, ...]
    extra_themes: tuple[ExtraTheme, ...]

    def share(self, theme: str) -> float:
        return next((t.share for t in self.themes if t.theme == theme), 0.0)

    def top(self, n: int) -> list[str]:
        return [t.theme for t in self.themes[:n]]


def is_negative_review(review: ReviewLike, *, max_stars: float = 2, max_score: float = 0.4) -> bool:
    """The config's definition (thresholds.reviews) on a review: see `judged_negative`. Sentiment scores are the
    store's (`sentiment_score`, `append_sentiment_score` on ReviewRow); a review without them is judged by stars."""
    return judged_negative(review.rating, getattr(review, "sentiment_score", None),
                           getattr(review, "append_sentiment_score", None), max_stars=max_stars, max_score=max_score)


def judged_negative(rating: float | None, score: float | None, append_score: float | None = None, *,
                    max_stars: float = 2, max_score: float = 0.4) -> bool:
    """The one rule of what a negative review is (thresholds.reviews): 1-2 stars, or a sentiment score
    (probability of positive) below 0.4, or a follow-up review (追评) scored below 0.4: a five-star review whose
    buyer comes back to say it broke is a complaint, whatever its stars say. (store.reviews_judged_negative
    applies the same rule in SQL.)"""
    if rating is not None and rating <= max_stars:
        return True
    return any(value is not None and value < max_score for value in (score, append_score))


def theme_shares(reviews: Iterable[ReviewLike], *, is_negative: Callable[[str], bool] | None = None,
                 examples: int = 3, cluster: bool = True, min_cluster_clauses: int = 20) -> ThemeReport:
    """Each theme's share of a set of negative reviews (of a product, a keyword's competitors or a category):
    a review counts once per theme however often it repeats it, and the share's denominator is every review
    given, also those where no theme was found. Ranks go by count (ties by lexicon order). Reviews with a date
    add a weekly trend per theme. `is_negative` picks the clauses to read (see `extract_pairs`); leftover
    clauses are clustered into extra themes when there are enough of them."""
    return summarise_pains(((review, analyse(review.text, is_negative)) for review in reviews), examples=examples,
                           cluster=cluster, min_cluster_clauses=min_cluster_clauses)


def summarise_pains(analysed: Iterable[tuple[ReviewLike, ReviewPains]], *, examples: int = 3, cluster: bool = True,
                    min_cluster_clauses: int = 20) -> ThemeReport:
    """`theme_shares` of reviews whose pains are known already (e.g. read back from the store, so a pass over
    stored reviews does not segment them again)."""
    order = {name: i for i, name in enumerate(lex.THEME_NAMES)}
    counts: dict[str, int] = {}
    clauses_of: dict[str, list[str]] = {}
    weekly_total: dict[date, int] = {}
    weekly: dict[tuple[str, date], int] = {}
    leftovers: list[str] = []
    total = explained = 0
    for review, pains in analysed:
        total += 1
        week = _week(review.posted_at)
        if week is not None:
            weekly_total[week] = weekly_total.get(week, 0) + 1
        if pains.themes:
            explained += 1
        else:
            leftovers += pains.leftovers
        for theme in pains.themes:
            counts[theme] = counts.get(theme, 0) + 1
            clauses_of.setdefault(theme, []).append(next(p.clause for p in pains.pairs if p.theme == theme))
            if week is not None:
                weekly[(theme, week)] = weekly.get((theme, week), 0) + 1
    ranked = sorted(counts, key=lambda t: (-counts[t], order.get(t, len(order)), t))
    weeks = sorted(weekly_total)
    shares = tuple(
        ThemeShare(theme, counts[theme], counts[theme] / total, rank, _examples(clauses_of[theme], examples),
                   tuple(PeriodShare(w, weekly_total[w], weekly.get((theme, w), 0),
                                     weekly.get((theme, w), 0) / weekly_total[w]) for w in weeks))
        for rank, theme in enumerate(ranked, start=1))
    extra = cluster_leftovers(leftovers, min_clauses=min_cluster_clauses) if cluster else []
    return ThemeReport(total, explained, shares, tuple(extra))


def _week(moment: datetime | date | None) -> date | None:
    if moment is None:
        return None
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def _examples(clauses_: list[str], n: int) -> tuple[str, ...]:
    """Short, distinct clauses: quick to read in an alert or a report."""
    return tuple(sorted(dict.fromkeys(clauses_), key=lambda c: (len(c), c))[:n])


# --- the differentiation-opportunity rule ----------------------------------------------------------------------


@dataclass(frozen=True)
class Insight:
    """A 高质中价 opportunity: competitors mostly sell cheap and their buyers complain about one product theme."""

    kind: str
    theme: str
    share: float                # of the competitors' negative reviews
    theme_reviews: int
    negative_reviews: int
    low_price_listings: int
    listings: int
    reference_price: float      # "low price" means below this
    suggested_price: float
    action: str
    detail: dict = field(default_factory=dict)


def differentiation_opportunity(
    competitor_prices: Sequence[float],
    report: ThemeReport,
    *,
    market_prices: Sequence[float] | None = None,
    own_price_band: tuple[float, float] | None = None,
    theme_share: float = 0.30,
    low_price_share: float = 0.7,
    min_reviews: int = 20,
    value_premium_pct: float = 30,
    themes: Iterable[str] = lex.PRODUCT_THEMES,
) -> Insight | None:
    """The playbook rule: if the keyword's top competitors mostly sell on low price and one product theme (质量,
    稳固, 安全 ...) is in more than `theme_share` of their negative reviews, a better-made product at a mid price
    is a differentiation opportunity. Thresholds come from config.toml (thresholds.opportunity).

    "Low price" needs a reference outside the competitors themselves (at most half of them can be below their
    own median): the median of the keyword's whole market (`market_prices`, e.g. every listing of the search
    results) when given, else the middle of our own price band, i.e. where a mid-priced offer of ours would sit.
    A listing is low-priced below that reference; the competitors "mostly sell cheap" when at least
    `low_price_share` of them are. Shares over fewer than `min_reviews` negative reviews are not trusted. Themes
    outside the product (物流, 服务, 价格, 包装) never qualify: a better product does not fix them.

    The suggested price is the competitors' median plus `value_premium_pct` (value pricing), kept inside our band
    when one is given. Returns None when the rule does not hold or the evidence is too thin."""
    if not competitor_prices or report.negative_reviews < min_reviews:
        return None
    reference = _reference_price(market_prices, own_price_band)
    if reference is None:
        raise ValueError("differentiation_opportunity needs market_prices or own_price_band as the price reference")
    low = sum(1 for price in competitor_prices if price < reference)
    if low / len(competitor_prices) < low_price_share:
        return None
    eligible = set(themes)
    top = next((t for t in report.themes if t.theme in eligible and t.share > theme_share), None)
    if top is None:
        return None
    price = median(competitor_prices) * (1 + value_premium_pct / 100)
    if own_price_band is not None:
        price = min(max(price, own_price_band[0]), own_price_band[1])
    price = round(price, 2)
    action = (f"竞品 {low}/{len(competitor_prices)} 家低于 {reference:.2f} 元，差评中「{top.theme}」占 "
              f"{top.share:.0%}（{top.reviews}/{report.negative_reviews}）：可做高质中价，主打{top.theme}改进，"
              f"建议价约 {price:.2f} 元")
    return Insight(
        kind="differentiation_opportunity", theme=top.theme, share=top.share, theme_reviews=top.reviews,
        negative_reviews=report.negative_reviews, low_price_listings=low, listings=len(competitor_prices),
        reference_price=round(reference, 2), suggested_price=price, action=action,
        detail={"examples": list(top.examples), "competitor_median": median(competitor_prices),
                "thresholds": {"theme_share": theme_share, "low_price_share": low_price_share,
                               "min_reviews": min_reviews, "value_premium_pct": value_premium_pct}},
    )


def _reference_price(market_prices: Sequence[float] | None,
                     own_price_band: tuple[float, float] | None) -> float | None:
    if market_prices:
        return float(median(market_prices))
    if own_price_band is not None:
        return (own_price_band[0] + own_price_band[1]) / 2
    return None
