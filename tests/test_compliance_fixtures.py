"""The compliance evaluation sets (tests/fixtures/compliance/*.tsv) are well formed and big enough.

Every part's dev and holdout files are checked row by row against the issue-14 spec (ISSUE14-SPEC.md, "Evaluation
sets"); the size floors of the issue apply to all parts together, so they are checked only once every part exists.
The families, tiers and product categories are the spec's: the fixtures are the yardstick for the lexicon, so
they are validated against the spec, not against whatever the lexicon knows today.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "compliance"
HEADER = ["id", "text", "product_category", "expected", "source"]
PARTS = ("p1", "p2")         # the parts the dataset work is split into; the floors need all of them
SPLITS = ("dev", "holdout")

FAMILIES = frozenset({
    "absolute", "qualification", "medical", "efficacy", "comparison", "national_symbols", "superstition",
    "discrimination", "data_source", "patent", "health_food", "agri", "tobacco", "alcohol", "education",
    "investment", "real_estate", "price_fraud", "urgency", "food_claim", "cosmetic_claim", "misleading",
})
SEVERITIES = frozenset({"critical", "warning", "info"})
PRODUCT_CATEGORIES = frozenset({
    "general", "food", "health_food", "cosmetics", "drug", "medical_device", "education", "finance", "real_estate",
    "alcohol", "tobacco", "agri",
})

MIN_TEXTS = 800
MIN_PER_FAMILY = 40
MIN_CLEAN = 400

ID_PATTERN = re.compile(r"(?P<part>[a-z0-9]+)-(?P<label>[a-z_]+)-(?P<number>\d{3,})")
FILE_PATTERN = re.compile(r"(?P<split>dev|holdout)_(?P<part>[a-z0-9]+)\.tsv")


@dataclass(frozen=True)
class Item:
    family: str
    severity: str
    match: str


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    id: str
    text: str
    product_category: str
    expected: tuple[Item, ...]
    source: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line} ({self.id})"


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.tsv"))


def parse_expected(field: str) -> tuple[Item, ...]:
    """`family:severity:match;…`; the match is last and may itself contain ':'."""
    if not field:
        return ()
    items = []
    for chunk in field.split(";"):
        family, severity, match = (chunk.split(":", 2) + ["", ""])[:3]
        items.append(Item(family, severity, match))
    return tuple(items)


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        lines = handle.read().splitlines()
    assert lines, f"{path.name} is empty"
    assert lines[0].split("\t") == HEADER, f"{path.name}: header must be {HEADER}"
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        assert len(cells) == len(HEADER), f"{path.name}:{number}: {len(cells)} columns, expected {len(HEADER)}"
        rows.append(Row(path.name, number, cells[0], cells[1], cells[2], parse_expected(cells[3]), cells[4]))
    return rows


def all_rows() -> list[Row]:
    return [row for path in fixture_files() for row in read_rows(path)]


def present_parts() -> dict[str, set[str]]:
    parts: dict[str, set[str]] = {}
    for path in fixture_files():
        found = FILE_PATTERN.fullmatch(path.name)
        if found:
            parts.setdefault(found["part"], set()).add(found["split"])
    return parts


def test_there_are_fixture_files_and_every_name_says_split_and_part() -> None:
    files = fixture_files()
    assert files, f"no evaluation sets in {FIXTURES}"
    for path in files:
        assert FILE_PATTERN.fullmatch(path.name), f"{path.name} is not dev_<part>.tsv or holdout_<part>.tsv"


def test_every_file_is_tab_separated_with_the_spec_header_and_five_columns() -> None:
    for path in fixture_files():
        assert read_rows(path), f"{path.name} has no rows"


def test_csv_reader_sees_the_same_cells_as_the_line_split() -> None:
    # A stray quote would make other TSV readers (the benchmark may use csv) join or split cells differently.
    for path in fixture_files():
        with path.open(encoding="utf-8", newline="") as handle:
            parsed = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
        assert all(len(cells) == len(HEADER) for cells in parsed), f"{path.name}: a line has a stray delimiter"


def test_ids_are_unique_across_files_and_name_their_part_and_label() -> None:
    seen: dict[str, str] = {}
    for path in fixture_files():
        part = FILE_PATTERN.fullmatch(path.name)["part"]
        for row in read_rows(path):
            assert row.id not in seen, f"{row.where}: id also used at {seen[row.id]}"
            seen[row.id] = row.where
            found = ID_PATTERN.fullmatch(row.id)
            assert found, f"{row.where}: id is not <part>-<family or clean>-<nnn>"
            assert found["part"] == part, f"{row.where}: id names part {found['part']!r} in a {part} file"
            assert found["label"] in FAMILIES | {"clean"}, f"{row.where}: unknown family {found['label']!r} in id"


def test_texts_are_non_empty_single_lines() -> None:
    for row in all_rows():
        assert row.text.strip(), f"{row.where}: empty text"
        assert row.text == row.text.strip(), f"{row.where}: text has leading or trailing blanks"


def test_product_categories_are_the_specs() -> None:
    for row in all_rows():
        assert row.product_category in PRODUCT_CATEGORIES, f"{row.where}: unknown category {row.product_category!r}"


def test_expected_items_name_a_family_a_severity_and_an_exact_substring() -> None:
    for row in all_rows():
        for item in row.expected:
            assert item.family in FAMILIES, f"{row.where}: unknown family {item.family!r}"
            assert item.severity in SEVERITIES, f"{row.where}: unknown severity {item.severity!r}"
            assert item.match, f"{row.where}: empty match for {item.family}"
            assert item.match in row.text, f"{row.where}: match {item.match!r} is not a substring of the text"
        assert len(set(row.expected)) == len(row.expected), f"{row.where}: an expected item is listed twice"


def test_the_id_label_agrees_with_the_expected_items() -> None:
    for row in all_rows():
        label = ID_PATTERN.fullmatch(row.id)["label"]
        if label == "clean":
            assert not row.expected, f"{row.where}: a clean row lists breaches"
        else:
            assert label in {item.family for item in row.expected}, f"{row.where}: no {label} breach listed"


def test_every_row_names_its_source() -> None:
    for row in all_rows():
        assert row.source.strip(), f"{row.where}: no source"


def test_size_floors_over_all_parts_dev_and_holdout_together() -> None:
    parts = present_parts()
    missing = [f"{split}_{part}.tsv" for part in PARTS for split in SPLITS if split not in parts.get(part, set())]
    if missing:
        pytest.skip(f"size floors apply to all parts together; not yet in this tree: {', '.join(missing)}")
    rows = all_rows()
    per_family = Counter(family for row in rows for family in {item.family for item in row.expected})
    clean = sum(1 for row in rows if not row.expected)
    assert len(rows) >= MIN_TEXTS, f"{len(rows)} labelled texts, the issue asks for at least {MIN_TEXTS}"
    short = {family: per_family[family] for family in sorted(FAMILIES) if per_family[family] < MIN_PER_FAMILY}
    assert not short, f"families under {MIN_PER_FAMILY} texts: {short}"
    assert clean >= MIN_CLEAN, f"{clean} clean texts, the issue asks for at least {MIN_CLEAN}"
