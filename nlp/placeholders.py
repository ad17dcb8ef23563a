"""Review texts a platform writes when the buyer wrote none: not opinions, so no classifier reads them.

Shops see these on every product page, and they are a large share of short reviews:

- a rating given without words: Taobao and Tmall show 此用户没有填写评价。, JD 此用户未填写评价内容, Douyin and others
  用户未填写评价内容. The text says nothing either way; the star rating, stored beside it, is the signal.
- a good rating the platform gave by default: Taobao's 评价方未及时做出评价,系统默认好评! (or just 系统默认好评) when
  the buyer did not rate in time, Pinduoduo's 该用户觉得商品非常好，给出了5星好评 for five stars without words.
  The platform recorded a positive rating, so the text is as positive as a text can be.

Read by the sentiment model, the first kind scored 0.04-0.06 and 系统默认好评 0.22: each such review, five stars or
not, counted as negative, and diluted the pain-point shares of the truly negative ones. Matching is on the whole
text after `nlp.text.normalise` (half-width punctuation, Simplified), so a written review that merely mentions
系统默认好评 is still read by the model.
"""

from __future__ import annotations

import re

REVISION = "placeholders1"  # part of the scoring version: stored scores are redone when these rules change

NO_TEXT_SCORE = 0.5       # no evidence either way (as the model scores a text it has no n-gram of)
DEFAULT_GOOD_SCORE = 1.0  # the platform's own positive rating

_END = r"[\s.,!。~]*"  # after normalising: ！ is !, ， is ,
_NO_TEXT = re.compile(r"(?:此|该)?(?:用户|买家)(?:没有|未)(?:填写|发表)(?:文字)?(?:评价|评论)(?:内容)?" + _END)
_DEFAULT_GOOD = re.compile(
    r"(?:(?:评价方|买家|用户)?(?:未|没有)及时(?:做出)?评价[\s,]*(?:此评价为)?)?系统默认好评" + _END
    + r"|(?:该|此)?用户觉得商品(?:很|非常)?好[\s,]*给出了?\s*5\s*星好评" + _END)


def placeholder_score(normalised: str) -> float | None:
    """The score of a platform's placeholder text (already `normalise`d), or None for a text a buyer wrote."""
    if len(normalised) > 40:  # every placeholder is short: most reviews are rejected without a regex
        return None
    if _DEFAULT_GOOD.fullmatch(normalised):
        return DEFAULT_GOOD_SCORE
    if _NO_TEXT.fullmatch(normalised):
        return NO_TEXT_SCORE
    return None
