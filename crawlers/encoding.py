"""Decoding product pages, including the legacy Chinese ones that declare GBK or Big5 only in a <meta> tag, declare the
wrong charset, or declare none.

w3lib reads the declarations (BOM, HTTP header, <meta> / XML declaration); the order is ours, and so is reading gbk
and gb2312 as gb18030 and big5 as big5hkscs, their supersets, as browsers do (w3lib 2.6 stopped doing it). On top of it: a page declared in a legacy charset that is valid UTF-8 is UTF-8
(templates get converted, their <meta> does not), and a page that decodes with many replacement characters is
retried in UTF-8, GB18030 and Big5-HKSCS, keeping the decoding that is clean and reads like Chinese.
"""

from __future__ import annotations

import gzip
import re
import zlib
from itertools import islice
from pathlib import Path

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding, to_unicode

UTF8 = "utf-8"
CANDIDATES = ("utf-8", "gb18030", "big5hkscs")
# Pages declaring a legacy Chinese charset use characters only its superset has; browsers decode with the superset.
SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "big5": "big5hkscs"}
GZIP_MAGIC = b"\x1f\x8b"
MAX_PAGE_BYTES = 32 * 2**20   # a saved page, decompressed: real product pages are under 5 MiB; a 190 MB one took
                              # 224 s to extract

# The most frequent Chinese characters, simplified and traditional, plus shop words. A right decoding of Chinese text
# is mostly made of them; a GBK page read as Big5 (or the reverse) decodes without errors into rare characters.
COMMON_CHINESE = frozenset(
    "的一是不了在人有我他这個个们們中来來上大为為和国國地到以说說时時要就出会會可也你对對生能而子那得于於着著下自之年"
    "过過发發后後作里裡用道行所然家种種事成方多经經么麼去法学學如都同现現当當没沒动動面起看定天分还還进進好小部其些主"
    "样樣理心她本前开開但因只从從想实實日者意无無力它与與长長把机機十民第公此已工使情明性知全三又关關点點正业業外将將"
    "两兩高间間由问問很最重并物手应應战戰向头頭文体體新正品商价價格元购購买買卖賣店铺鋪货貨送包邮郵质質量款号號色"
    "码碼尺寸装裝件双雙套用户戶评評论論好差快递遞服务務客售后退换換保修正版官方旗舰艦专專营營限时時特惠折券满滿减減"
    "免费費手机機电電脑腦充线線器椅子户外露营營钓釣鱼魚宠寵物水猫貓狗饮飲代餐奶粉蛋白"
)


_BAD_CHAR = re.compile("[\ufffd\ue000-\uf8ff]")  # replacement characters and private-use code points
_IDEOGRAPH = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
SAMPLE = 3000  # ideographs judged per decoding; enough to tell, cheap on long pages
MIN_IDEOGRAPHS = 30  # below this a page has too little Chinese to judge how it reads
GARBLED_SHARE = 0.12  # right decodings of shop pages score 0.4-0.6, wrong ones below 0.05


def _bad_chars(text: str) -> int:
    """Replacement characters, and the private-use ones a wrong multi-byte charset decodes into without error."""
    return len(_BAD_CHAR.findall(text))


def _ideographs(text: str) -> list[str]:
    return [match.group() for match in islice(_IDEOGRAPH.finditer(text), SAMPLE)]


def _common_share(ideographs: list[str]) -> float:
    """The share of the ideographs that are common ones; 1.0 when there are none to judge."""
    if not ideographs:
        return 1.0
    return sum(c in COMMON_CHINESE for c in ideographs) / len(ideographs)


def looks_misdecoded(text: str) -> bool:
    """Many bad characters (more than a handful and more than 1 in 1000: a stray byte in a footer is not a wrong
    charset), or plenty of Chinese made almost only of rare characters."""
    bad = _bad_chars(text)
    if bad > 3 and bad * 1000 > len(text):
        return True
    ideographs = _ideographs(text)
    return len(ideographs) >= MIN_IDEOGRAPHS and _common_share(ideographs) < GARBLED_SHARE


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode(UTF8)
    except UnicodeDecodeError:
        return False
    return True


def _best_decoding(body: bytes) -> tuple[str, str]:
    """The candidate with the fewest replacement characters, then the one that reads most like Chinese."""
    decoded = [(encoding, to_unicode(body, encoding)) for encoding in CANDIDATES]
    return min(decoded, key=lambda pair: (_bad_chars(pair[1]), -_common_share(_ideographs(pair[1]))))


def _detect(body: bytes) -> str:
    """The charset of a page that declares none: UTF-8 when the bytes are valid UTF-8, else the best candidate."""
    return UTF8 if _is_utf8(body) else _best_decoding(body)[0]


def _codec(name: str | None) -> str | None:
    """The Python codec to decode a declared charset with (its superset for gbk, gb2312, big5); None when unknown."""
    resolved = resolve_encoding(name) if name else None
    return SUPERSETS.get(resolved, resolved) if resolved else None


def _declared_charset(declared: str | None) -> str | None:
    """The codec of a Content-Type header value (`text/html; charset=GBK`) or a bare charset name (`gbk`)."""
    if not declared:
        return None
    header = declared if "=" in declared else f"text/html; charset={declared}"
    return _codec(http_content_type_encoding(header))


def decode_html(body: bytes, *, declared: str | None = None, hint: str | None = None) -> tuple[str, str]:
    """Return (text, encoding used) for a page's bytes.

    `declared` is the HTTP Content-Type header (or its charset); `hint` is the charset a caller expects when the
    page declares none (a site profile that knows its site is GBK). Order: BOM, header, <meta>, hint, detection;
    then the sanity checks above, which also catch a wrong header or <meta>.
    """
    bom_encoding, bom = read_bom(body)
    if bom_encoding is not None:
        encoding = _codec(bom_encoding) or bom_encoding
        return to_unicode(body[len(bom):], encoding), encoding
    encoding = (_declared_charset(declared) or _codec(html_body_declared_encoding(body)) or _codec(hint)
                or _detect(body))
    text = to_unicode(body, encoding)
    if not body.isascii() and _is_utf8(body):
        # Valid UTF-8 beyond ASCII is next to impossible by chance in another charset, so it needs no sanity check.
        return (text, encoding) if encoding == UTF8 else (body.decode(UTF8), UTF8)
    if looks_misdecoded(text):
        encoding, text = _best_decoding(body)
    return text, encoding


class UnreadablePage(Exception):
    """A saved page that cannot be read: missing, a truncated or corrupt gzip file, or larger than MAX_PAGE_BYTES.
    The message names the file."""


def read_page(path: str | Path) -> tuple[str, str]:
    """Decode a saved page, gzip-compressed or not; compression is recognised by its magic bytes, not the name.

    At most MAX_PAGE_BYTES are read (decompressed), so a gzip bomb or a huge dump is refused before it takes the
    memory and minutes that decoding and parsing it would."""
    try:
        with open(path, "rb") as raw:
            compressed = raw.read(len(GZIP_MAGIC)) == GZIP_MAGIC
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw) if compressed else raw as stream:
                body = stream.read(MAX_PAGE_BYTES + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise UnreadablePage(f"{path}: truncated or corrupt gzip file ({exc})") from exc
    except OSError as exc:
        raise UnreadablePage(f"{path}: {exc.strerror or exc}") from exc
    if len(body) > MAX_PAGE_BYTES:
        raise UnreadablePage(f"{path}: larger than {MAX_PAGE_BYTES // 2**20} MiB{' decompressed' if compressed else ''}"
                             f"; not read (a product page is a few MiB at most)")
    return decode_html(body)
