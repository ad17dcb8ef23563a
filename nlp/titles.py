"""Title keywords from competitors' titles, and title suggestions for own products.

The playbook's title formula is core word + attribute words + scene words, with the platform's rising hot search
terms embedded, e.g. 户外折叠椅铝合金超轻便携露营野餐钓鱼写生椅: core 折叠椅, attributes 铝合金 超轻 便携, scenes
户外 露营 野餐 钓鱼. This module

- ranks the words of a keyword's competitor titles with jieba's TF-IDF and TextRank (jieba.analyse, over the
  dictionary nlp.text loads) and the share of titles using each word;
- classifies title words as core, attribute or scene words with a small curated lexicon, spec patterns (20000毫安,
  22.5W, 7075) and jieba's part of speech as fallback, and marks marketing filler (包邮, 新款) and Advertising-Law
  absolute words (最, 第一, 顶级, 国家级), which are never suggested even when competitors use them;
- suggests a title: the own title's core word first, the rising hot-term words it lacks, its own attributes and
  scenes, then scenes and core synonyms popular with competitors, within the platform's length limit.

Title length: Taobao and Tmall count 60 bytes, a Chinese character as two and a Latin letter or digit as one (30
Chinese characters); other platforms differ, so `max_len` and `measure` are parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from nlp.text import load_dictionaries, normalise, pos_segment

WordKind = Literal["core", "attribute", "scene", "other", "filler", "banned"]

TAOBAO_MAX_LEN = 60


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


CORE_WORDS = _words("""
    充电宝 移动电源 数据线 充电线 快充线 充电器 充电头 耳机 音箱 手机壳 钢化膜 保温杯 水杯 饮水机 饮水器 喂食器 猫砂盆
    代餐 奶昔 代餐粉 蛋白粉 麦片 面膜 面霜 精华 口红 洗发水 沐浴露 吹风机 烘干箱 扫地机 空气炸锅 电饭煲 帐篷 天幕
    睡袋 野餐垫 折叠椅 露营椅 月亮椅 钓鱼椅 沙滩椅 克米特椅 靠背椅 折叠凳 马扎 卫衣 T恤 羽绒服 冲锋衣 运动鞋 双肩包
""")
"""Product nouns that are the core word of a title whatever jieba's tag."""

CORE_HEADS = tuple(sorted(_words("椅 凳 桌 床 柜 架 垫 杯 壶 锅 碗 盆 灯 扇 机 器 仪 宝 线 膜 壳 套 衣 裤 裙 鞋 袜 帽 包 袋 箱 霜 乳 "
                                 "液 粉 昔 篷 幕 表 镜")))
"""Last characters of product nouns (写生椅, 钓鱼凳, 饮水器): a noun ending in one is a core word."""

ATTRIBUTE_WORDS = _words("""
    铝合金 航空铝 不锈钢 碳纤维 钛合金 实木 竹 陶瓷 玻璃 硅胶 液态硅胶 尼龙 编织 牛津布 网布 帆布 纯棉 棉 真丝 羊毛
    羽绒 真皮 ABS 超轻 轻便 轻量 便携 折叠 可折叠 收纳 加厚 加宽 加大 加长 大号 小号 中号 迷你 小巧 超薄 大容量 静音
    快充 超级快充 闪充 无线 磁吸 自动 智能 数显 防水 防滑 耐磨 耐弯折 透气 速干 保温 保冷 可调节 调节 高靠背 靠背 扶手
    承重 多功能 低卡 低脂 高蛋白 乳清蛋白 无糖 0糖 0脂 饱腹 膳食纤维 循环 过滤 多层过滤 恒温 变频 双向 自带线 三合一
    二合一 一拖三 弯头 双口 数据传输 PD QC Type-C USB Lightning 适用 原装 感应 低压 水泵 脚垫 多口味 冲饮 燕麦
    奇亚籽 谷物 罐装 袋装 独立包装 大码 宽松 修身 加绒 防晒 保湿 补水 美白 控油 遮瑕 持妆
""")
"""Materials, specs, features and formulations: what the product is made of and what it does."""

