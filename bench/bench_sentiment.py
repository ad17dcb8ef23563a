"""Sentiment accuracy and speed of ShopSentinel's model side by side with SnowNLP's Bayes classifier.

Both are trained on exactly the same deduplicated training part of the SnowNLP corpus (our grouped split, so the
held-out texts have no copy in training) and scored on the same texts:

- `held_out`: the held-out tenth of the corpus (hotel, laptop and book sentences);
- `demo`: the demo marketplace's generated reviews (camping chairs, pet fountains, power banks, data cables,
  meal replacements) without the neutral ones: e-commerce categories neither model has seen, never trained or
  tuned on. Ours scores platform placeholders (系统默认好评, a five-star default) by rule (`nlp.placeholders`);
- `demo_written`: the same without those placeholders, so classifier against classifier on what buyers wrote;
- `shop_dev`, `shop_test`: 720 hand-written reviews of 24 shop categories with their hard cases (contrast,
  negation, sarcasm, slang, follow-ups, emoji; tests/fixtures/sentiment/SOURCES.md): not real, but written for
  this test by someone who saw neither model nor demo generator. Features are chosen on dev; test is reported.

The demo sets are synthetic (our own generator's templates), so the summary line is the shop test split.

SnowNLP gets the normalised text too (it copes with neither Traditional script nor emoji), which can only help
it. SnowNLP's own shipped model is shown as well, on the demo and shop sets only (it was trained on all corpus lines,
held-out ones included). Speed is score-only on one core: ours over 20,000 demo reviews in batches, SnowNLP's
over 1,000 (it manages about a hundred a second). SnowNLP's training takes minutes, so its trained model is
cached under var/cache/bench/ by a hash of the training data.

    .venv/bin/python bench/bench_sentiment.py

The last line compares accuracy on the shop reviews' test split; the JSON line before it has every figure,
including both speeds and their ratio.

    .venv/bin/python bench/bench_sentiment.py --weak-labels

measures instead what `agent.py nlp train` adds: for each demo category in turn, a model trained on the corpus
plus the star ratings of the other four categories' reviews as weak labels (1-2 stars negative, 4-5 positive) is
scored on the held-out category, against the corpus-only model on the same reviews. The demo's categories share
review templates, so this flatters the gain an operator's own rated reviews would bring.

    .venv/bin/python bench/bench_sentiment.py --adapt

measures the adaptation curve of `nlp train --from` on the corpus alone, leaving one SnowNLP domain out (hotel,
laptop, book by `DOMAIN_CLUES`; lines of no or several domains stay in the base). For each domain D the base is
every example not of D (less any near-duplicate group of D's test part); D's examples are split by whole
near-duplicate groups into an adaptation pool and a fixed test part (30 %). Then k = 0 / 1,000 / 2,000 / 5,000 /
10,000 examples of the pool (capped at its size, about 2,100-3,900: the real k is printed) are added to the base,
each weighing w = 1 / 2 / 3 / 5 / 10 in the regression's loss, and D's test part is scored. It prints the
table (domain x k x w: accuracy and macro F1) with the mean over domains per k, and chooses w as the best mean
accuracy over every domain and distinct k > 0, or the smallest w within ADAPT_TIE of it (a shop's star labels
are noisier than the corpus's, so weight is not raised for a gain inside the noise): `nlp train`'s in-domain weight.
The last line gives the mean accuracy at the largest k every domain's pool reaches, with its ratio to the
corpus-only (k = 0) model. A run fits about fifty models (about four minutes on one core); their metrics are
cached under var/cache/bench/ by a digest of the data, the weight and the feature and fitting code, so a rerun
with nothing changed takes seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp import corpus  # noqa: E402
from nlp import sentiment as S  # noqa: E402
from nlp.placeholders import placeholder_score  # noqa: E402
from nlp.text import normalise  # noqa: E402

CACHE = ROOT / "var" / "cache" / "bench"
SHOP_REVIEWS = ROOT / "tests" / "fixtures" / "sentiment" / "shop_reviews.tsv"
OUR_SPEED_TEXTS = 20_000
SNOWNLP_SPEED_TEXTS = 1_000


def snownlp_classifier(train_part: Sequence[S.Example]) -> tuple[Any, bool]:
    """SnowNLP's Bayes sentiment classifier trained on `train_part`, and whether it came from the cache (same data)."""
    from snownlp.sentiment import Sentiment

    digest = hashlib.sha256("\n".join(f"{e.label}\t{e.text}" for e in train_part).encode()).hexdigest()[:16]
    path = CACHE / f"snownlp-bayes-{digest}.marshal"
    classifier = Sentiment()
    if path.with_name(path.name + ".3").exists():           # snownlp appends ".3" on Python 3
        classifier.load(str(path))
        return classifier, True
    classifier.train([e.text for e in train_part if e.label == "neg"], [e.text for e in train_part if e.label == "pos"])
    CACHE.mkdir(parents=True, exist_ok=True)
    classifier.save(str(path))
    return classifier, False


