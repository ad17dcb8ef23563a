"""Precision and recall of the compliance check on the labelled sets in tests/fixtures/compliance/.

Each row is a title or description sentence with its product category and the breaches a reviewer labelled,
`family:severity:match` (format: tests/fixtures/compliance/SOURCES.md). Scoring is by span and family:

- a labelled breach is found when a violation of the same family overlaps an occurrence of its `match`;
- a violation is correct when it overlaps a labelled breach of its family; any other violation is a false alarm
  (on a lawful text, or a right span put in the wrong family).

Only violations and labels at or above a minimum tier count (`critical` + `warning` is the headline: `info` is
what platforms' own filters reject though the law is silent). Per-tier figures group labels by their tier for
recall and violations by theirs for precision; `tier_agreement` is the share of found breaches given the
labelled tier.

The dev files are what the lexicon was written against; the holdout files were split off before any rule was
written and not read while writing them, so their figures are the honest ones.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from config import at_least

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "tests" / "fixtures" / "compliance"


class Hit(Protocol):
    category: str
    severity: str
    start: int
    end: int


Check = Callable[[str, str], Sequence[Hit]]   # (text, product category) -> violations


@dataclass(frozen=True)
class Label:
    family: str
    severity: str
    spans: tuple[tuple[int, int], ...]   # every occurrence of the labelled match in the text


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    category: str
    labels: tuple[Label, ...]
    source: str


def parts(split: str) -> list[str]:
    """The parts ("p1", "p2", …) that have a file of `split`, in order."""
    return [path.stem.split("_", 1)[1] for path in sorted(SETS.glob(f"{split}_*.tsv"))]


def read_cases(split: str, part: str = "*") -> list[Case]:
    """Every row of the `split` ("dev" or "holdout") files of `part` (default: every part), in file order."""
    cases = []
    for path in sorted(SETS.glob(f"{split}_{part}.tsv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                cases.append(Case(row["id"], row["text"], row["product_category"], _labels(row), row["source"]))
    return cases


def _labels(row: dict[str, str]) -> tuple[Label, ...]:
    labels = []
    for item in filter(None, (part.strip() for part in row["expected"].split(";"))):
        family, severity, match = item.split(":", 2)
        text, spans, at = row["text"], [], row["text"].find(match)
        while at >= 0:
            spans.append((at, at + len(match)))
            at = text.find(match, at + 1)
        labels.append(Label(family, severity, tuple(spans)))
    return tuple(labels)


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


@dataclass
class Tally:
    labelled: int = 0
    found: int = 0
    flagged: int = 0
    correct: int = 0

    @property
    def recall(self) -> float | None:
        return self.found / self.labelled if self.labelled else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.flagged if self.flagged else None

    def to_json(self) -> dict[str, Any]:
        return {"labelled": self.labelled, "found": self.found, "recall": self.recall,
                "flagged": self.flagged, "correct": self.correct, "precision": self.precision}


@dataclass
class Score:
    minimum: str
    overall: Tally = field(default_factory=Tally)
    families: dict[str, Tally] = field(default_factory=dict)
    tiers: dict[str, Tally] = field(default_factory=dict)
    lawful_texts: int = 0
    lawful_flagged: list[str] = field(default_factory=list)   # ids of lawful texts with a violation counted
    tier_agreed: Counter[bool] = field(default_factory=Counter)

    @property
    def tier_agreement(self) -> float | None:
        total = sum(self.tier_agreed.values())
        return self.tier_agreed[True] / total if total else None


def score(check: Check, cases: Sequence[Case], *, minimum: str = "warning") -> Score:
    """How `check` does on `cases`, counting labels and violations at `minimum` or above."""
    result = Score(minimum)
    for case in cases:
        labels = [label for label in case.labels if at_least(label.severity, minimum)]
        hits = [hit for hit in check(case.text, case.category) if at_least(hit.severity, minimum)]
        if not case.labels:
            result.lawful_texts += 1
            if hits:
                result.lawful_flagged.append(case.id)
        for label in labels:
            matching = [hit for hit in hits if hit.category == label.family
                        and _overlaps(hit.start, hit.end, label.spans)]
            for tally in _tallies(result, label.family, label.severity):
                tally.labelled += 1
                tally.found += bool(matching)
            if matching:
                result.tier_agreed[matching[0].severity == label.severity] += 1
        for hit in hits:
            right = any(label.family == hit.category and _overlaps(hit.start, hit.end, label.spans)
                        for label in labels)
            for tally in _tallies(result, hit.category, hit.severity):
                tally.flagged += 1
                tally.correct += right
    return result


def _tallies(result: Score, family: str, severity: str) -> tuple[Tally, Tally, Tally]:
    return (result.overall, result.families.setdefault(family, Tally()), result.tiers.setdefault(severity, Tally()))
