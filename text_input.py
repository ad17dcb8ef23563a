"""Reading texts, one per line, from a file or standard input: the one reader of every command that takes texts
(`check`, `sentiment`, and training files).

Input is read as bytes and decoded here, never by the platform's locale, so the same file reads the same way from a
path and from a pipe. The encoding is chosen in this order:

- a byte-order mark: UTF-8, UTF-16 or UTF-32 (LE or BE);
- no mark but NUL bytes in the pattern of UTF-32 (characters below U+40000) or UTF-16 (the NULs of ASCII
  characters, which must outnumber the NULs that CJK characters such as 一 (U+4E00) put on the other side).
  Chinese-only UTF-16 without a mark cannot be told from GB18030 and is not guessed;
- otherwise UTF-8 when the bytes from the first non-ASCII one on (a sample of SAMPLE bytes) are valid UTF-8, else
  GB18030 (what Chinese Excel and Notepad export) when they decode cleanly and read like Chinese.

Decoding is strict: input that does not decode, or holds control characters (NUL, the other C0 and C1 controls
apart from tab and line breaks), is binary, and reading stops with an InputError naming the line and, for bytes
that do not decode, the byte offset. Lines are read in chunks, so memory stays bounded however long the input is:
a line longer than the cap keeps its first characters, the rest is skipped, and the caller is told.
"""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from crawlers.encoding import looks_misdecoded
from i18n import _

STDIN = "-"
CHUNK = 64 * 1024
SAMPLE = 64 * 1024   # bytes judged when choosing between UTF-8 and GB18030, and when looking for UTF-16/32 NULs
MAX_TEXT_CHARS = 20_000   # per line: longer than any title, description or review, and cheap to check or score
                          # (a 50 MB line took 3.3 GB to score whole)

BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),  # UTF-32 first: FF FE 00 00 also
        (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),          # starts with UTF-16-LE's mark
        (codecs.BOM_UTF16_BE, "utf-16-be"))
_NEWLINE = re.compile(r"\r\n?|\n")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")   # tab, \n, \v, \f and \r are text


class InputError(Exception):
    """Input that cannot be read as text (or cannot be read at all); the message names it and where."""


@dataclass(frozen=True)
class Line:
    number: int      # 1-based line number in the input
    text: str        # without its line break; at most the reader's max_chars characters
    length: int      # characters the whole line had: more than len(text) when it was cut


def read_lines(source: str | Path, *, max_chars: int = MAX_TEXT_CHARS,
               on_cut: Callable[[Line], None] | None = None) -> Iterator[Line]:
    """Every line of a file, or of standard input for "-", decoded as described above.

    A line longer than `max_chars` is cut to its first `max_chars` characters and passed to `on_cut` before it is
    yielded. Raises InputError when the source cannot be opened or read, or is not text."""
    name = source_name(source)
    stream = _open(source, name)
    try:
        yield from _lines(_decoded(stream), name, max_chars, on_cut)
    except OSError as exc:
        raise InputError(_("cannot read {name}: {error}", name=name, error=str(exc.strerror or exc))) from exc
    finally:
        if str(source) != STDIN:
            stream.close()


def source_name(source: str | Path) -> str:
    """How messages name the source."""
    return _("standard input") if str(source) == STDIN else str(source)


def _open(source: str | Path, name: str) -> BinaryIO:
    if str(source) != STDIN:
        try:
            return open(source, "rb")  # noqa: SIM115 (read_lines closes it)
        except OSError as exc:
            raise InputError(_("cannot read {name}: {error}", name=name, error=str(exc.strerror or exc))) from exc
    # sys.stdin is None when the process started with file descriptor 0 closed
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None or stream.closed:
        raise InputError(_("standard input is closed: pipe the texts in, or give a file"))
    return stream


class _Undecodable(Exception):
    """Bytes that do not decode: `offset` counts from the start of the input, `before` is the text decoded from the
    last piece handed on up to them (so the line can be counted)."""

    def __init__(self, offset: int, before: str, what: str) -> None:
        super().__init__(what)
        self.offset, self.before, self.what = offset, before, what


