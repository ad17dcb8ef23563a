"""Reading what a regex can match from its parse tree (monitors/regex_reading.py)."""

from __future__ import annotations

import re

from hypothesis import given, strategies as st

from monitors.regex_reading import ANY, first_characters, literal_words, openings, required_characters


def test_first_characters_skip_lookarounds_and_optional_items():
    assert first_characters("(?<![不非])(?:保证|确保)通过") == frozenset("保确")
    assert first_characters("(?:绝对)?无毒") == frozenset("绝无")
    assert first_characters("[0-9]+天瘦") == frozenset("0123456789")


def test_first_characters_are_unknown_for_wildcards_empty_matches_and_whole_scripts():
    assert first_characters(".最") is None
    assert first_characters("[^。]最") is None
    assert first_characters("(?:最)?") is None
    assert first_characters("[\u4e00-\u9fff]好") is None


def test_required_characters_find_the_narrowest_item_every_match_needs():
    assert required_characters("[\u4e00-\u9fff]{1,10}(?=[®™])").pattern == "[®™]"
    assert required_characters("(?:经|由)?[^。]{0,20}?(?:检测|测试)").pattern == "[检测]"
    assert required_characters("[^。]*") is None


def test_literal_words_spell_the_finite_stretches():
    assert set(literal_words("(?:绝对)?(?:无|零)(?:毒|残留)[\u4e00-\u9fff]")) >= {"无毒", "零残留", "绝对无毒"}
    assert "最" not in set(literal_words("最[\u4e00-\u9fff]"))   # single characters are not words


PATTERNS = ["(?<![不非])(?:保证|确保)通过", "(?:绝对)?无毒", "[0-9]+天瘦[0-9]+斤", "no ?\\.? ?1(?![0-9])", "最(?:好|佳|低)"]


@given(st.sampled_from(PATTERNS), st.text(alphabet="保证确通过绝对无毒0123天瘦斤no .1最好佳低不", max_size=12))
def test_every_match_starts_with_one_of_the_first_characters(pattern, text):
    starts = first_characters(pattern)
    for at in range(len(text) + 1):
        if re.compile(pattern).match(text, at):
            assert text[at] in starts


def test_openings_are_the_first_two_characters_of_every_match():
    assert openings("最(?:好|佳)") == {"最好", "最佳"}
    assert openings("(?<![不])(?:保证|确保)通过") == {"保证", "确保"}
    assert openings("一(?:涂|喷)?即") == {"一即", "一涂", "一喷"}
    assert openings("最") == {"最"}                              # a one-character match: any character may follow
    assert openings("成[\u4e00-\u9fff]{0,2}?人") == {"成人", "成" + ANY}   # a whole script: not restricted
    assert openings("(?:最)?") is None                           # may match empty


@given(st.sampled_from(PATTERNS + ["一(?:涂|喷)?即", "[0-9]+ ?天"]),
       st.text(alphabet="保证确通过绝对无毒0123天瘦斤no .1最好佳低不一涂喷即", max_size=12))
def test_every_match_begins_with_one_of_its_openings(pattern, text):
    found = openings(pattern)
    for at in range(len(text) + 1):
        match = re.compile(pattern).match(text, at)
        if match:
            opening = match.group()[:2]
            assert opening in found or (len(opening) == 2 and opening[0] + ANY in found), (opening, found)
