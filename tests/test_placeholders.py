"""Platform placeholder review texts: scored by rule, never read as opinions."""

import pytest

from nlp.placeholders import DEFAULT_GOOD_SCORE, NO_TEXT_SCORE, placeholder_score
from nlp.text import normalise


@pytest.mark.parametrize("text", ["此用户没有填写评价。", "此用户未填写评价内容", "用户未填写评价内容", "该用户未填写文字评价",
                                  " 买家没有填写评论 "])
def test_a_rating_without_words_has_no_sentiment_of_its_own(text):
    assert placeholder_score(normalise(text)) == NO_TEXT_SCORE


@pytest.mark.parametrize("text", ["系统默认好评", "评价方未及时做出评价,系统默认好评!", "买家未及时做出评价，系统默认好评！",
                                  "系統默認好評", "该用户觉得商品非常好，给出了5星好评", "该用户觉得商品很好，给出了5星好评"])
def test_a_default_good_rating_is_positive(text):
    assert placeholder_score(normalise(text)) == DEFAULT_GOOD_SCORE


@pytest.mark.parametrize("text", ["质量很差，根本不是系统默认好评", "系统默认好评？我明明给了差评", "没有填写评价的都是水军",
                                  "好评", "", "用户" * 30])
def test_written_reviews_are_left_to_the_model(text):
    assert placeholder_score(normalise(text)) is None
