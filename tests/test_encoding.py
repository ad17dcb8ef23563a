"""Decoding pages: BOM, header, <meta>, legacy Chinese charsets, mislabelled pages and saved gzip files."""

import gzip
import time

import pytest

from crawlers import encoding
from crawlers.encoding import UnreadablePage, decode_html, read_page

SIMPLIFIED = ("<title>正宗宁夏枸杞子500g</title></head><body><p>促销价：￥59.80 库存 126 件。颗粒饱满，肉厚籽少，"
              "泡水煲汤皆宜，买两件包邮，我们的客户都说质量很好，价格实惠，店铺好评率很高。</p></body></html>")
TRADITIONAL = ("<title>戶外露營椅</title></head><body><p>價格：NT$1,299 庫存 23 件。商品詳情：鋁合金支架，輕便好攜帶，"
               "適合露營釣魚。這是一個很好的產品，我們的客戶都說質量很好，價格實惠。</p></body></html>")


def page(charset_meta: str, body: str) -> str:
    return f"<html><head>{charset_meta}{body}"


def test_gbk_page_with_only_a_meta_charset():
    html = page('<meta http-equiv="Content-Type" content="text/html; charset=gbk">', SIMPLIFIED)
    text, encoding = decode_html(html.encode("gbk"))
    assert encoding == "gb18030" and "促销价：￥59.80" in text


def test_gb2312_declared_page_with_gb18030_only_characters():
    html = page('<meta charset="gb2312">', SIMPLIFIED.replace("枸杞子", "枸杞子𠀀䶮€"))
    text, encoding = decode_html(html.encode("gb18030"))
    assert encoding == "gb18030" and "枸杞子𠀀䶮€" in text


def test_big5_page_is_read_as_big5hkscs():
    html = page('<meta charset="big5">', TRADITIONAL)
    text, encoding = decode_html(html.encode("big5"))
    assert encoding == "big5hkscs" and "鋁合金支架" in text


def test_big5_page_without_declaration_is_detected():
    text, encoding = decode_html(page("", TRADITIONAL).encode("big5"))
    assert encoding == "big5hkscs" and "價格：NT$1,299" in text


def test_gbk_page_without_declaration_is_detected():
    text, encoding = decode_html(page("", SIMPLIFIED).encode("gbk"))
    assert encoding == "gb18030" and "颗粒饱满" in text


def test_hint_is_used_when_the_page_declares_nothing():
    _, encoding = decode_html(page("", "<p>abc</p>").encode(), hint="gbk")
    assert encoding == "gb18030"


def test_utf8_with_bom_wins_over_a_wrong_declaration():
    html = page('<meta charset="gbk">', SIMPLIFIED)
    text, encoding = decode_html(b"\xef\xbb\xbf" + html.encode("utf-8"), declared="text/html; charset=gbk")
    assert encoding == "utf-8" and text.startswith("<html>") and "颗粒饱满" in text


def test_page_labelled_gbk_that_is_utf8():
    html = page('<meta charset="gbk">', SIMPLIFIED)
    text, encoding = decode_html(html.encode("utf-8"))
    assert encoding == "utf-8" and "颗粒饱满" in text


def test_header_saying_utf8_for_a_gbk_page():
    html = page('<meta charset="gbk">', SIMPLIFIED)
    text, encoding = decode_html(html.encode("gbk"), declared="text/html; charset=utf-8")
    assert encoding == "gb18030" and "颗粒饱满" in text


def test_big5_page_declared_gbk():
    html = page('<meta charset="gbk">', TRADITIONAL)
    text, encoding = decode_html(html.encode("big5"))
    assert encoding == "big5hkscs" and "鋁合金支架" in text


def test_http_header_charset_beats_meta():
    html = page('<meta charset="big5">', SIMPLIFIED)
    text, encoding = decode_html(html.encode("gbk"), declared="gbk")
    assert encoding == "gb18030" and "颗粒饱满" in text


def test_one_stray_byte_does_not_change_the_charset():
    html = page('<meta charset="utf-8">', SIMPLIFIED).encode("utf-8") + b"<!-- \xff -->"
    text, encoding = decode_html(html)
    assert encoding == "utf-8" and "颗粒饱满" in text and text.count("\ufffd") == 1


def test_read_page_plain_and_gzip_by_magic_bytes(tmp_path):
    html = page('<meta charset="gbk">', SIMPLIFIED).encode("gbk")
    plain = tmp_path / "item.html"
    plain.write_bytes(html)
    compressed = tmp_path / "item.html.gz"
    compressed.write_bytes(gzip.compress(html))
    misnamed = tmp_path / "saved.html"  # gzip content without the .gz name
    misnamed.write_bytes(gzip.compress(html))
    results = [read_page(path) for path in (plain, compressed, misnamed)]
    assert all(encoding == "gb18030" and "颗粒饱满" in text for text, encoding in results)


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "missing"])
def test_read_page_names_a_file_it_cannot_read(tmp_path, damage):
    packed = gzip.compress(page('<meta charset="gbk">', SIMPLIFIED).encode("gbk") * 20)
    path = tmp_path / "item.html.gz"
    if damage == "truncated":
        path.write_bytes(packed[:-30])
    elif damage == "corrupt":
        path.write_bytes(packed[:12] + bytes(len(packed) - 12))
    with pytest.raises(UnreadablePage, match=f"^{path}: " + ("No such file" if damage == "missing" else
                                                            "truncated or corrupt gzip file")):
        read_page(path)


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip", "plain"])
def test_read_page_refuses_a_page_over_the_size_cap(tmp_path, monkeypatch, compressed):
    monkeypatch.setattr(encoding, "MAX_PAGE_BYTES", 1000)
    body = page("", "<p>" + "x" * 1000 + "</p>").encode()
    path = tmp_path / "big.html"
    path.write_bytes(gzip.compress(body) if compressed else body)
    with pytest.raises(UnreadablePage, match="larger than"):
        read_page(path)
    path.write_bytes(gzip.compress(body[:990]) if compressed else body[:990])
    assert "xxx" in read_page(path)[0]


@pytest.mark.integration
def test_read_page_refuses_a_gzip_bomb_quickly(tmp_path):
    """200 MB of page in 200 KB of gzip: refused after reading the cap, in well under the minutes it took."""
    path = tmp_path / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"<html><body><p>" + b"x" * 200 * 10**6, compresslevel=1))
    started = time.monotonic()
    with pytest.raises(UnreadablePage, match=f"larger than {encoding.MAX_PAGE_BYTES // 2**20} MiB decompressed"):
        read_page(path)
    assert time.monotonic() - started < 5
