"""nlp.model_store: versions in folders of their own, the atomic `current` pointer, the flat layout of earlier
installations (read as one version, migrated on the first write), pruning, and `use` with an unknown version."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import pytest

from nlp import model_store as M
from nlp import sentiment as S
from test_sentiment import small_corpus

PROMOTED = M.ModelRecord(M.Decision(promoted=True, reason="test"), rated_reviews_until=7)
REFUSED = M.ModelRecord(M.Decision(promoted=False, reason="worse on the store's ratings"))


@pytest.fixture(scope="module")
def trained() -> S.SentimentModel:
    return S.train(extra=small_corpus(), sources=())


def copy(model: S.SentimentModel, n: int) -> S.SentimentModel:
    """The same weights under another version, trained n minutes later (versions sort by training time)."""
    return dataclasses.replace(model, version=f"char13-lr-v{n:02d}", trained_at=f"2026-12-07T10:{n:02d}:00+00:00")


def test_each_version_has_its_folder_and_the_pointer_names_the_current(trained, tmp_path: Path) -> None:
    first = M.add(tmp_path, copy(trained, 1), PROMOTED)
    assert first.current and (tmp_path / "char13-lr-v01" / S.ARRAYS_FILE).is_file()
    assert (tmp_path / M.POINTER_FILE).read_text(encoding="utf-8") == "char13-lr-v01\n"
    M.add(tmp_path, copy(trained, 2), REFUSED)
    assert S.load(tmp_path).version == "char13-lr-v01", "a refused model is stored but not current"
    listed = M.versions(tmp_path)
    assert [(v.version, v.status) for v in listed] == [
        ("char13-lr-v01", "current"), ("char13-lr-v02", "kept beside: worse on the store's ratings")]
    assert listed[0].record.rated_reviews_until == 7 and listed[0].accuracy("all") is not None
    assert M.latest_rated_reviews_until(tmp_path) == 7
    M.add(tmp_path, copy(trained, 3), PROMOTED)
    assert [v.status for v in M.versions(tmp_path)] == ["replaced", "kept beside: worse on the store's ratings",
                                                        "current"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging left behind"


def test_a_version_name_taken_gets_a_suffix(trained, tmp_path: Path) -> None:
    M.add(tmp_path, copy(trained, 1), PROMOTED)
    again = M.add(tmp_path, copy(trained, 1), PROMOTED)
    assert again.version == "char13-lr-v01-2" and S.load(tmp_path).version == "char13-lr-v01-2"


def test_a_failed_write_leaves_the_current_model_as_it_was(trained, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    M.add(tmp_path, copy(trained, 1), PROMOTED)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patched:   # the model's files fail halfway: no version appears
        patched.setattr(S, "replace_atomically", crash)
        with pytest.raises(OSError):
            M.add(tmp_path, copy(trained, 2), PROMOTED)
    assert [v.version for v in M.versions(tmp_path)] == ["char13-lr-v01"]
    real_replace = os.replace

    def pointer_fails(source, target):
        if Path(target).name == M.POINTER_FILE:
            raise OSError("disk full")
        real_replace(source, target)

    with monkeypatch.context() as patched:   # the version is complete but the pointer cannot be replaced
        patched.setattr(os, "replace", pointer_fails)
        with pytest.raises(OSError):
            M.add(tmp_path, copy(trained, 3), PROMOTED)
    assert S.load(tmp_path).version == "char13-lr-v01"
    assert (tmp_path / M.POINTER_FILE).read_text(encoding="utf-8") == "char13-lr-v01\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["char13-lr-v01", "char13-lr-v03", M.POINTER_FILE]


def test_flat_layout_loads_lists_as_current_and_migrates_on_the_first_write(trained, tmp_path: Path) -> None:
    flat = copy(trained, 1)
    S.save(flat, tmp_path)                   # what `make` set-up and the Containerfile built before versioning
    assert S.load(tmp_path).version == flat.version
    [only] = M.versions(tmp_path)
    assert (only.version, only.status, only.folder) == (flat.version, "current", tmp_path)
    M.prune(tmp_path, keep=0)
    assert (tmp_path / S.ARRAYS_FILE).exists(), "pruning never deletes the flat model"
    M.add(tmp_path, copy(trained, 2), REFUSED)
    assert not (tmp_path / S.ARRAYS_FILE).exists() and (tmp_path / flat.version / S.ARRAYS_FILE).is_file()
    assert S.load(tmp_path).version == flat.version
    assert [(v.version, v.status) for v in M.versions(tmp_path)] == [
        (flat.version, "current"), ("char13-lr-v02", "kept beside: worse on the store's ratings")]
    assert M.versions(tmp_path)[0].record == M.BEFORE_VERSIONING


def test_a_migration_interrupted_after_the_pointer_finishes_next_time(trained, tmp_path: Path) -> None:
    S.save(copy(trained, 1), tmp_path)
    M.migrate_flat_layout(tmp_path)
    S.save(copy(trained, 1), tmp_path)       # as if the flat files had not been deleted yet
    M.migrate_flat_layout(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["char13-lr-v01", M.POINTER_FILE]


def test_old_versions_are_pruned_but_never_the_current(trained, tmp_path: Path) -> None:
    M.add(tmp_path, copy(trained, 0), PROMOTED)
    for n in range(1, M.KEEP_VERSIONS + 3):
        M.add(tmp_path, copy(trained, n), REFUSED)
    kept = [v.version for v in M.versions(tmp_path)]
    assert kept == ["char13-lr-v00"] + [f"char13-lr-v{n:02d}" for n in range(3, M.KEEP_VERSIONS + 3)]
    assert len(kept) == M.KEEP_VERSIONS + 1 and S.load(tmp_path).version == "char13-lr-v00"


def test_use_rolls_back_and_forward_and_names_the_known_versions(trained, tmp_path: Path) -> None:
    M.add(tmp_path, copy(trained, 1), PROMOTED)
    M.add(tmp_path, copy(trained, 2), PROMOTED)
    assert M.use(tmp_path, "char13-lr-v01").current and S.load(tmp_path).version == "char13-lr-v01"
    assert M.use(tmp_path, "char13-lr-v02").current and S.load(tmp_path).version == "char13-lr-v02"
    with pytest.raises(M.UnknownVersion) as unknown:
        M.use(tmp_path, "char13-lr-v09")
    assert unknown.value.known == ["char13-lr-v01", "char13-lr-v02"]
    assert "char13-lr-v01, char13-lr-v02" in str(unknown.value)


def test_record_round_trips_through_json(trained, tmp_path: Path) -> None:
    check = M.Check("store ratings held-out", 60, 0.95, 0.7, "failed", "70.0% against 95.0%")
    record = M.ModelRecord(M.Decision(False, "worse", "char13-lr-v01", checks=[check]), rated_reviews_until=42)
    M.add(tmp_path, copy(trained, 2), record)
    assert M.versions(tmp_path)[0].record == record
    stored = json.loads((tmp_path / "char13-lr-v02" / M.RECORD_FILE).read_text(encoding="utf-8"))
    assert stored["decision"]["checks"][0]["verdict"] == "failed"
    shutil.rmtree(tmp_path / "char13-lr-v02")
    assert M.versions(tmp_path) == [] and M.current_version(tmp_path) is None
