"""The rule writers' probes (tests/fixtures/compliance/probes/<family>.tsv): for each family, sentences written
before the rules meant to catch them, from the family's article and marketplaces' banned-word practice, in the
shapes and synonyms sellers use; and lawful sentences with the same tempting words.

A breach probe must be found in its family at `warning` or above, overlapping its `match`; a lawful probe (empty
`match`) must not be flagged at any tier. These are the writers' own checks of breadth, not evaluation data: the
figures that measure generalisation come from the holdout sets (bench/bench_compliance.py)."""

from __future__ import annotations

import csv

import pytest

from config import FAMILIES, PRODUCT_CATEGORIES, at_least
from monitors.compliance import find_violations
from tests.conftest import ROOT

PROBES = ROOT / "tests" / "fixtures" / "compliance" / "probes"
HEADER = ["family", "product_category", "text", "match", "source"]


def _rows() -> list[tuple[str, dict[str, str]]]:
    rows = []
    for path in sorted(PROBES.glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            assert reader.fieldnames == HEADER, f"{path.name}: header {reader.fieldnames}, expected {HEADER}"
            rows += [(f"{path.stem}:{line}", row) for line, row in enumerate(reader, start=2)]
    return rows


ROWS = _rows()
BREACHES = [(where, row) for where, row in ROWS if row["match"]]
LAWFUL = [(where, row) for where, row in ROWS if not row["match"]]


def test_every_family_has_probes_in_its_own_file_with_known_categories() -> None:
    files = {path.stem for path in PROBES.glob("*.tsv")}
    assert files == set(FAMILIES), f"not a family: {sorted(files - set(FAMILIES))}; no probes: {sorted(set(FAMILIES) - files)}"
    for where, row in ROWS:
        assert row["family"] == where.split(":")[0], f"{where}: family {row['family']!r} in another family's file"
        assert row["product_category"] in PRODUCT_CATEGORIES, f"{where}: {row['product_category']!r}"
        assert row["source"].strip(), f"{where}: no source"
        assert not row["match"] or row["match"] in row["text"], f"{where}: {row['match']!r} is not in the text"


@pytest.mark.parametrize(("where", "row"), BREACHES, ids=[where for where, _ in BREACHES])
def test_a_breach_probe_is_found_in_its_family(where: str, row: dict[str, str]) -> None:
    text, start = row["text"], row["text"].index(row["match"])
    end = start + len(row["match"])
    violations = find_violations(text, category=row["product_category"])
    assert any(violation.category == row["family"] and at_least(violation.severity, "warning")
               and violation.start < end and start < violation.end for violation in violations), \
        f"{row['family']} not found at {row['match']!r} in {text!r}: {violations}"


@pytest.mark.parametrize(("where", "row"), LAWFUL, ids=[where for where, _ in LAWFUL])
def test_a_lawful_probe_is_not_flagged_at_any_tier(where: str, row: dict[str, str]) -> None:
    assert find_violations(row["text"], category=row["product_category"]) == []