def _read(stream: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes; fewer only at the end (a pipe hands over what it has)."""
    parts, got = [], 0
    while got < size:
        part = stream.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _decoded(stream: BinaryIO) -> Iterator[str]:
    """The input as pieces of text, strictly decoded in the encoding chosen from its first bytes."""
    data = _read(stream, SAMPLE)
    offset = 0   # bytes of the input before `data`
    encoding, skip = _marked_encoding(data)
    if encoding is None:
        while data and data.isascii():   # ASCII reads the same in UTF-8 and GB18030: choose at the first other byte
            yield data.decode("ascii")
            offset += len(data)
            data = _read(stream, SAMPLE)
        if not data:
            return
        encoding = _utf8_or_gb18030(data, offset, final=len(data) < SAMPLE)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    data = data[skip:]
    offset += skip
    while True:
        final = not data
        try:
            piece = decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            # exc.object is the decoder's held-back bytes followed by `data`
            held = len(exc.object) - len(data)
            raise _Undecodable(offset - held + exc.start, exc.object[:exc.start].decode(encoding, "replace"),
                               _("not {encoding} text", encoding=encoding.upper())) from None
        yield piece
        if final:
            return
        offset += len(data)
        data = stream.read(CHUNK)


def _marked_encoding(head: bytes) -> tuple[str | None, int]:
    """The encoding a byte-order mark or a UTF-16/32 NUL pattern gives, and the bytes of the mark to skip."""
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding, len(bom)
    if b"\0" not in head:
        return None, 0
    for encoding in _nul_candidates(head):
        try:
            text = codecs.getincrementaldecoder(encoding)("strict").decode(head, len(head) < SAMPLE)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(text) and not looks_misdecoded(text):
            return encoding, 0
    return None, 0   # NULs in no text pattern: read as bytes, refused at the first NUL


def _nul_candidates(head: bytes) -> list[str]:
    # UTF-32 code points of planes 0-3 (BMP, emoji, rare CJK) only: UTF-16 text whose every other character is a
    # line break or a tab (0A 00 0A 00) would otherwise pass for UTF-32 of planes 9-16
    whole = head[:len(head) // 4 * 4]
    if whole and whole[3::4].count(0) == len(whole) // 4 and max(whole[2::4]) <= 3:
        return ["utf-32-le"]
    if whole and whole[0::4].count(0) == len(whole) // 4 and max(whole[1::4]) <= 3:
        return ["utf-32-be"]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 2 * even:
        return ["utf-16-le"]
    if even > 2 * odd:
        return ["utf-16-be"]
    return []


def _utf8_or_gb18030(sample: bytes, offset: int, *, final: bool) -> str:
    """UTF-8 when the sample is valid UTF-8 (a character cut at its end is fine unless the input ends there), else
    GB18030 when it decodes cleanly into what reads like text; else the input is not text."""
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final)
        return "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = codecs.getincrementaldecoder("gb18030")("strict").decode(sample, final)
    except UnicodeDecodeError:
        text = None
    if text is not None and not _CONTROL.search(text) and not looks_misdecoded(text):
        return "gb18030"
    start = utf8_error.start
    raise _Undecodable(offset + start, sample[:start].decode("utf-8", "replace"),
                       _("not UTF-8, UTF-16, UTF-32 or GB18030 text"))


def _lines(pieces: Iterator[str], name: str, max_chars: int,
           on_cut: Callable[[Line], None] | None) -> Iterator[Line]:
    """Split decoded pieces on \\n, \\r\\n or \\r into Lines, keeping at most `max_chars` of each."""
    number, kept, length = 1, [], 0
    after_cr = False   # a piece ended with \r: a \n starting the next one belongs to the same line break

    def finished() -> Line:
        line = Line(number, "".join(kept)[:max_chars], length)
        if length > max_chars and on_cut is not None:
            on_cut(line)
        return line

    try:
        for piece in pieces:
            if after_cr and piece.startswith("\n"):
                piece = piece[1:]
            _refuse_controls(piece, name, number)
            after_cr = piece.endswith("\r")
            start = 0
            for match in _NEWLINE.finditer(piece):
                if length < max_chars:
                    kept.append(piece[start:match.start()])
                length += match.start() - start
                yield finished()
                number, kept, length = number + 1, [], 0
                start = match.end()
            if length < max_chars:
                kept.append(piece[start:])
            length += len(piece) - start
    except _Undecodable as exc:
        _refuse_controls(exc.before, name, number)   # the first problem is the one to tell
        at = number + len(_NEWLINE.findall(exc.before))
        raise InputError(_("{name}: line {line} (byte offset {offset}): {problem}", name=name, line=at,
                           offset=format(exc.offset, ","), problem=exc.what)) from None
    if length:
        yield finished()


def _refuse_controls(text: str, name: str, number: int) -> None:
    """InputError naming the line of the first control character in `text`, which starts on line `number`."""
    if control := _CONTROL.search(text):
        at = number + len(_NEWLINE.findall(text, 0, control.start()))
        raise InputError(_("{name}: line {line}: not text (control character {character}; binary data, or UTF-16 "
                           "without a byte-order mark?)", name=name, line=at,
                           character="U+" + format(ord(control.group()), "04X")))

