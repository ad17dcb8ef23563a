"""A marketplace's category text as a product category (monitors/product_categories.py and its data file)."""

from __future__ import annotations

import pytest

from config import PRODUCT_CATEGORIES
from monitors.product_categories import WORDS_FILE, _words, product_category


@pytest.mark.parametrize(("text", "expected"), [
    ("食品饮料 > 营养代餐 > 代餐奶昔", "food"),
    ("食品饮料 > 营养保健 > 维生素", "health_food"),        # the last part with a word decides
    ("医药保健 > 保健食品", "health_food"),                  # 保健食品 is not food by its 食品
    ("保健食品 > 食品", "food"),                             # ... but the most specific part still decides
    ("美妆护肤 > 面部护理 > 精华", "cosmetics"),              # 精华 says nothing: 面部护理 decides
    ("医药 › OTC", "drug"),
    ("家庭医疗 » 血压计", "medical_device"),
    ("酒水 ＞ 白酒", "alcohol"),
    ("农资园艺 > 种子", "agri"),
    ("教育培训 > 网课", "education"),
    ("理财 → 基金", "finance"),
    ("房产 > 二手房", "real_estate"),
    ("电子烟", "tobacco"),
    ("ＯＴＣ", "drug"),                                      # full-width and case are folded
    ("美妝護膚 > 面部護理", "cosmetics"),                      # and Traditional characters
    ("醫藥保健 > 保健食品", "health_food"),
    ("家居日用 > 客厅家具 > 茶几", "general"),                # a look-alike: 茶几 is not tea
    ("食品饮料 > 茶叶 > 茶具", "general"),
    ("宠物生活 > 宠物零食", "general"),                        # pet food is feed, not food
    ("food", "food"),                                          # a product category's own name
])
def test_a_marketplace_category_maps_to_its_product_category(text, expected):
    assert product_category(text) == expected


@pytest.mark.parametrize("text", [None, "", "  ", "运动户外 > 露营野餐 > 折叠露营椅", "手机通讯 > 手机配件 > 充电宝",
                                  "宠物生活 > 宠物日用 > 宠物饮水机", "露营装备"])
def test_a_category_no_word_names_has_none(text):
    assert product_category(text) is None


def test_within_one_part_the_longest_word_wins_and_ties_go_to_the_table_listed_first():
    assert product_category("保健食品") == "health_food"   # 保健食品 (4) over 食品 (2)
    assert product_category("保险柜") == "general"          # 保险柜 (3) over 保险 (2)
    assert product_category("酒水饮料") == "alcohol"        # 酒水 and 饮料 (2 each): alcohol is listed first


def test_the_shipped_file_names_only_product_categories_and_covers_every_regulated_one():
    named = {category for _, category in _words(WORDS_FILE)}
    assert named <= set(PRODUCT_CATEGORIES)
    assert named == set(PRODUCT_CATEGORIES)


@pytest.mark.parametrize(("text", "message"), [
    ('snacks = ["零食"]', "'snacks' is not a product category"),
    ('food = ["零食"]\ncosmetics = ["零食"]', "listed under food and cosmetics"),
    ('food = "零食"', "food must be a list of words"),
    ('food = [""]', "food must be a list of words"),
])
def test_a_bad_words_file_is_refused_naming_file_and_key(tmp_path, text, message):
    path = tmp_path / "words.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as raised:
        product_category("零食", path=path)
    assert str(path) in str(raised.value)
