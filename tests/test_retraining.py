"""nlp.retraining and its commands: the guard (an honest retrain promoted, mislabelled imports kept beside the
current model while the store holds honestly rated reviews, --force, too little to judge), what a model remembers
having seen, `agent.py nlp models` / `nlp use`, and the daemon's retrain job on a real store. The base corpus is the
small hand-written one (small_corpus_only); the shop's reviews are the demo marketplace's, which no corpus covers."""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent import ExitCode, app
from config import load_config
from conftest import fast_config
from nlp import model_store
from nlp import retraining as R
from nlp import sentiment as S
from store import ProductRecord, ReviewRecord, open_store
from test_sentiment import small_corpus

STORE_REVIEWS = 1500   # about 100 of them held out: enough for the guard to judge (MIN_JUDGED)
IMPORTED = slice(1500, 2700)


@pytest.fixture(scope="module")
def demo() -> list[tuple[str, str]]:
    reviews = S.demo_reviews()
    random.Random(16).shuffle(reviews)
    return reviews


@pytest.fixture(scope="module")
def earlier(demo: list[tuple[str, str]]) -> S.SentimentModel:
    """A model of the first 600 demo reviews as the store's ratings, without a corpus."""
    return S.train(extra=demo[:600], sources=())


def flipped(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(text, "neg" if label == "pos" else "pos") for text, label in pairs]


def shop(tmp_path: Path, **schedule: str) -> Path:
    """A config whose store and models live under tmp_path, with [schedule] values replaced."""
    path = fast_config(tmp_path)
    text = path.read_text(encoding="utf-8")
    for key, value in schedule.items():
        text, found = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
        assert found, key
    path.write_text(text, encoding="utf-8")
    return path


def rate_in_store(config: Path, pairs: list[tuple[str, str]], first_id: int = 0) -> None:
    """Store the reviews with the stars a buyer would give: 5 for praise, 1 for a complaint."""
    with open_store(load_config(config).store.path) as store:
        product = store.upsert_product(ProductRecord(platform="shangcheng", url="http://x/item/1.html"))
        store.add_reviews(product, [ReviewRecord(text=text, review_id=str(first_id + i),
                                                 rating=5.0 if label == "pos" else 1.0)
                                    for i, (text, label) in enumerate(pairs)])


