"""The one input reader: encodings by BOM, NUL pattern, UTF-8 and GB18030; binary refused naming the line; long lines
cut; standard input read as bytes."""

from __future__ import annotations

import codecs
import io
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import text_input
from text_input import InputError, read_lines

# The messages asserted here are the English msgids.
pytestmark = pytest.mark.usefixtures("english")

TITLES = "全网最低价的露营椅\n国家级品质 Camping chair\r\n户外折叠椅，一年质保\r\n"
LINES = ["全网最低价的露营椅", "国家级品质 Camping chair", "户外折叠椅，一年质保"]


def texts_of(path) -> list[str]:
    return [line.text for line in read_lines(path)]


def write(tmp_path, data: bytes, name: str = "titles.txt"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("encoding,bom", [
    ("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gb18030", b""),
    ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-16-le", b""), ("utf-16-be", b""),
    ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE), ("utf-32-le", b""), ("utf-32-be", b""),
])
def test_every_supported_encoding_reads_the_same_lines(tmp_path, encoding, bom):
    assert texts_of(write(tmp_path, bom + TITLES.encode(encoding))) == LINES


def test_line_numbers_count_every_line_and_break(tmp_path):
    path = write(tmp_path, "a\n\nb\r\rc\r\nd".encode())
    assert [(line.number, line.text) for line in read_lines(path)] == [
        (1, "a"), (2, ""), (3, "b"), (4, ""), (5, "c"), (6, "d")]


def test_a_utf8_file_with_gb18030_further_on_names_the_line_and_byte(tmp_path):
    head = "好评\n".encode() * (text_input.SAMPLE // 7 + 10)   # the bad line comes after the judged sample
    path = write(tmp_path, head + "差评\n".encode("gb18030"))
    with pytest.raises(InputError) as caught:
        list(read_lines(path))
    lines = head.count(b"\n")
    assert str(caught.value) == f"{path}: line {lines + 1} (byte offset {len(head):,}): not UTF-8 text"


def test_gb18030_after_a_long_ascii_start_is_still_gb18030(tmp_path):
    path = write(tmp_path, b"id,title\n" * 20_000 + "1,国家级品质\n".encode("gb18030"))
    assert texts_of(path)[-1] == "1,国家级品质"


@pytest.mark.parametrize("data,line", [
    (b"title\nfine\n\x89PNG\x00\x01\x02\n", 3),          # NUL and control bytes
    (b"ok\n\xff\xfe\xfd\xfc\x80\x81\n", 2),               # neither UTF-8 nor GB18030
    (bytes(range(256)) * 40, 1),
], ids=["controls", "undecodable", "all-bytes"])
def test_binary_is_refused_naming_the_line(tmp_path, data, line):
    path = write(tmp_path, data)
    with pytest.raises(InputError, match=rf"^{path}: line {line}\b"):
        list(read_lines(path))


def test_gb18030_decoding_into_rare_characters_is_not_taken_for_text(tmp_path):
    """Big5 bytes decode cleanly as GB18030 into rare characters: refused rather than read as nonsense."""
    traditional = "這是一個很好的產品，我們的客戶都說質量很好，價格實惠，適合露營釣魚，輕便好攜帶。" * 3
    with pytest.raises(InputError, match="not UTF-8, UTF-16, UTF-32 or GB18030 text"):
        list(read_lines(write(tmp_path, traditional.encode("big5"))))


def test_a_long_line_is_cut_with_a_notice_and_reading_goes_on(tmp_path):
    path = write(tmp_path, ("好" * 50_000 + "\n最好的椅子\n").encode())
    cut = []
    lines = list(read_lines(path, max_chars=1_000, on_cut=cut.append))
    assert [(line.number, len(line.text), line.length) for line in lines] == [(1, 1_000, 50_000), (2, 5, 5)]
    assert cut == [lines[0]]


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match=r"cannot read .*missing\.txt: No such file"):
        list(read_lines(tmp_path / "missing.txt"))


def test_standard_input_is_read_as_bytes(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TITLES.encode("gb18030")), encoding="ascii"))
    assert texts_of("-") == LINES


@pytest.mark.parametrize("stdin", [None, "closed"])
def test_closed_standard_input_is_an_input_error(monkeypatch, stdin):
    if stdin == "closed":
        stdin = io.TextIOWrapper(io.BytesIO(b"x"))
        stdin.close()
    monkeypatch.setattr(sys, "stdin", stdin)
    with pytest.raises(InputError, match="standard input is closed"):
        list(read_lines("-"))


