"""nlp.text: normalisation edge cases, segmentation with the shipped dictionary, content words, POS pairs, clauses."""

from __future__ import annotations

import threading
import time

import pytest

from nlp import text
from nlp.text import STOPWORDS, clauses, content_words, normalise, pos_segment, segment


@pytest.mark.parametrize(("raw", "expected"), [
    (None, ""),
    ("", ""),
    ("   \t ", ""),
    ("質量太差了，用了兩次就散架", "质量太差了,用了两次就散架"),                     # Traditional -> Simplified
    ("ＡＢＣ１２３，好！", "ABC123,好!"),                                             # full-width -> half-width
    ("价格\u3000很好", "价格 很好"),                                                   # ideographic space
    ("好用!!!", "好用!"),
    ("真的吗？？？！！", "真的吗?"),
    ("发货慢。。。", "发货慢。"),
    ("好~~~~", "好~"),
    ("&lt;包邮&gt; &amp; 送货上门", "<包邮> & 送货上门"),                             # HTML entities
    ("Nice product，很好用 but a bit 贵", "Nice product,很好用 but a bit 贵"),       # mixed English kept
    ("多  个   空格", "多 个 空格"),
    ("第一行\r\n\r\n  第二行  ", "第一行\n第二行"),                                    # line breaks survive once
    ("价格2.5元", "价格2.5元"),
])
def test_normalise(raw: str | None, expected: str) -> None:
    assert normalise(raw) == expected


def test_strong_emoji_become_words_and_the_rest_disappear() -> None:
    assert normalise("好用👍") == "好用 赞"
    assert normalise("太差了😡👎") == "太差了 怒 差"
    assert normalise("❤️好看") == "喜欢 好看"                                          # variation selector gone
    assert normalise("到货了📦🚚😂") == "到货了"                                       # unmapped emoji removed
    assert normalise("👨‍👩‍👧") == ""                                                  # joiners removed too


def test_bracket_emoticons_lose_their_brackets() -> None:
    assert normalise("好评[赞][赞]") == "好评 赞 赞"
    assert normalise("气死了[怒]") == "气死了 怒"
    assert normalise("[泪]坏了") == "难过 坏了"
    assert normalise("［赞］") == "赞"                                                 # full-width brackets first
    assert normalise("颜色[深空灰色款式]") == "颜色[深空灰色款式]"                   # longer brackets are content


def test_normalise_is_idempotent() -> None:
    for raw in ("質量太差了！！！😡[怒]", "ＡＢＣ　１２３。。。", "第一行\n第二行 &amp;"):
        once = normalise(raw)
        assert normalise(once) == once


def test_very_long_text_is_normalised_quickly() -> None:
    long = "這個椅子很好用，推薦！！！👍" * 20_000
    started = time.perf_counter()
    result = normalise(long)
    assert time.perf_counter() - started < 2.0
    assert result.startswith("这个椅子很好用,推荐! 赞 这个")
    assert "!!" not in result and "推薦" not in result


def test_segment_keeps_dictionary_words_whole() -> None:
    words = segment("用了一周就漏电，充电宝发烫，露营椅掉漆")
    for word in ("漏电", "充电宝", "发烫", "露营椅", "掉漆"):
        assert word in words


def test_segment_splits_aspect_and_opinion_for_pain_points() -> None:
    assert segment("噪音大")[:2] == ["噪音", "大"]


def test_segment_converts_traditional_first_and_drops_whitespace() -> None:
    words = segment("質量  很好")
    assert "质量" in words
    assert not any(word.isspace() for word in words)
    assert segment("") == [] and segment(None) == []


def test_content_words_drop_stopwords_punctuation_and_noise() -> None:
    words = content_words("这个充电宝的质量太差了！！我们 a 3 次")
    assert words == ["充电宝", "质量", "太差"]
    assert content_words("做工差") == ["做工", "差"]                                 # single CJK opinions stay


def test_stopwords_keep_negators_and_opinions_out() -> None:
    assert isinstance(STOPWORDS, frozenset)
    assert {"的", "了", "我们"} <= STOPWORDS
    assert not {"不", "没", "无", "别", "差", "好"} & STOPWORDS


def test_pos_segment_gives_word_flag_pairs() -> None:
    pairs = pos_segment("噪音大，有異味")
    assert ("噪音", "n") in pairs and ("大", "a") in pairs and ("异味", "n") in pairs
    assert all(isinstance(word, str) and isinstance(flag, str) for word, flag in pairs)
    assert pos_segment(None) == []


@pytest.mark.parametrize(("raw", "expected"), [
    ("外观不错，就是噪音大", ["外观不错", "就是噪音大"]),
    ("质量很好但是发货太慢了！", ["质量很好", "但是发货太慢了"]),
    ("好看但贵", ["好看", "但贵"]),
    ("还行不过有异味；可是便宜。然而漏电", ["还行", "不过有异味", "可是便宜", "然而漏电"]),
    ("第一行\n第二行～第三行?第四行", ["第一行", "第二行", "第三行", "第四行"]),
    ("不但好看而且便宜", ["不但好看而且便宜"]),
    ("容量2.5升.很好", ["容量2.5升", "很好"]),
    ("。。。，，！", []),
    ("", []),
])
def test_clauses(raw: str, expected: list[str]) -> None:
    assert clauses(raw) == expected


def test_dictionaries_load_once_from_many_threads() -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            text.load_dictionaries()
            assert "漏电" in segment("漏电了")
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
