"""Speed of ShopSentinel's text pre-processing against bare jieba, and memory of analysing 100,000 reviews.

1. Throughput: `nlp.text.segment` (normalise: HTML entities, full-width, emoji, OpenCC t2s, punctuation and
   whitespace; then jieba with the user dictionary, whitespace tokens dropped) against bare `jieba.lcut` on the
   same 20,000 demo marketplace reviews, one core, interleaved in chunks of 500 and timed in CPU seconds of this
   process (these machines are shared: wall-clock rounds varied two-fold). Target: at least 70 % of bare jieba.
2. Memory: the demo marketplace at scale 8 (about 108,000 reviews) is written to a text file first; a child
   process then streams it in batches of 2,048 through normalise + segment + sentiment score, never holding more
   than a batch, and reports its peak RSS (ru_maxrss), its RSS once jieba and the model were loaded, and the
   rate of the whole pass.

    .venv/bin/python bench/bench_segmentation.py [--models var/models] [--rounds 3]

The sentiment model is loaded from --models (trained there first if absent).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

from nlp import sentiment as S  # noqa: E402
from nlp import text  # noqa: E402

CACHE = ROOT / "var" / "cache" / "bench"
SPEED_TEXTS = 20_000
CHUNK = 500
MEMORY_SCALE = 8
BATCH = 2048


def demo_texts(scale: float) -> list[str]:
    from demo_market.world import build_world

    world = build_world(scale=scale)
    return [review.text for product in world.products for review in world.reviews(product, 0)]


def cpu_seconds(work: Callable[[str], object], texts: list[str]) -> float:
    started = time.process_time()
    for item in texts:
        work(item)
    return time.process_time() - started


def throughput(rounds: int) -> dict[str, float]:
    """Both sides over the same chunks of CHUNK texts, alternating which goes first (ABBA), timed in this
    process's CPU seconds: other processes on a shared machine then slow neither side more than the other."""
    texts = demo_texts(1.0)
    texts = (texts * (SPEED_TEXTS // len(texts) + 1))[:SPEED_TEXTS]
    text.load_dictionaries()
    bare = ours = 0.0
    for round_ in range(rounds):
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start:start + CHUNK]
            if (round_ + start // CHUNK) % 2:
                ours += cpu_seconds(text.segment, chunk)
                bare += cpu_seconds(jieba.lcut, chunk)
            else:
                bare += cpu_seconds(jieba.lcut, chunk)
                ours += cpu_seconds(text.segment, chunk)
    done = len(texts) * rounds
    return {"texts": len(texts), "rounds": rounds, "bare_jieba_per_cpu_s": round(done / bare),
            "normalise_segment_per_cpu_s": round(done / ours), "ratio": round(bare / ours, 3)}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def streamed(path: Path) -> Iterator[list[str]]:
    batch: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            batch.append(line.rstrip("\n"))
            if len(batch) == BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def memory_child(path: Path, models: Path) -> None:
    """Runs in its own process: stream the file through the whole pass and print one JSON line."""
    text.load_dictionaries()
    model = S.ensure_model(models)
    loaded_mb = rss_mb()
    started = time.perf_counter()
    cpu_started = time.process_time()
    reviews = words = negative = 0
    for batch in streamed(path):
        words += sum(len(text.segment(item)) for item in batch)
        negative += sum(score < S.THRESHOLD for score in model.score(batch))
        reviews += len(batch)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(json.dumps({"reviews": reviews, "words": words, "negative": negative, "seconds": round(elapsed, 1),
                      "cpu_seconds": round(cpu, 1), "reviews_per_cpu_s": round(reviews / cpu), "rss_after_load_mb": round(loaded_mb, 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


def memory(models: Path) -> dict[str, object]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"demo-reviews-scale{MEMORY_SCALE}.txt"
    if not path.exists():
        lines = (item.replace("\n", " ").replace("\r", " ") for item in demo_texts(MEMORY_SCALE))
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    done = subprocess.run([sys.executable, __file__, "--memory-child", str(path), "--models", str(models)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=S.DEFAULT_MODELS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.models)
        return
    speed = throughput(args.rounds)
    details = {"benchmark": "segmentation", "throughput": speed, "memory_100k": memory(args.models)}
    print(json.dumps(details, ensure_ascii=False))
    print(f"normalise+segment: {speed['normalise_segment_per_cpu_s']:.1f} reviews/s, ratio {speed['ratio']:.2f} "
          f"against bare jieba.lcut")


if __name__ == "__main__":
    main()