def export(path: Path, pairs: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(pairs)
    return path


def nlp(config: Path, *args: str):
    return CliRunner().invoke(app, ["--config", str(config), "nlp", *args])


def models_of(config: Path) -> Path:
    return load_config(config).paths.var_dir / "models"


# --- the guard through `agent.py nlp train` ----------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.timeout(900)  # three trainings on 2,700 reviews over 2^20 features: slow when the machine is shared
def test_mislabelled_imports_are_kept_beside_the_current_model(tmp_path: Path, small_corpus_only: None,
                                                               demo: list[tuple[str, str]]) -> None:
    config = shop(tmp_path)
    rate_in_store(config, demo[:STORE_REVIEWS])
    first = nlp(config, "train", "--json")
    assert first.exit_code == 0, first.output
    current = json.loads(first.stdout)
    assert current["promoted"] and current["reason"] == "no model was current"

    inverted = export(tmp_path / "inverted.csv", flipped(demo[IMPORTED]))
    refused = nlp(config, "train", "--from", str(inverted))
    assert refused.exit_code == ExitCode.FINDINGS, refused.output
    assert "is kept beside the current model" in refused.stdout and current["version"] in refused.stdout
    assert S.load(models_of(config)).version == current["version"]
    listed = [json.loads(line) for line in nlp(config, "models", "--json").stdout.splitlines()]
    assert [(m["current"], m["status"].split(":")[0]) for m in listed] == [(True, "current"), (False, "kept beside")]
    checks = {c["name"]: c for c in listed[1]["record"]["decision"]["checks"]}
    store_check = checks[R.STORE_CHECK]
    assert store_check["verdict"] == "failed" and store_check["candidate"] < store_check["current"]
    assert checks[R.IMPORT_CHECK]["verdict"] == "failed" and checks[R.IMPORT_CHECK]["current"] < 0.2
    assert R.STORE_CHECK in listed[1]["status"], "the reason names the store's ratings"

    forced = nlp(config, "train", "--json", "--force", "--from", str(inverted))
    assert forced.exit_code == 0, forced.output
    summary = json.loads(forced.stdout)
    assert summary["promoted"] and summary["forced"] and summary["reason"].startswith("promoted by --force")
    assert S.load(models_of(config)).version == summary["version"]


def test_an_honest_retrain_on_new_reviews_becomes_current(tmp_path: Path, small_corpus_only: None,
                                                          demo: list[tuple[str, str]]) -> None:
    config = shop(tmp_path)
    rate_in_store(config, demo[:STORE_REVIEWS])
    assert nlp(config, "train").exit_code == 0
    honest = export(tmp_path / "honest.csv", demo[IMPORTED])
    retrained = nlp(config, "train", "--from", str(honest))
    assert retrained.exit_code == 0, retrained.output
    assert "is now the current model" in retrained.stdout
    [_, new] = model_store.versions(models_of(config))
    assert new.current and new.record.decision.compared_with is not None
    verdicts = {check.name: check.verdict for check in new.record.decision.checks}
    assert verdicts == {R.IN_DOMAIN_CHECK: "passed", R.STORE_CHECK: "passed", R.CORPUS_CHECK: "not judged",
                        R.IMPORT_CHECK: "passed"}, "the small corpus has too few held-out lines to judge"
    assert new.accuracy(S.IN_DOMAIN) > 0.8 and new.metrics["params"]["in_domain_weight"] == S.IN_DOMAIN_WEIGHT


def test_imports_are_kept_with_the_model_and_a_later_retrain_from_the_store_learns_them_again(
        tmp_path: Path, small_corpus_only: None, demo: list[tuple[str, str]]) -> None:
    """The daemon retrains from the store alone; a file imported once must not be forgotten by the next model."""
    config = shop(tmp_path)
    rate_in_store(config, demo[:STORE_REVIEWS])
    honest = export(tmp_path / "honest.csv", demo[IMPORTED])
    assert nlp(config, "train", "--from", str(honest)).exit_code == 0
    kept = model_store.current_imports(models_of(config))
    assert len(kept) > 500 and set(kept) <= set(demo[IMPORTED])   # duplicates and placeholders left out
    again = nlp(config, "train", "--json")
    assert again.exit_code == 0, again.output
    [first, second] = model_store.versions(models_of(config))
    assert second.current and second.version != first.version
    imported = {source["name"]: source["lines"] for source in second.sources}[S.IMPORTED_SOURCE]
    assert imported == len(kept) and model_store.current_imports(models_of(config)) == kept


# --- the guard's rule -------------------------------------------------------------------------------------------

def test_without_a_current_model_or_enough_held_out_reviews_the_candidate_is_promoted() -> None:
    tiny = S.train(extra=small_corpus(), sources=())
    assert R.judge(None, tiny).reason == "no model was current"
    decision = R.judge(tiny, tiny, imported=small_corpus()[:10])
    assert decision.promoted and "nothing could be judged" in decision.reason
    assert {check.verdict for check in decision.checks} == {"not judged"}
    assert all(f"fewer than {R.MIN_JUDGED}" in check.why for check in decision.checks)


def test_models_remember_the_shop_reviews_they_saw_and_the_guard_skips_them(
        demo: list[tuple[str, str]], earlier: S.SentimentModel) -> None:
    later = S.train(extra=demo[:1200], sources=())
    earlier_training = [e for e in S._examples(S.corpus.LabelledText(t, l, S.WEAK_SOURCE) for t, l in demo[:600])
                        if e not in earlier.held_out]
    assert all(earlier.has_seen(e) for e in earlier_training)
    assert not any(earlier.has_seen(e) for e in earlier.held_out)
    checks = R._checks(earlier, later, ())
    seen_again = sum(earlier.has_seen(e) for e in later.held_out)
    assert checks[0].n == len(later.held_out) - seen_again, "compared only on reviews neither model trained on"


def test_the_same_review_lands_on_the_same_side_when_unrelated_reviews_arrive() -> None:
    today = S._examples(S.corpus.LabelledText(f"第{i}号评论，完全不同", "pos", S.WEAK_SOURCE) for i in range(300))
    later = S._examples(S.corpus.LabelledText(f"另一批{i}，毫不相干", "neg", S.WEAK_SOURCE) for i in range(300))
    held_today = {e.key for e in S.split(today)[1]}
    held_later = {e.key for e in S.split(today + later)[1]}
    assert held_today and held_today == held_later & {e.key for e in today}


def test_seen_hashes_survive_save_and_load(tmp_path: Path, earlier: S.SentimentModel) -> None:
    S.save(earlier, tmp_path)
    assert S.load(tmp_path).seen.tolist() == earlier.seen.tolist() and earlier.seen.size > 400


# --- nlp models and nlp use -------------------------------------------------------------------------------------

def test_use_rolls_back_and_the_next_analysis_rescores(tmp_path: Path, small_corpus_only: None) -> None:
    from nlp.analysis import load_model

    config = shop(tmp_path)
    versions = []
    for _ in range(2):
        trained = nlp(config, "train", "--no-weak", "--json")
        assert trained.exit_code == 0, trained.output
        versions.append(json.loads(trained.stdout)["version"])
    rate_in_store(config, small_corpus()[:5])
    settings = load_config(config)
    with open_store(settings.store.path) as store:
        store.set_sentiments(((i, 0.9) for i, _ in store.reviews_needing_sentiment("none")),
                             load_model(settings).scoring_version)
        assert store.count_reviews_needing_sentiment(load_model(settings).scoring_version) == 0

    table = nlp(config, "models")
    assert table.exit_code == 0 and all(version in table.stdout for version in versions)
    rolled = nlp(config, "use", versions[0])
    assert rolled.exit_code == 0 and f"{versions[0]} is now the current model" in rolled.stdout
    assert load_model(settings).version == versions[0]
    with open_store(settings.store.path) as store:
        assert store.count_reviews_needing_sentiment(load_model(settings).scoring_version) == 5
    assert json.loads(nlp(config, "use", versions[1], "--json").stdout)["current"]

    unknown = nlp(config, "use", "char13-lr-19990101000000")
    assert unknown.exit_code == ExitCode.USAGE
    assert "no model version 'char13-lr-19990101000000'" in unknown.output and versions[0] in unknown.output
    assert load_model(settings).version == versions[1]


def test_models_lists_a_flat_installation_model(tmp_path: Path) -> None:
    config = shop(tmp_path)
    S.save(S.train(extra=small_corpus(), sources=()), models_of(config))
    listed = nlp(config, "models", "--json")
    assert listed.exit_code == 0 and json.loads(listed.stdout)["status"] == "current"


# --- the daemon's retrain job -----------------------------------------------------------------------------------

def run_retrain_job(config: Path):
    from daemon.jobs import JobRunner

    runner = JobRunner(config, load_config(config), on_stage=lambda stage: None, stop_requested=lambda: False,
                       busy_wait_s=1.0)
    return runner.run("retrain")


def test_daemon_retrains_only_past_the_threshold_through_the_guard(tmp_path: Path, small_corpus_only: None,
                                                                   demo: list[tuple[str, str]]) -> None:
    config = shop(tmp_path, retrain_min_new="1000")
    rate_in_store(config, demo[:900])
    waiting = run_retrain_job(config)
    assert (waiting.status, waiting.stats) == ("ok", {"new_rated_reviews": 900,
                                                      "skipped": "fewer than 1000 new rated reviews"})
    assert model_store.versions(models_of(config)) == []

    rate_in_store(config, demo[900:STORE_REVIEWS], first_id=900)
    done = run_retrain_job(config)
    assert done.status == "ok" and done.stats["new_rated_reviews"] == STORE_REVIEWS and done.stats["promoted"]
    [version] = model_store.versions(models_of(config))
    assert version.current and version.version == done.stats["version"]
    with open_store(load_config(config).store.path) as store:
        assert version.record.rated_reviews_until == store.newest_rated_review_id()
        assert store.latest_job_runs()["retrain"].stats == done.stats
    assert run_retrain_job(config).stats["new_rated_reviews"] == 0, "counted from the model just trained"


def test_daemon_retrain_off_with_zero(tmp_path: Path) -> None:
    config = shop(tmp_path, retrain_min_new="0")
    assert run_retrain_job(config).stats == {"skipped": "schedule.retrain_min_new = 0"}


def test_a_flipped_file_in_a_shop_with_few_ratings_is_refused_by_the_import_labels(
        demo: list[tuple[str, str]]) -> None:
    """Too few store ratings to judge by them, and the flipped imports outnumber them in the pooled split: the
    current model's disagreement with the file's labels is what refuses it."""
    store, imports = demo[:150], flipped(demo[IMPORTED])
    current = S.train(extra=small_corpus() + store, sources=())
    candidate = S.train(extra=small_corpus() + store, imported=imports, sources=())
    decision = R.judge(current, candidate, imported=imports)
    verdicts = {check.name: check.verdict for check in decision.checks}
    assert not decision.promoted and verdicts[R.STORE_CHECK] == "not judged" and verdicts[R.IMPORT_CHECK] == "failed"
    assert decision.reason.startswith(R.IMPORT_CHECK) and "inverted" in decision.reason