SCENE_WORDS = _words("""
    户外 露营 野餐 钓鱼 垂钓 自驾 自驾游 沙滩 海边 阳台 公园 写生 美术 午休 徒步 登山 旅行 旅游 出差 通勤 办公 办公室
    车载 宿舍 家用 居家 卧室 客厅 厨房 浴室 健身 运动 跑步 瑜伽 早餐 午餐 晚餐 下午茶 学生 儿童 宝宝 孕妇 老人 宠物
    猫咪 猫 狗狗 狗 幼猫 小型犬 大型犬 游戏 电竞 应急 送礼 礼物 礼盒 冬季 夏季 秋冬 春夏 加班 懒人 上班族 音乐节 聚会
    观赛 庭院 花园 院子 农家乐 学习
""")
"""Where, when and by whom the product is used: occasions, places, seasons, audiences."""

FILLER_WORDS = _words("""
    新款 款 包邮 现货 速发 秒发 正品 官方 旗舰店 旗舰 热卖 爆款 特价 秒杀 清仓 促销 限时 抢购 厂家 直销 批发 同款 网红
    推荐 优选 精选 潮流 时尚 高端 品质 好物 必备 神器 装备 用品
""")
"""Marketing filler: it spends title length without matching what shoppers search for."""

ABSOLUTE_TERMS = ("最", "第一", "唯一", "首个", "首选", "顶级", "极致", "国家级", "世界级", "全球级", "宇宙级",
                  "独家", "王牌", "领导品牌", "领先", "万能", "绝对", "永久", "百分百", "100%", "冠军", "史无前例",
                  "空前绝后", "遥遥领先", "免检", "特供", "专供", "无敌", "极品", "至尊", "顶尖")
ABSOLUTE_EXCEPTIONS = ("最近", "最后", "第一次", "第一步", "第一天")
"""Advertising-Law absolute words (广告法 极限词): a word containing one is never suggested. The exceptions are
ordinary words (最近, 第一次) that compliance checks also let pass; the full compliance monitor lives elsewhere."""

_SPEC = re.compile(r"^\d+(\.\d+)?(w|mah|毫安|l|ml|毫升|升|g|kg|克|斤|千克|cm|mm|m|米|寸|英寸|v|a|档|代|层|人|片|包|袋|罐|"
                   r"倍|度|小时|天|分钟)?$|^[a-z]+\d+[a-z\d]*$", re.IGNORECASE)
_UNITS = re.compile(r"^(w|mah|毫安|l|ml|毫升|升|g|kg|克|斤|千克|cm|mm|m|米|寸|英寸|v|a|档|代|层|人|倍|号)$",
                    re.IGNORECASE)
_ATTRIBUTE_FLAGS = ("a", "ad", "an", "b", "m", "eng", "z")
_SCENE_FLAGS = ("s", "t")
_NOUN_FLAGS = ("n", "nz", "vn", "ng", "nr", "ns", "nt")


@dataclass(frozen=True)
class TitleKeyword:
    """A word of competitors' titles: its kind, jieba TF-IDF and TextRank weights (each scaled to the top word =
    1), and the share of titles that contain it."""

    word: str
    kind: WordKind
    tfidf: float
    textrank: float
    title_share: float

    @property
    def score(self) -> float:
        return (self.tfidf + self.textrank) / 2


@dataclass(frozen=True)
class TitleSuggestion:
    """A suggested title and what went into it. `added` are words the own title did not have (rising hot terms,
    then popular competitor scenes and core synonyms): the operator checks they are true of the product before
    publishing, above all `to_verify`, the added attribute words (磁吸, 22.5W), which are claims."""

    title: str
    length: int
    max_len: int
    core: tuple[str, ...]
    attributes: tuple[str, ...]
    scenes: tuple[str, ...]
    added: tuple[str, ...]
    to_verify: tuple[str, ...]
    missing_rising: tuple[str, ...]     # rising terms the own title lacks (before the suggestion)
    unrelated_rising: tuple[str, ...]   # rising terms about another product (their core word is not ours)
    left_out: tuple[str, ...]           # words that did not fit in max_len
    removed_banned: tuple[str, ...]     # absolute words dropped from the own title or the rising terms


