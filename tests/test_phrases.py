import re

import pytest

from crawlers.phrases import phrase_pattern, spaced, starting_with


def test_spaced_allows_padding_between_cjk_characters_only():
    assert re.fullmatch(spaced("京东价"), "京 东　价")
    assert re.fullmatch(spaced("sale price"), "sale price")
    assert not re.fullmatch(spaced("sale price"), "sale  price")


def test_starting_with_accepts_digit_classes_and_escapes_the_rest():
    guard = re.compile(starting_with([r"\d", "$", "]", "-"]))
    assert [bool(guard.match(text)) for text in ("7", "٣", "$1", "]", "-", "a")] == [True, True, True, True, True,
                                                                                    False]


@pytest.mark.parametrize("phrases", [("已售完", "售罄", "out of stock", "sold out"), ("库存",), ("Add to Cart", "buy")])
def test_phrase_pattern_finds_every_phrase_in_running_text(phrases):
    pattern = phrase_pattern(phrases)
    for phrase in phrases:
        padded = " ".join(phrase) if not phrase.isascii() else phrase.upper()
        assert [m.group() for m in pattern.finditer(f"价格 ¥89，{padded}。")] == [padded]


def test_phrase_pattern_prefers_the_longest_phrase_and_whole_words():
    pattern = phrase_pattern(("售完", "已售完", "sold"))
    assert pattern.search("该商品已售完").group() == "已售完"
    assert pattern.search("soldier") is None