# --- properties ---------------------------------------------------------------------------------------------------

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-16-le+bom", "utf-16-be+bom", "utf-32-le",
             "utf-32-be", "utf-32-le+bom", "utf-32-be+bom", "gb18030"]
BOMS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-32-be": codecs.BOM_UTF32_BE}
MAX_CHARS = 300   # small, so that the property also meets cut lines

# Any text but control characters (refused by design), surrogates (not encodable) and U+FEFF (a leading one is a BOM)
ANY_CHAR = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\ufeff")
# What a GB18030 file holds: common Chinese, ASCII, full-width punctuation (arbitrary characters in GB18030 are
# rightly refused as not reading like Chinese, see above)
CHINESE_CHAR = st.sampled_from("质量很好推荐购买物流也快户外露营椅子包邮全网最低价国家级一个的了是不我们客服退换货"
                               "abcXYZ0123456789 ,.!?，。！？、：；（）《》“”￥")
LINE_BREAK = st.sampled_from(["\n", "\r\n", "\r"])


def encoded(text: str, encoding: str) -> bytes:
    name, _, bom = encoding.partition("+")
    return (BOMS[name] if bom else b"") + text.encode(name)


def expected_lines(text: str) -> list[str]:
    return [line.rstrip("\n")[:MAX_CHARS] for line in io.StringIO(text, newline=None)]


def read_bytes(tmp_path_factory, data: bytes) -> list[str]:
    path = tmp_path_factory.mktemp("in") / "input.txt"
    path.write_bytes(data)
    return [line.text for line in read_lines(path, max_chars=MAX_CHARS)]


def recognisable_without_bom(text: str, encoding: str) -> bool:
    """The module's documented limits: UTF-32 without a BOM holds characters below U+40000; UTF-16 without one is
    told by the NULs of ASCII characters, which must outnumber the NULs of characters such as 一 (U+4E00)."""
    if encoding.startswith("utf-32"):
        return all(ord(c) < 0x40000 for c in text)
    ascii_chars = sum(c.isascii() for c in text)
    return ascii_chars > 0 and ascii_chars > 2 * sum(ord(c) % 256 == 0 for c in text)


@st.composite
def texts(draw, chars):
    lines = draw(st.lists(st.text(chars, max_size=draw(st.sampled_from([5, 80, 2 * MAX_CHARS]))), max_size=12))
    breaks = draw(st.lists(LINE_BREAK, min_size=len(lines), max_size=len(lines)))
    text = "".join(line + brk for line, brk in zip(lines, breaks))
    return text[:-1] if text and draw(st.booleans()) else text   # with or without a final line break


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(data=st.data(), encoding=st.sampled_from(ENCODINGS))
def test_text_in_any_supported_encoding_reads_back_as_its_lines(tmp_path_factory, data, encoding):
    text = data.draw(texts(CHINESE_CHAR if encoding == "gb18030" else ANY_CHAR))
    raw = encoded(text, encoding)
    if encoding == "gb18030":
        assume(not _is_utf8(raw))   # bytes that are valid UTF-8 are read as UTF-8, by design
    if encoding.startswith(("utf-16", "utf-32")) and "+bom" not in encoding:
        assume(recognisable_without_bom(text, encoding))
    assert read_bytes(tmp_path_factory, raw) == expected_lines(text)


@FAST
@given(raw=st.one_of(st.binary(max_size=2_000),
                     st.tuples(st.sampled_from([b"", *BOMS.values(), codecs.BOM_UTF8]), st.binary(max_size=2_000))
                     .map(b"".join)))
def test_random_bytes_are_refused_or_read_losslessly(tmp_path_factory, raw):
    try:
        lines = read_bytes(tmp_path_factory, raw)
    except InputError as exc:
        assert "line" in str(exc) or "cannot read" in str(exc)
        return
    assert not any("\ud800" <= c <= "\udfff" for line in lines for c in line), "never a lone surrogate"
    readings = []
    for encoding in ENCODINGS:
        name, _, bom = encoding.partition("+")
        mark = BOMS.get(name, codecs.BOM_UTF8) if bom or encoding == "utf-8-sig" else b""
        if raw.startswith(mark):
            try:
                readings.append(expected_lines(raw[len(mark):].decode(name)))
            except UnicodeDecodeError:
                pass
    assert lines in readings, "what was read is exactly what the bytes say in some supported encoding"


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