def taobao_length(text: str) -> int:
    """Title length as Taobao counts it: two for a Chinese (or any non-ASCII) character, one for ASCII."""
    return sum(1 if ord(c) < 128 else 2 for c in text)


def is_banned(word: str) -> bool:
    """Whether a word carries an Advertising-Law absolute term (最快, 第一品牌, 国家级), outside the ordinary
    exceptions (最近, 第一次)."""
    stripped = word
    for exception in ABSOLUTE_EXCEPTIONS:
        stripped = stripped.replace(exception, "")
    return any(term in stripped for term in ABSOLUTE_TERMS)


def classify_word(word: str, flag: str | None = None, *, core_terms: Iterable[str] = ()) -> WordKind:
    """Core, attribute or scene word by the curated lexicon, spec patterns and the keyword's own core terms
    (`core_terms`, e.g. the configured keyword 露营椅); jieba's part of speech decides the rest (adjectives,
    distinguishing words and numbers are attributes, place and time words scenes, nouns ending in a product
    head such as 椅 core words)."""
    if is_banned(word):
        return "banned"
    if word in FILLER_WORDS or re.fullmatch(r"20\d\d(年)?(新款|款)?", word):
        return "filler"
    if word in CORE_WORDS or word in set(core_terms):
        return "core"
    if word in ATTRIBUTE_WORDS or _SPEC.match(word):
        return "attribute"
    if word in SCENE_WORDS:
        return "scene"
    if len(word) >= 2 and word.endswith(CORE_HEADS) and (flag is None or flag.startswith("n")):
        return "core"
    if flag in _SCENE_FLAGS:
        return "scene"
    if flag in _ATTRIBUTE_FLAGS:
        return "attribute"
    return "other"


def title_words(title: str) -> list[tuple[str, WordKind]]:
    """A title's words with their kinds, in order, without punctuation and repeats. jieba pieces that make one
    title word are merged first: a number and its unit (22.5 + W), a word and a product head (写生 + 椅), two
    pieces that form a lexicon word (航空 + 铝, 大 + 号)."""
    words: list[tuple[str, WordKind]] = []
    for word, flag in _merge(pos_segment(title)):
        if word not in (w for w, _ in words):
            words.append((word, classify_word(word, flag)))
    return words


def title_keywords(titles: Sequence[str], *, top_k: int = 30,
                   core_terms: Iterable[str] = ()) -> list[TitleKeyword]:
    """The top words of a set of (competitor) titles, best first by the mean of their TF-IDF and TextRank weights.
    TF-IDF uses jieba's IDF table, so words every title shares but that are rare in general Chinese (露营椅) rank
    high; TextRank favours words co-occurring with many others. Fillers and banned words are kept with their kind,
    so an operator sees what competitors lean on; suggestions skip them."""
    import jieba.analyse  # loads its IDF table on import: only keyword extraction needs it

    load_dictionaries()
    normalised = [normalise(t) for t in titles if t and t.strip()]
    if not normalised:
        return []
    text = "\n".join(normalised)
    tfidf = dict(jieba.analyse.extract_tags(text, topK=top_k * 2, withWeight=True))
    textrank = dict(jieba.analyse.textrank(text, topK=top_k * 2, withWeight=True,
                                           allowPOS=("n", "nz", "vn", "v", "a", "b", "s", "ns", "eng", "m")))
    top_tfidf, top_textrank = max(tfidf.values(), default=1.0), max(textrank.values(), default=1.0)
    flags = dict(pos for t in normalised for pos in pos_segment(t))
    core = tuple(core_terms)
    keywords = [
        TitleKeyword(word, classify_word(word, flags.get(word), core_terms=core),
                     round(tfidf.get(word, 0.0) / top_tfidf, 4), round(textrank.get(word, 0.0) / top_textrank, 4),
                     round(sum(1 for t in normalised if word.lower() in t.lower()) / len(normalised), 4))
        for word in dict.fromkeys([*tfidf, *textrank])
    ]
    return sorted(keywords, key=lambda k: (-k.score, -k.title_share, k.word))[:top_k]


