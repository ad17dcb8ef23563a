"""Analysis text for Chinese reviews and titles: normalisation, jieba segmentation, content words and clauses.

Every function here produces text for analysis only; callers keep the original text for display. The pipeline is
meant for 100,000 reviews at a time, so `normalise` is a handful of C-level passes (str.translate, a few compiled
regexes, OpenCC) and jieba's dictionary, with ShopSentinel's user dictionary on top, is loaded once per process.

Choices worth knowing:

- Traditional to Simplified uses OpenCC's `t2s` (the `opencc` wheel): about 3 µs per review, ten times faster
  than zhconv here, and jieba segments Traditional text badly.
- Full-width letters, digits and punctuation become half-width (`，` → `,`, `！` → `!`, `１２` → `12`, the
  ideographic space → space); CJK characters and `。`/`、` stay.
- Emoji: a few strong ones become words the sentiment model already knows from text (👍 → 赞, 😡 → 怒, 😭 → 难过,
  see `EMOJI_WORDS`); every other emoji (and variation selectors, skin tones, joiners) is removed. 😂 is dropped
  on purpose: in reviews it is as often sarcasm as joy.
- Bracket emoticons such as `[赞]`, `[怒]`, `[哈哈]` lose their brackets (a few are mapped, `[泪]` → 难过).
- Runs of the same punctuation collapse (`!!!` → `!`, `。。。` → `。`, `?!?` → `?`), whitespace collapses to
  one space, line breaks survive as one `\\n` (so `clauses` can split on them), HTML entities are unescaped.
- Stopwords (`data/stopwords.txt`) are function words, pronouns, particles, contrast conjunctions and plain degree
  adverbs (很, 挺, 非常); negators (不, 没, 无, 别) and opinion words are not stopwords, since pain points depend
  on them.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from pathlib import Path
from typing import Any

import opencc

DATA = Path(__file__).resolve().parent / "data"
USER_DICT = DATA / "userdict.txt"
STOPWORDS_FILE = DATA / "stopwords.txt"

STOPWORDS: frozenset[str] = frozenset(
    line.strip() for line in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines() if line.strip())

EMOJI_WORDS: dict[str, str] = {
    **dict.fromkeys("👍👌💯👏🙌💪", "赞"),
    **dict.fromkeys("❤♥💕💖💗💓💞😍🥰😘😻", "喜欢"),
    **dict.fromkeys("😊😄😁😀😃☺🙂😆🎉🥳😋", "开心"),
    "👎": "差",
    **dict.fromkeys("😡😠🤬💢😤", "怒"),
    **dict.fromkeys("😞😔😟🙁☹😩😫😒🙄", "失望"),
    **dict.fromkeys("😭😢😿💔", "难过"),
    **dict.fromkeys("🤮🤢💩", "恶心"),
}
BRACKET_WORDS: dict[str, str] = {"泪": "难过", "衰": "失望", "抓狂": "怒", "鄙视": "差", "弱": "差",
                                 "强": "赞", "good": "赞", "ok": "赞", "给力": "赞", "爱心": "喜欢", "心": "喜欢",
                                 "色": "喜欢", "耶": "开心", "憨笑": "开心"}

_FULL_TO_HALF = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2190-\u21FF\u2300-\u23FF"
                    "\uFE0E\uFE0F\u200D\u20E3\U000E0020-\U000E007F]")
_BRACKET = re.compile(r"\[([\u4e00-\u9fffA-Za-z]{1,4})\]")
_PUNCT_RUN = re.compile(r"([!?])[!?]+|([,.~;:。、…\-_=*·])\2+")
_CLAUSE_BREAK = re.compile(r"[,，。!！?？;；~～…\n]|\.(?!\d)|(?<!\d)\.|(?<!不)(?=但(?!凡)|就是|不过|可是|然而)")
_HAS_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")

_t2s = opencc.OpenCC("t2s")
_load_lock = threading.Lock()
_tokenizer: Any = None          # jieba's default Tokenizer once loaded; jieba is imported lazily (about 0.4 s),
                                # so the sentiment path, which never segments, starts without it


def load_dictionaries() -> None:
    """Load jieba's dictionary and the shipped user dictionary into jieba's default tokenizer, once per process.

    The default tokenizer is used (not a private one) so that jieba.posseg and jieba.analyse see the same words.
    Thread-safe; later calls return at once."""
    global _tokenizer
    if _tokenizer is not None:
        return
    with _load_lock:
        if _tokenizer is not None:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        jieba.load_userdict(str(USER_DICT))
        _tokenizer = jieba.dt


def _emoji_word(match: re.Match[str]) -> str:
    word = EMOJI_WORDS.get(match.group())
    return f" {word} " if word else ""


def _bracket_word(match: re.Match[str]) -> str:
    inner = match.group(1)
    return f" {BRACKET_WORDS.get(inner.lower(), inner)} "


def _first_mark(match: re.Match[str]) -> str:
    return match.group(1) or match.group(2)


def _collapse_whitespace(text: str) -> str:
    if "\n" not in text and "\r" not in text:
        return " ".join(text.split())
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def normalise(text: str | None) -> str:
    """Analysis form of a review or title (see the module docstring for each step); "" for None or empty."""
    if not text:
        return ""
    if "&" in text:
        text = html.unescape(text)
    text = _EMOJI.sub(_emoji_word, text.translate(_FULL_TO_HALF))
    text = _t2s.convert(text)
    if "[" in text:
        text = _BRACKET.sub(_bracket_word, text)
    if _PUNCT_RUN.search(text):
        text = _PUNCT_RUN.sub(_first_mark, text)
    return _collapse_whitespace(text)


def segment(text: str | None) -> list[str]:
    """jieba words of the normalised text, with the user dictionary; whitespace tokens dropped, stopwords kept."""
    load_dictionaries()
    return [word for word in _tokenizer.lcut(normalise(text)) if not word.isspace()]


def _is_content(word: str) -> bool:
    """A word carries content unless it is a stopword, punctuation, a number or a single non-CJK character."""
    if word in STOPWORDS or not _HAS_WORD.search(word):
        return False
    return len(word) > 1 or "\u4e00" <= word <= "\u9fff"


def content_words(text: str | None) -> list[str]:
    """`segment` minus stopwords, punctuation, numbers and single-character noise (single CJK words such as 差 or
    慢 stay: they are opinions)."""
    return [word for word in segment(text) if _is_content(word)]


def pos_segment(text: str | None) -> list[tuple[str, str]]:
    """(word, jieba part-of-speech flag) pairs of the normalised text, same dictionary as `segment`.

    jieba.posseg is imported here, not at module import: it loads its HMM tables (about a second), which the
    sentiment path never needs."""
    import jieba.posseg

    load_dictionaries()
    return [(pair.word, pair.flag) for pair in jieba.posseg.lcut(normalise(text)) if not pair.word.isspace()]


def clauses(text: str | None) -> list[str]:
    """Clauses of the normalised text: split on ，,。.！!？?；;～~… and line breaks (not inside numbers such as 2.5),
    and before the contrast words 但是/但/就是/不过/可是/然而, which start the new clause (不但 and 但凡 do not).
    Empty clauses are dropped."""
    parts = (part.strip() for part in _CLAUSE_BREAK.split(normalise(text)))
    return [part for part in parts if part]
