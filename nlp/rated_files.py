"""Rated reviews a shop exports (生意参谋, 京东商智, a spreadsheet saved as CSV) read as training examples for
`agent.py nlp train --from FILE`.

A file is JSON lines (`{"text": ..., "stars": 1-5}` or `{"text": ..., "label": "pos"|"neg"|1|0}`) or CSV / TSV
with a header naming a text column (text, content or 评价内容) and a stars column (stars, score or 评分) or a label
column; the format is told from the content, not the file name, since exports are renamed freely. Bytes are
decoded by `text_input` (UTF-8, UTF-8 with a BOM, GB18030 from Chinese Excel...), the one reader of user files.

Stars become labels by `sentiment.star_label` (the rule `--weak` uses too), so 3 stars are skipped. Platform
placeholders (此用户没有填写评价 ...) are dropped, as they say nothing; exact duplicates (by the trainer's own key)
are kept once, and a text given both labels is dropped everywhere, across all the files read together.

A row that cannot be used (no text, stars outside 1-5, an unknown label, a line that is not JSON, missing columns)
is counted and named by line. A file that cannot be read at all, or has no usable column or row, raises
RatedFilesError after every file was tried, so the caller trains on all the files or on none.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp import placeholders
from nlp.sentiment import duplicate_key, star_label
from nlp.text import normalise
from text_input import MAX_TEXT_CHARS, InputError, Line, read_lines, source_name

TEXT_FIELDS = ("text", "content", "评价内容")
STARS_FIELDS = ("stars", "score", "评分")
LABEL_FIELDS = ("label",)
LABELS = {"pos": "pos", "1": "pos", "neg": "neg", "0": "neg"}
SHOWN_PROBLEMS = 5   # bad rows named per file; the rest are only counted


class RatedFilesError(Exception):
    """One or more files could not be imported; `problems` has one message per file, naming it."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class RatedReview:
    text: str        # as written in the file (stripped)
    label: str       # "pos" or "neg"
    file: str
    line: int


@dataclass
class FileSummary:
    """What became of one file's rows; every row read lands in exactly one count."""

    file: str
    rows: int = 0
    pos: int = 0
    neg: int = 0
    three_stars: int = 0
    placeholders: int = 0
    duplicates: int = 0
    contradictions: int = 0
    bad_rows: int = 0
    problems: list[str] = field(default_factory=list)   # "line N: why" of the first SHOWN_PROBLEMS bad rows

    def bad(self, line: int, why: str) -> None:
        self.bad_rows += 1
        if len(self.problems) < SHOWN_PROBLEMS:
            self.problems.append(f"line {line}: {why}")


@dataclass
class RatedImport:
    reviews: list[RatedReview]
    files: list[FileSummary]


class _BadRow(Exception):
    """A row that cannot be used; the message says why."""


@dataclass(frozen=True)
class _Labelled:
    text: str
    label: str | None   # None: 3 stars
    line: int


def read_rated_files(paths: Iterable[str | Path]) -> RatedImport:
    """The usable reviews of every file and what became of each file's rows; RatedFilesError when any file could
    not be read or used at all (then nothing is returned)."""
    summaries: list[FileSummary] = []
    rows: list[list[_Labelled]] = []
    problems: list[str] = []
    for path in paths:
        summary = FileSummary(source_name(path))
        try:
            rows.append(_read_file(path, summary))
        except (InputError, _BadRow) as exc:
            problems.append(str(exc))
        summaries.append(summary)
    if problems:
        raise RatedFilesError(problems)
    return RatedImport(_resolve(summaries, rows), summaries)


def _resolve(summaries: Sequence[FileSummary], rows: Sequence[Sequence[_Labelled]]) -> list[RatedReview]:
    """Skip 3 stars and placeholders, keep the first of each duplicate, drop every text given both labels."""
    labels: dict[str, set[str]] = defaultdict(set)
    candidates: list[tuple[FileSummary, _Labelled, str]] = []
    for summary, file_rows in zip(summaries, rows):
        for row in file_rows:
            analysed = normalise(row.text)
            if row.label is None:
                summary.three_stars += 1
            elif placeholders.placeholder_score(analysed) is not None:
                summary.placeholders += 1
            else:
                key = duplicate_key(analysed)
                labels[key].add(row.label)
                candidates.append((summary, row, key))
    kept: list[RatedReview] = []
    seen: set[str] = set()
    for summary, row, key in candidates:
        if len(labels[key]) > 1:
            summary.contradictions += 1
        elif key in seen:
            summary.duplicates += 1
        else:
            seen.add(key)
            kept.append(RatedReview(row.text, row.label, summary.file, row.line))
            if row.label == "pos":
                summary.pos += 1
            else:
                summary.neg += 1
    return kept