def suggest_title(own_title: str, competitor_titles: Sequence[str], rising_terms: Sequence[str], *,
                  max_len: int = TAOBAO_MAX_LEN, measure: Callable[[str], int] = taobao_length,
                  core_terms: Iterable[str] = (), brand: str | None = None, popular_share: float = 0.3,
                  ) -> TitleSuggestion:
    """A title following core word + attribute words + scene words for the own product.

    The core word comes first (after `brand`, when one is given): the own title's core word that is one of
    `core_terms` (the keyword, e.g. 露营椅) or else the one competitors use most. Words are then taken by
    priority while they fit in `max_len` (by `measure`): the words of rising hot terms the own title lacks, the
    own title's attributes, its other core words, its scenes and remaining words, scenes and core synonyms used
    by at least `popular_share` of the competitor titles; and laid out core, attributes, scenes. A word already
    contained in a chosen one is skipped (露营 next to 露营椅). Absolute words are dropped wherever they come
    from. Competitor attributes are never added: they would be claims about a product they do not describe."""
    core_set = set(core_terms)
    own_text = normalise(own_title)
    if brand:
        own_text = own_text.replace(normalise(brand), " ")
    own = [(w, "core" if w in core_set else k) for w, k in title_words(own_text)]
    removed = [w for w, k in own if k == "banned"]
    competitors = [title_words(normalise(t)) for t in competitor_titles if t and t.strip()]
    share = _title_shares(competitors)
    own_core = [w for w, k in own if k == "core"]
    primary = _primary_core(own_core, core_set, share)
    related, unrelated = _related_rising(rising_terms, own_text, own_core, core_set, share, popular_share)
    rising_words, missing, banned_rising = _rising_words(own_text, related, core_set)
    removed += banned_rising

    candidates: list[tuple[str, WordKind, bool]] = []     # (word, kind, added) in priority order
    if primary:
        candidates.append((primary, "core", False))
    candidates += [(w, k, True) for w, k in rising_words]
    candidates += [(w, k, False) for w, k in own if k == "attribute"]
    candidates += [(w, k, False) for w, k in own if k == "core" and w != primary]
    candidates += [(w, k, False) for w, k in own if k == "scene"]
    candidates += [(w, "attribute", False) for w, k in own if k == "other"]
    popular = sorted((w for w, s in share.items() if s >= popular_share), key=lambda w: (-share[w], w))
    kinds = {w: k for words in competitors for w, k in words}
    candidates += [(w, "scene", True) for w in popular if kinds[w] == "scene"]
    candidates += [(w, "core", True) for w in popular if kinds[w] == "core"]

    chosen, left_out = _fit(candidates, normalise(brand) if brand else "", max_len, measure)
    groups = {kind: tuple(w for w, k, _ in chosen if k == kind) for kind in ("core", "attribute", "scene")}
    title = (normalise(brand) if brand else "") + "".join(groups["core"] + groups["attribute"] + groups["scene"])
    added = tuple(w for w, _, is_added in chosen if is_added)
    return TitleSuggestion(
        title=title, length=measure(title), max_len=max_len, core=groups["core"], attributes=groups["attribute"],
        scenes=groups["scene"], added=added,
        to_verify=tuple(w for w, k, is_added in chosen if is_added and k == "attribute"),
        missing_rising=tuple(missing), unrelated_rising=tuple(unrelated), left_out=tuple(left_out),
        removed_banned=tuple(dict.fromkeys(removed)))


