"""Throughput of the Advertising-Law check (`monitors.compliance.find_violations`) against bare baselines.

The titles are the hand-written fixture (tests/fixtures/compliance_titles.tsv) and the demo marketplace's titles
and descriptions, cycled to --titles texts. Three sides run over the same texts, in alternating rounds timed in
CPU seconds of this process (these machines are shared, so wall-clock rounds vary), best round per side:

- ShopSentinel: normalisation (full-width, lower-case, OpenCC t2s), the Aho-Corasick automaton of every term,
  the one regex of every pattern and exception, overlap resolution, Violation objects.
- bare re: one `re` alternation of the lexicon's terms (longest first) with finditer on the raw text: no
  patterns, no exceptions, no normalisation. The cheapest thing that could be called a check: the baseline of
  the last line.
- naive loop: `for term in terms: if term in text`, the loop over words the issue rules out.

Target: at least 20,000 titles/s.

Before the speed, the accuracy on the labelled sets of tests/fixtures/compliance/ (`bench/compliance_sets.py`):
precision and recall at critical + warning and at every tier, per family and per tier, on the dev split (what the
lexicon was written against) and on the holdout split (not read while writing it). Targets (issue 14), on dev:
precision >= 0.98 and recall >= 0.97 at critical + warning, recall >= 0.90 per family, 0 lawful texts flagged at
warning or above.

    .venv/bin/python bench/bench_compliance.py [--titles 5000] [--rounds 5] [--families]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.compliance_sets import Score, parts, read_cases, score  # noqa: E402
from config import SEVERITIES  # noqa: E402
from demo_market.world import build_world  # noqa: E402
from monitors.compliance import find_violations  # noqa: E402
from monitors.lexicon import load_lexicon  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "compliance_titles.tsv"


def sample_texts(count: int) -> list[str]:
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]
    for product in build_world().ground_truth(0)["products"]:
        texts += [product["title"], product["description"]]
    return list(itertools.islice(itertools.cycle(texts), count))


def bare_alternation(terms: list[str]) -> Callable[[str], list[str]]:
    pattern = re.compile("|".join(map(re.escape, sorted(terms, key=len, reverse=True))))
    return lambda text: [match.group() for match in pattern.finditer(text)]


def naive_loop(terms: list[str]) -> Callable[[str], list[str]]:
    return lambda text: [term for term in terms if term in text]


def cpu_seconds(check: Callable[[str], object], texts: list[str]) -> float:
    start = time.process_time()
    for text in texts:
        check(text)
    return time.process_time() - start


def checked(text: str, category: str):
    return find_violations(text, category=category)


def figure(value: float | None) -> str:
    return "  –  " if value is None else f"{value:.3f}"


def print_accuracy(name: str, result: Score, *, families: bool) -> None:
    total = result.overall
    print(f"  {name:<11} >= {result.minimum:<8} precision {figure(total.precision)} recall {figure(total.recall)} "
          f"({total.found}/{total.labelled} breaches, {total.flagged - total.correct} false alarms; "
          f"{len(result.lawful_flagged)} of {result.lawful_texts} lawful texts flagged; "
          f"tier agreement {figure(result.tier_agreement)})")
    if not families:
        return
    for name, tally in sorted(result.families.items()):
        print(f"      {name:<17} precision {figure(tally.precision)} recall {figure(tally.recall)} "
              f"({tally.found}/{tally.labelled}, {tally.flagged - tally.correct} false alarms)")
    for name in reversed(SEVERITIES):
        if name in result.tiers:
            tally = result.tiers[name]
            print(f"      tier {name:<12} precision {figure(tally.precision)} recall {figure(tally.recall)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=5000, help="texts per round")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per side, interleaved")
    parser.add_argument("--families", action="store_true", help="accuracy per family and tier too")
    args = parser.parse_args()

    print("accuracy on the labelled sets (dev: written against; holdout: not read while writing the rules; "
          "each holdout part on its own too, since the older ones were scored, in aggregate, before later rules)")
    groups = [("dev", read_cases("dev")), ("holdout", read_cases("holdout"))]
    if len(parts("holdout")) > 1:
        groups += [(f"holdout {part}", read_cases("holdout", part)) for part in parts("holdout")]
    for name, cases in groups:
        for minimum in ("warning", "info"):
            print_accuracy(name, score(checked, cases, minimum=minimum),
                           families=args.families and minimum == "warning")

    texts = sample_texts(args.titles)
    terms = [term for rule in load_lexicon().rules for term in rule.terms]
    sides: dict[str, Callable[[str], object]] = {"ShopSentinel": find_violations,
                                                 "bare re alternation": bare_alternation(terms),
                                                 "naive loop": naive_loop(terms)}
    for check in sides.values():   # warm-up: the lexicon is compiled on first use
        cpu_seconds(check, texts[:200])
    best = dict.fromkeys(sides, float("inf"))
    for _ in range(args.rounds):
        for name, check in sides.items():
            best[name] = min(best[name], cpu_seconds(check, texts))
    rates = {name: len(texts) / seconds for name, seconds in best.items()}
    average = sum(map(len, texts)) / len(texts)
    print(f"{len(texts)} texts (average {average:.0f} characters), {len(terms)} lexicon terms, "
          f"best of {args.rounds} CPU-timed rounds per side")
    for name, value in rates.items():
        print(f"  {name:<20} {value:>10,.0f} titles/s")
    print(f"  naive loop ratio: ShopSentinel is {rates['ShopSentinel'] / rates['naive loop']:.2f}x")
    print(f"compliance: {rates['ShopSentinel']:.0f} titles/s, "
          f"ratio {rates['ShopSentinel'] / rates['bare re alternation']:.2f} against bare re alternation")


if __name__ == "__main__":
    main()