def _read_file(path: str | Path, summary: FileSummary) -> list[_Labelled]:
    """The file's labelled rows (bad ones counted in `summary`); InputError or _BadRow when it cannot be used."""
    cut: set[int] = set()   # lines longer than text_input keeps: their rows are not whole
    lines = (line for line in read_lines(path, on_cut=lambda line: cut.add(line.number)) if line.text.strip())
    first = next(lines, None)
    if first is None:
        raise _BadRow(f"{summary.file}: holds no reviews")
    if first.text.lstrip().startswith("{"):
        rows = list(_json_rows(itertools.chain([first], lines), summary, cut))
    else:
        rows = list(_table_rows(first, lines, summary, cut))
    if summary.rows == 0 or summary.bad_rows == summary.rows:
        why = "; ".join(summary.problems) or "no rows under the header"
        raise _BadRow(f"{summary.file}: not one usable row ({why})")
    return rows


def _json_rows(lines: Iterable[Line], summary: FileSummary, cut: set[int]) -> Iterator[_Labelled]:
    for line in lines:
        summary.rows += 1
        try:
            if line.number in cut:
                raise _BadRow(f"longer than {MAX_TEXT_CHARS:,} characters")
            try:
                record = json.loads(line.text)
            except json.JSONDecodeError as exc:
                raise _BadRow(f"not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise _BadRow("not a JSON object")
            yield _labelled(record, line.number)
        except _BadRow as exc:
            summary.bad(line.number, str(exc))


def _table_rows(header: Line, lines: Iterator[Line], summary: FileSummary, cut: set[int]) -> Iterator[_Labelled]:
    """CSV, or TSV when the header holds a tab; quoted fields may span lines (a row is named by its first)."""
    at = header.number

    def fed() -> Iterator[str]:
        nonlocal at
        for line in lines:
            at = line.number
            yield line.text + "\n"   # the line break back, for a quoted field that spans lines

    names = [name.strip().lower() for name in next(csv.reader([header.text], delimiter=_delimiter(header)))]
    columns = _columns(names, summary.file)
    reader = csv.reader(fed(), delimiter=_delimiter(header))
    end = header.number
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            summary.rows += 1
            summary.bad(end + 1, f"not a readable row ({exc})")
            end = at
            continue
        start, end = end + 1, at
        summary.rows += 1
        try:
            if cut & set(range(start, end + 1)):
                raise _BadRow(f"longer than {MAX_TEXT_CHARS:,} characters")
            if len(cells) < len(names):
                raise _BadRow(f"{len(cells)} columns, the header has {len(names)}")
            yield _labelled({name: cells[index] for name, index in columns.items()}, start)
        except _BadRow as exc:
            summary.bad(start, str(exc))


def _delimiter(header: Line) -> str:
    return "\t" if "\t" in header.text else ","


def _columns(names: list[str], file: str) -> dict[str, int]:
    """The header's text column and its stars column (else its label column), by position."""
    text = _first_of(TEXT_FIELDS, names)
    rating = _first_of(STARS_FIELDS, names) or _first_of(LABEL_FIELDS, names)
    if text is None:
        raise _BadRow(f"{file}: the header has no text column ({', '.join(TEXT_FIELDS)}); it has: {', '.join(names)}")
    if rating is None:
        raise _BadRow(f"{file}: the header has no stars column ({', '.join(STARS_FIELDS)}) and no label column; "
                      f"it has: {', '.join(names)}")
    return {text: names.index(text), rating: names.index(rating)}


def _first_of(candidates: Sequence[str], present: Iterable[str]) -> str | None:
    present = list(present)
    return next((name for name in candidates if name in present), None)


def _labelled(record: dict[str, Any], line: int) -> _Labelled:
    """A row's text and label (None for 3 stars) from its fields, by the same names in every format."""
    text_field = _first_of(TEXT_FIELDS, record)
    text = record.get(text_field) if text_field else None
    if not isinstance(text, str) or not text.strip():
        raise _BadRow("no text")
    if (stars_field := _first_of(STARS_FIELDS, record)) is not None:
        return _Labelled(text.strip(), star_label(_stars(record[stars_field])), line)
    if (label_field := _first_of(LABEL_FIELDS, record)) is not None:
        return _Labelled(text.strip(), _label(record[label_field]), line)
    raise _BadRow("no stars and no label")


def _stars(value: Any) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _BadRow("no stars")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _BadRow(f"stars {value!r} is not a number")
    try:
        stars = float(value)
    except ValueError:
        raise _BadRow(f"stars {value!r} is not a number") from None
    if not 1 <= stars <= 5:
        raise _BadRow(f"stars {value!r} outside 1-5")
    return stars


def _label(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _BadRow("no label")
    label = LABELS.get(str(value).strip().lower()) if not isinstance(value, bool) else None
    if label is None:
        raise _BadRow(f"label {value!r} is not pos, neg, 1 or 0")
    return label
