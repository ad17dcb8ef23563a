"""Main-price accuracy of the generic extractor on the committed product pages of tests/fixtures/pages/mainprice/.

Each page is a compact product page in the layout of a Chinese marketplace or a western shop, with the distractors
real pages carry (recommendation carousels, sidebars, coupons, instalments, shipping, struck list prices,
bundles); expected.tsv beside them holds each page's true price, range end and list price, written before the
rules were tuned. The dev split guided the rules; the heldout split was set aside and run only at the end.

A page counts as right when both the price and the range end equal the expected ones (both empty on a page whose
price cannot be told: reporting none is right there, any guess wrong). List prices are counted apart.

    .venv/bin/python bench/fixture_prices.py [--split dev|heldout] [--show]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawlers.encoding import read_page
from crawlers.extract import Extraction, extract_product

FIXTURES = ROOT / "tests" / "fixtures" / "pages" / "mainprice"
SPLITS = ("dev", "heldout")
PAGE_URL = "https://shop.example.com/item/1"  # a neutral host: the currency must come from the page itself


@dataclass(frozen=True)
class Expected:
    file: str
    split: str
    price: Decimal | None
    price_max: Decimal | None
    list_price: Decimal | None


def _amount(cell: str) -> Decimal | None:
    return Decimal(cell) if cell.strip() else None


def expected_pages(split: str | None = None) -> list[Expected]:
    """The rows of expected.tsv (comment lines start with #), of one split or all."""
    with open(FIXTURES / "expected.tsv", encoding="utf-8") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        pages = [Expected(r["file"], r["split"], _amount(r["price"]), _amount(r["price_max"]),
                          _amount(r["list_price"])) for r in rows]
    return [p for p in pages if split is None or p.split == split]


def extract_fixture(name: str) -> Extraction:
    text, _ = read_page(FIXTURES / name)
    return extract_product(text, PAGE_URL)


def price_right(expected: Expected, got: Extraction) -> bool:
    return (got.price, got.price_max) == (expected.price, expected.price_max)


def fixture_accuracy(split: str) -> dict[str, object]:
    """Price accuracy (price and range end both right), list-price accuracy and the wrong pages of one split."""
    pages = expected_pages(split)
    wrong, list_right = [], 0
    for page in pages:
        got = extract_fixture(page.file)
        list_right += got.list_price == page.list_price
        if not price_right(page, got):
            wrong.append({"file": page.file, "expected": [str(page.price), str(page.price_max)],
                          "got": [str(got.price), str(got.price_max)], "incomplete": got.incomplete})
    right = len(pages) - len(wrong)
    return {"pages": len(pages), "price_pct": round(100 * right / len(pages), 1) if pages else 0.0,
            "list_price_pct": round(100 * list_right / len(pages), 1) if pages else 0.0, "wrong": wrong}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, action="append", help="one split (default: both)")
    parser.add_argument("--show", action="store_true", help="list the wrong pages")
    args = parser.parse_args()
    for split in args.split or SPLITS:
        result = fixture_accuracy(split)
        wrong = result.pop("wrong")
        print(f"fixture main price ({split}): {result['price_pct']} % of {result['pages']} pages, list price "
              f"{result['list_price_pct']} %")
        if args.show:
            for line in wrong:
                print("  " + json.dumps(line, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