def _merge(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    merged: list[tuple[str, str]] = []
    for word, flag in tokens:
        if flag == "x" or not word.strip() or not re.search(r"\w", word):
            continue
        if merged:
            previous, previous_flag = merged[-1]
            joined = previous + word
            if (joined in ATTRIBUTE_WORDS or joined in SCENE_WORDS or joined in CORE_WORDS
                    or (_SPEC.match(joined) and re.fullmatch(r"[\d.]+", previous) and _UNITS.match(word))
                    or (len(word) == 1 and word in CORE_HEADS and previous_flag != "m")):
                merged[-1] = (joined, "n" if word in CORE_HEADS else previous_flag)
                continue
        merged.append((word, flag))
    return merged


def _title_shares(titles: list[list[tuple[str, WordKind]]]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for words in titles:
        for word in {w for w, _ in words}:
            counts[word] = counts.get(word, 0) + 1
    return {word: n / len(titles) for word, n in counts.items()} if titles else {}


def _primary_core(own_core: list[str], core_terms: set[str], share: dict[str, float]) -> str | None:
    for word in own_core:
        if word in core_terms:
            return word
    if own_core:
        return max(own_core, key=lambda w: (share.get(w, 0.0), -own_core.index(w)))
    return max(core_terms, key=lambda w: (share.get(w, 0.0), w)) if core_terms else None


def _related_rising(rising_terms: Sequence[str], own_text: str, own_core: list[str], core_terms: set[str],
                    share: dict[str, float], popular_share: float) -> tuple[list[str], list[str]]:
    """Rising terms about our product, and the others. A term is about another product when it names a core word
    that is not ours: not in the own title, not a configured core term, no shared head with an own core word
    (猫咪饮水机 and 宠物饮水机 share 饮水机), and not a core word popular with the competitors. Terms naming no
    product (音乐节) count as ours: the caller chose them for this keyword."""
    related: list[str] = []
    unrelated: list[str] = []
    for term in rising_terms:
        cores = [w for w, k in title_words(normalise(term)) if k == "core"]
        ours = not cores or any(
            word in own_text or word in core_terms or share.get(word, 0.0) >= popular_share
            or any(_shared_suffix(word, own) >= 2 for own in own_core)
            for word in cores)
        (related if ours else unrelated).append(term)
    return related, unrelated


def _shared_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _rising_words(own_text: str, rising_terms: Sequence[str], core_terms: set[str],
                  ) -> tuple[list[tuple[str, WordKind]], list[str], list[str]]:
    """Words of rising terms the own title lacks (a word counts as present when the title contains it, so 超轻露营椅
    is present in a title with 超轻 and 露营椅), the rising terms lacking, and the banned words met."""
    own_lower = own_text.lower()
    words: list[tuple[str, WordKind]] = []
    missing: list[str] = []
    banned: list[str] = []
    for term in rising_terms:
        lacking = False
        for word, kind in title_words(normalise(term)):
            if kind == "banned":
                banned.append(word)
            elif kind != "filler" and word.lower() not in own_lower:
                lacking = True
                if word not in (w for w, _ in words):
                    words.append((word, "core" if word in core_terms else kind if kind != "other" else "attribute"))
        if lacking:
            missing.append(term)
    return words, missing, banned


def _fit(candidates: list[tuple[str, WordKind, bool]], prefix: str, max_len: int,
         measure: Callable[[str], int]) -> tuple[list[tuple[str, WordKind, bool]], list[str]]:
    """Greedy by priority: a word is taken if it fits in what is left and is not contained in a taken word."""
    chosen: list[tuple[str, WordKind, bool]] = []
    left_out: list[str] = []
    used = measure(prefix)
    for word, kind, added in candidates:
        if kind not in ("core", "attribute", "scene") or any(word in w for w, _, _ in chosen) or word in left_out:
            continue
        size = measure(word)
        if used + size > max_len:
            left_out.append(word)
            continue
        chosen.append((word, kind, added))
        used += size
    return chosen, left_out
