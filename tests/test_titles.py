"""Title keywords and suggestions: word kinds, spec merging, TF-IDF/TextRank keywords, and suggestions that keep
the core word first, add the rising terms the title lacks, fit the length limit and never use absolute words."""

from __future__ import annotations

import pytest

from nlp.titles import (
    TAOBAO_MAX_LEN,
    classify_word,
    is_banned,
    suggest_title,
    taobao_length,
    title_keywords,
    title_words,
)

COMPETITORS = [
    "岚谷便携折叠椅超轻可调节靠背航空铝露营沙滩阳台",
    "2026新款森谷露营椅大号航空铝防滑脚垫徒步午休钓鱼凳",
    "峰岳折叠露营椅透气网布带扶手可调节靠背加宽自驾游公园",
    "户外露营椅靠背大号收纳小巧超轻阳台自驾游",
    "全网第一露营椅最轻铝合金户外钓鱼野餐便携",
    "森谷户外折叠椅铝合金便携野餐钓鱼靠背椅包邮",
]
OWN = "山野优选户外折叠露营椅铝合金便携月亮椅野餐钓鱼靠背椅"


@pytest.mark.parametrize(("word", "kind"), [
    ("露营椅", "core"), ("钓鱼凳", "core"), ("充电宝", "core"), ("铝合金", "attribute"), ("7075", "attribute"),
    ("20000毫安", "attribute"), ("22.5W", "attribute"), ("超轻", "attribute"), ("户外", "scene"),
    ("自驾游", "scene"), ("包邮", "filler"), ("2026新款", "filler"), ("最轻", "banned"), ("全网第一", "banned"),
    ("国家级", "banned"), ("顶级", "banned"),
])
def test_word_kinds(word: str, kind: str) -> None:
    assert classify_word(word) == kind


def test_pos_fallback_and_configured_core_terms() -> None:
    assert classify_word("轻盈", "a") == "attribute"
    assert classify_word("郊外", "s") == "scene"
    assert classify_word("山野", "ns") == "other"                  # brands often look like place names
    assert classify_word("克米特", "nz") == "other"
    assert classify_word("克米特", "nz", core_terms=["克米特"]) == "core"


def test_ordinary_words_with_absolute_characters_are_not_banned() -> None:
    assert not is_banned("最近") and not is_banned("第一次") and not is_banned("最后一天")
    assert is_banned("最新款") and is_banned("销量冠军") and is_banned("100%纯棉")


def test_title_words_merge_specs_and_product_heads() -> None:
    words = title_words("充电宝20000毫安22.5W快充 写生椅 航空铝 包邮")
    assert words == [("充电宝", "core"), ("20000毫安", "attribute"), ("22.5W", "attribute"), ("快充", "attribute"),
                     ("写生椅", "core"), ("航空铝", "attribute"), ("包邮", "filler")]


def test_taobao_length_counts_chinese_twice() -> None:
    assert taobao_length("露营椅7075") == 10 and taobao_length("") == 0 and TAOBAO_MAX_LEN == 60


def test_title_keywords_rank_with_tfidf_and_textrank() -> None:
    keywords = title_keywords(COMPETITORS, top_k=12)
    assert len(keywords) == 12 and keywords == title_keywords(COMPETITORS, top_k=12)
    scores = [k.score for k in keywords]
    assert scores == sorted(scores, reverse=True) and max(scores) > 0
    by_word = {k.word: k for k in keywords}
    assert by_word["露营椅"].kind == "core" and by_word["露营椅"].title_share == pytest.approx(4 / 6, abs=1e-4)
    assert {"靠背", "户外", "铝合金"} <= set(by_word)
    assert all(0 <= k.tfidf <= 1 and 0 <= k.textrank <= 1 for k in keywords)
    assert title_keywords([]) == [] and title_keywords(["", "  "]) == []


def test_suggestion_keeps_the_core_word_first_and_adds_missing_rising_words() -> None:
    suggestion = suggest_title(OWN, COMPETITORS, ["超轻露营椅", "户外露营椅"], core_terms=["露营椅"],
                               brand="山野优选")
    assert suggestion.title.startswith("山野优选露营椅")
    assert suggestion.core[0] == "露营椅"
    assert "超轻" in suggestion.title and suggestion.added[0] == "超轻" and suggestion.to_verify == ("超轻",)
    assert suggestion.missing_rising == ("超轻露营椅",)                 # 户外露营椅: both words already there
    assert suggestion.title.index("超轻") < suggestion.title.index("户外")   # attributes before scenes
    assert {"铝合金", "便携"} <= set(suggestion.attributes) and {"户外", "野餐"} <= set(suggestion.scenes)
    assert suggestion.length == taobao_length(suggestion.title) <= TAOBAO_MAX_LEN


def test_suggestion_without_brand_starts_with_the_core_word() -> None:
    suggestion = suggest_title("户外折叠露营椅铝合金便携野餐", COMPETITORS, [], core_terms=["露营椅"])
    assert suggestion.title.startswith("露营椅")


def test_suggestion_respects_the_length_limit_and_measure() -> None:
    short = suggest_title(OWN, COMPETITORS, ["超轻露营椅"], core_terms=["露营椅"], max_len=20)
    assert short.length <= 20 and short.title.startswith("露营椅") and "超轻" in short.title
    assert short.left_out                                           # what did not fit is reported
    by_chars = suggest_title(OWN, COMPETITORS, [], core_terms=["露营椅"], max_len=12, measure=len)
    assert len(by_chars.title) <= 12 and by_chars.length == len(by_chars.title)


def test_suggestion_never_uses_absolute_words() -> None:
    suggestion = suggest_title("最轻露营椅 第一品牌 铝合金 户外", COMPETITORS, ["最火露营椅", "销量第一露营椅"],
                               core_terms=["露营椅"])
    assert not any(is_banned(word) for word in suggestion.core + suggestion.attributes + suggestion.scenes)
    assert "最" not in suggestion.title and "第一" not in suggestion.title
    removed = suggestion.removed_banned                               # as jieba cut them: 最 | 轻, 最火
    assert "最火" in removed and any("最" in w for w in removed) and any("第一" in w for w in removed)


def test_suggestion_adds_no_competitor_attributes_and_skips_other_products_rising_terms() -> None:
    suggestion = suggest_title("露营椅户外", COMPETITORS, ["磁吸充电宝", "音乐节"], core_terms=["露营椅"])
    assert "航空铝" not in suggestion.title and "加宽" not in suggestion.title    # competitors' claims, not ours
    assert suggestion.unrelated_rising == ("磁吸充电宝",) and "磁吸" not in suggestion.title
    assert "音乐节" in suggestion.added                                # a scene chosen for this keyword
    assert "钓鱼" in suggestion.scenes                                 # a scene half the competitors use