def shop_reviews(split: str) -> tuple[list[str], list[str]]:
    """(texts, labels) of the hand-written shop reviews of `split` ("dev" or "test"; see that folder's SOURCES.md)."""
    import csv

    with SHOP_REVIEWS.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if row["split"] == split]
    return [row["text"] for row in rows], [row["label"] for row in rows]


def unique_scores(score: Callable[[list[str]], list[float]], texts: Sequence[str]) -> list[float]:
    """Scores of `texts`, each distinct text scored once (the demo repeats short reviews such as 好评)."""
    distinct = list(dict.fromkeys(texts))
    by_text = dict(zip(distinct, score(distinct)))
    return [by_text[text] for text in texts]


def rate(score: Callable[[list[str]], list[float]], texts: list[str]) -> float:
    """Texts per CPU second of this process (one core; other processes on a shared machine do not count)."""
    started = time.process_time()
    score(texts)
    return len(texts) / (time.process_time() - started)


def main() -> None:
    started = time.monotonic()
    examples = S._examples(corpus.read())
    train_part, test = S.split(examples)
    ours = S.train()
    our_train_s = ours.metrics["train_seconds"]
    snow_started = time.monotonic()
    snow, cached = snownlp_classifier(train_part)
    snow_train_s = "cached" if cached else round(time.monotonic() - snow_started, 1)

    from snownlp import sentiment as shipped

    def snow_score(texts: list[str]) -> list[float]:
        return [snow.classify(normalise(text)) for text in texts]

    def shipped_score(texts: list[str]) -> list[float]:
        return [shipped.classify(normalise(text)) for text in texts]

    demo = S.demo_reviews()
    demo_texts, demo_labels = [text for text, _ in demo], [label for _, label in demo]
    written = [(text, label) for text, label in demo if placeholder_score(normalise(text)) is None]
    written_texts, written_labels = [text for text, _ in written], [label for _, label in written]
    test_texts, test_labels = [e.text for e in test], [e.label for e in test]
    results = {
        "held_out": {"ours": S.binary_metrics(test_labels, ours.score(test_texts)),
                     "snownlp": S.binary_metrics(test_labels, unique_scores(snow_score, test_texts))},
        "demo": {"ours": S.binary_metrics(demo_labels, ours.score(demo_texts)),
                 "snownlp": S.binary_metrics(demo_labels, unique_scores(snow_score, demo_texts)),
                 "snownlp_shipped_model": S.binary_metrics(demo_labels, unique_scores(shipped_score, demo_texts))},
        "demo_written": {"ours": S.binary_metrics(written_labels, ours.score(written_texts)),
                         "snownlp": S.binary_metrics(written_labels, unique_scores(snow_score, written_texts))},
    }
    for split in ("dev", "test"):
        shop_texts, shop_labels = shop_reviews(split)
        results[f"shop_{split}"] = {"ours": S.binary_metrics(shop_labels, ours.score(shop_texts)),
                                    "snownlp": S.binary_metrics(shop_labels, unique_scores(snow_score, shop_texts)),
                                    "snownlp_shipped_model": S.binary_metrics(
                                        shop_labels, unique_scores(shipped_score, shop_texts))}
    speed_texts = (demo_texts * (OUR_SPEED_TEXTS // len(demo_texts) + 1))[:OUR_SPEED_TEXTS]
    our_rate = rate(ours.score, speed_texts)
    snow_rate = rate(snow_score, demo_texts[:SNOWNLP_SPEED_TEXTS])
    ours_shop, snow_shop = results["shop_test"]["ours"]["accuracy"], results["shop_test"]["snownlp"]["accuracy"]
    details = {
        "benchmark": "sentiment", "train_examples": len(train_part), "held_out_examples": len(test),
        "demo_reviews": len(demo), "demo_placeholders": len(demo) - len(written), **results,
        "points_ahead_of_snownlp": {name: round(100 * (results[name]["ours"]["accuracy"]
                                                       - results[name]["snownlp"]["accuracy"]), 1)
                                    for name in ("held_out", "demo", "demo_written", "shop_dev", "shop_test")},
        "reviews_per_cpu_s": {"ours": round(our_rate), "snownlp": round(snow_rate, 1),
                          "ratio": round(our_rate / snow_rate, 1)},
        "train_s": {"ours": our_train_s, "snownlp": snow_train_s},
        "wall_s": round(time.monotonic() - started, 1),
    }
    print(json.dumps(details, ensure_ascii=False))
    print(f"sentiment accuracy on hand-written shop reviews (test split): {100 * ours_shop:.1f} %, "
          f"ratio {ours_shop / snow_shop:.2f} against SnowNLP's Bayes trained on the same data")


def weak_label_gain() -> None:
    """Leave one demo category out: corpus + weak labels of the other categories against the corpus alone."""
    from demo_market.world import build_world

    world = build_world()
    reviews = [(product.category, review) for product in world.products for review in world.reviews(product, 0)]
    corpus_only = S.train()
    per_category = {}
    for held_out in sorted({category for category, _ in reviews}):
        weak = S.weak_labels((r.text, r.rating) for c, r in reviews if c != held_out and r.rating is not None)
        adapted = S.train(extra=weak)
        # the ground truth is of the review with its follow-up (追评), which may be what makes it negative
        test = [(f"{r.text} {r.append or ''}".strip(), r.sentiment) for c, r in reviews
                if c == held_out and r.sentiment in ("pos", "neg")]
        per_category[held_out] = {"weak_labels": len(weak), "corpus_only": S.evaluate(corpus_only, test),
                                  "with_weak_labels": S.evaluate(adapted, test)}
    n = sum(r["with_weak_labels"]["n"] for r in per_category.values())

    def pooled(name: str) -> float:
        return sum(r[name]["accuracy"] * r[name]["n"] for r in per_category.values()) / n

    adapted_accuracy, baseline = pooled("with_weak_labels"), pooled("corpus_only")
    print(json.dumps({"benchmark": "sentiment_weak_labels", "categories": per_category,
                      "pooled": {"with_weak_labels": round(adapted_accuracy, 4), "corpus_only": round(baseline, 4),
                                 "n": n}}, ensure_ascii=False))
    print(f"sentiment with weak labels on held-out demo categories: {100 * adapted_accuracy:.1f} %, "
          f"ratio {adapted_accuracy / baseline:.2f} against the corpus-only model")


ADAPT_KS = (0, 1_000, 2_000, 5_000, 10_000)
ADAPT_WEIGHTS = (1, 2, 3, 5, 10)
ADAPT_TEST_SHARE = 0.3
ADAPT_TIE = 0.001   # 0.1 point of mean accuracy: far inside the noise of 900-1,700 test reviews a domain


def _fit_digest() -> str:
    """What a fitted model depends on besides its data: the feature and fitting code and constants, so that the
    adaptation cache never serves a figure of an older model."""
    import inspect

    code = "".join(inspect.getsource(f) for f in (S._grams, S._tfidf, S._fit_idf, S._fit, S._matrix))
    return hashlib.sha256(f"{code}{S.BITS}{S.MIN_DF}{S.C}".encode()).hexdigest()[:16]


class _MetricsCache:
    """Metrics of fitted-and-scored models by a digest of their data, weight and fitting code, kept in a JSON file
    (one fit takes seconds and the curve needs about fifty); entries this run did not ask for are dropped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.old: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        self.used: dict[str, Any] = {}
        self.fitted = 0
        self.code = _fit_digest()

    def metrics(self, base: Sequence[S.Example], drawn: Sequence[S.Example], weight: float,
                test: Sequence[S.Example]) -> dict[str, float]:
        """Metrics on `test` of a model fitted on `base` plus `drawn`, each drawn example weighing `weight`."""
        parts = [self.code, str(weight), *(e.key for e in base), "|", *(e.key for e in drawn), "|",
                 *(e.key for e in test)]
        key = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:24]
        if key not in self.old:
            idf, coef, intercept = S._fit([*base, *drawn], [1.0] * len(base) + [float(weight)] * len(drawn))
            model = S.SentimentModel("adapt", "", [], {}, idf, coef, intercept)
            self.old[key] = S.binary_metrics([e.label for e in test], model.score(e.text for e in test))
            self.fitted += 1
        self.used[key] = self.old[key]
        return self.used[key]

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.used), encoding="utf-8")


def adaptation_curve() -> None:
    """Leave one SnowNLP domain out, add k of its examples (each weighing w) back: accuracy on its test part."""
    started = time.monotonic()
    examples = S._examples(corpus.read())
    group = dict(zip((e.key for e in examples), S._group_ids(examples)))
    cache = _MetricsCache(CACHE / "adapt-metrics.json")
    table: dict[str, dict[str, Any]] = {}
    for domain in sorted(S.DOMAIN_CLUES):
        own = [e for e in examples if S._domain(e) == f"{corpus.SNOWNLP.name}/{domain}"]
        pool, test = S.split(own, ADAPT_TEST_SHARE)
        # the domain is read from keywords, so a near-duplicate group can straddle domains: no member of a test
        # text's group may train the base
        test_groups = {group[e.key] for e in test}
        own_keys = {e.key for e in own}
        base = [e for e in examples if e.key not in own_keys and group[e.key] not in test_groups]
        # one fixed order of the pool: a draw of k is its first k, so larger draws contain the smaller ones
        pool.sort(key=lambda e: (zlib.crc32(e.key.encode("utf-8")), e.key))
        cells: dict[str, Any] = {}
        for k in ADAPT_KS:
            real = min(k, len(pool))
            cells[str(k)] = {"real_k": real,
                             "w": {str(w): cache.metrics(base, pool[:real], w, test)
                                   for w in (ADAPT_WEIGHTS if real else ADAPT_WEIGHTS[:1])}}
        table[domain] = {"base": len(base), "pool": len(pool), "test": len(test), "k": cells}
        cache.save()
    domains = sorted(table)

    def accuracy(domain: str, k: int, w: int) -> float:
        by_w = table[domain]["k"][str(k)]["w"]
        return by_w[str(w) if k else "1"]["accuracy"]

    def mean(values: Sequence[float]) -> float:
        return round(sum(values) / len(values), 4)

    # w is chosen on every distinct (domain, real k > 0) cell: k capped at a domain's pool size counts once there
    distinct = {(d, table[d]["k"][str(k)]["real_k"]): k for d in domains for k in reversed(ADAPT_KS[1:])}
    by_weight = {w: mean([accuracy(d, k, w) for (d, _), k in distinct.items()]) for w in ADAPT_WEIGHTS}
    best = max(by_weight.values())
    chosen = min(w for w in ADAPT_WEIGHTS if by_weight[w] >= best - ADAPT_TIE)
    means = {str(k): {str(w): {name: mean([table[d]["k"][str(k)]["w"][str(w) if k else "1"][name] for d in domains])
                               for name in ("accuracy", "f1_macro")}
                      for w in (ADAPT_WEIGHTS if k else ADAPT_WEIGHTS[:1])} for k in ADAPT_KS}
    common = max(k for k in ADAPT_KS if all(table[d]["k"][str(k)]["real_k"] == k for d in domains))
    adapted, corpus_only = means[str(common)][str(chosen)]["accuracy"], means["0"]["1"]["accuracy"]

    print("domain  base   test   k(real)  " + "  ".join(f"w={w:<2} acc  F1  " for w in ADAPT_WEIGHTS))
    for d in domains:
        for k in ADAPT_KS:
            cell = table[d]["k"][str(k)]
            figures = "  ".join(f"{100 * m['accuracy']:5.1f} {100 * m['f1_macro']:5.1f}" for m in cell["w"].values())
            print(f"{d:<7} {table[d]['base']:<6} {table[d]['test']:<6} {k:>6}({cell['real_k']:>5})  {figures}")
    for k in ADAPT_KS:
        figures = "  ".join(f"{100 * m['accuracy']:5.1f} {100 * m['f1_macro']:5.1f}" for m in means[str(k)].values())
        print(f"{'mean':<21} {k:>6}         {figures}")
    print("mean accuracy over every domain and distinct k > 0: "
          + ", ".join(f"w={w} {100 * by_weight[w]:.2f} %" for w in ADAPT_WEIGHTS)
          + f"; chosen w={chosen} (the smallest within {100 * ADAPT_TIE:.1f} points of the best)")
    print(json.dumps({"benchmark": "sentiment_adapt", "test_share": ADAPT_TEST_SHARE, "domains": table,
                      "mean_over_domains": means, "mean_accuracy_by_w": {str(w): a for w, a in by_weight.items()},
                      "chosen_w": chosen, "largest_common_k": common, "fits": cache.fitted,
                      "wall_s": round(time.monotonic() - started, 1)}, ensure_ascii=False))
    print(f"sentiment_adapt: {100 * adapted:.1f} % with {common} in-domain reviews (w={chosen}), "
          f"ratio {adapted / corpus_only:.2f} against the corpus-only model")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weak-labels", action="store_true",
                        help="measure what retraining with weak star labels adds on held-out demo categories")
    parser.add_argument("--adapt", action="store_true",
                        help="leave one SnowNLP domain out and measure what k of its reviews, weighing w, add back")
    arguments = parser.parse_args()
    if arguments.adapt:
        adaptation_curve()
    elif arguments.weak_labels:
        weak_label_gain()
    else:
        main()
