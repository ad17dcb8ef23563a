"""Sentiment accuracy and speed of ShopSentinel's model side by side with SnowNLP's Bayes classifier.

Both are trained on exactly the same deduplicated training part of the SnowNLP corpus (our grouped split, so the
held-out texts have no copy in training) and scored on the same texts:

- `held_out`: the held-out tenth of the corpus (hotel, laptop and book sentences);
- `demo`: the demo marketplace's generated reviews (camping chairs, pet fountains, power banks, data cables,
  meal replacements) without the neutral ones: e-commerce categories neither model has seen, never trained or
  tuned on. Ours scores platform placeholders (系统默认好评, a five-star default) by rule (`nlp.placeholders`);
- `demo_written`: the same without those placeholders, so classifier against classifier on what buyers wrote.

SnowNLP gets the normalised text too (it copes with neither Traditional script nor emoji), which can only help
it. SnowNLP's own shipped model is shown as well, on the demo set only (it was trained on all corpus lines,
held-out ones included). Speed is score-only on one core: ours over 20,000 demo reviews in batches, SnowNLP's
over 1,000 (it manages about a hundred a second). SnowNLP's training takes minutes, so its trained model is
cached under var/cache/bench/ by a hash of the training data.

    .venv/bin/python bench/bench_sentiment.py

The last line compares accuracy on the demo reviews (the cross-domain target); the JSON line before it has every
figure, including both speeds and their ratio.

    .venv/bin/python bench/bench_sentiment.py --weak-labels

measures instead what `agent.py nlp train` adds: for each demo category in turn, a model trained on the corpus
plus the star ratings of the other four categories' reviews as weak labels (1-2 stars negative, 4-5 positive) is
scored on the held-out category, against the corpus-only model on the same reviews. The demo's categories share
review templates, so this flatters the gain an operator's own rated reviews would bring.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
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
OUR_SPEED_TEXTS = 20_000
SNOWNLP_SPEED_TEXTS = 1_000


def snownlp_classifier(train_part: Sequence[S.Example]) -> tuple[Any, bool]:
    """SnowNLP's Bayes sentiment classifier trained on `train_part`, and whether it came from the cache (same data)."""
    from snownlp.sentiment import Sentiment

    digest = hashlib.sha256("\n".join(f"{e.label}\t{e.text}" for e in train_part).encode("utf-8")).hexdigest()[:16]
    path = CACHE / f"snownlp-bayes-{digest}.marshal"
    classifier = Sentiment()
    if path.with_name(path.name + ".3").exists():           # snownlp appends ".3" on Python 3
        classifier.load(str(path))
        return classifier, True
    classifier.train([e.text for e in train_part if e.label == "neg"], [e.text for e in train_part if e.label == "pos"])
    CACHE.mkdir(parents=True, exist_ok=True)
    classifier.save(str(path))
    return classifier, False


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
    speed_texts = (demo_texts * (OUR_SPEED_TEXTS // len(demo_texts) + 1))[:OUR_SPEED_TEXTS]
    our_rate = rate(ours.score, speed_texts)
    snow_rate = rate(snow_score, demo_texts[:SNOWNLP_SPEED_TEXTS])
    ours_demo, snow_demo = results["demo"]["ours"]["accuracy"], results["demo"]["snownlp"]["accuracy"]
    details = {
        "benchmark": "sentiment", "train_examples": len(train_part), "held_out_examples": len(test),
        "demo_reviews": len(demo), "demo_placeholders": len(demo) - len(written), **results,
        "points_ahead_of_snownlp": {name: round(100 * (results[name]["ours"]["accuracy"]
                                                       - results[name]["snownlp"]["accuracy"]), 1)
                                    for name in ("held_out", "demo", "demo_written")},
        "reviews_per_cpu_s": {"ours": round(our_rate), "snownlp": round(snow_rate, 1),
                          "ratio": round(our_rate / snow_rate, 1)},
        "train_s": {"ours": our_train_s, "snownlp": snow_train_s},
        "wall_s": round(time.monotonic() - started, 1),
    }
    print(json.dumps(details, ensure_ascii=False))
    print(f"sentiment accuracy on demo reviews of unseen categories: {100 * ours_demo:.1f} %, "
          f"ratio {ours_demo / snow_demo:.2f} against SnowNLP's Bayes trained on the same data")


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


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weak-labels", action="store_true",
                        help="measure what retraining with weak star labels adds on held-out demo categories")
    if parser.parse_args().weak_labels:
        weak_label_gain()
    else:
        main()
