"""Fault injection for the demo marketplace, switchable per platform and route.

Real marketplaces throttle (429 with Retry-After), fail (500/503), stall, cut pages short, serve broken markup,
hide prices and disallow paths in robots.txt. They also answer with a page that is not the one asked for: a slider
captcha ("captcha"), a redirect to their login page ("login"), an empty result page for a shopper they distrust
("softban": the request is answered as if its query named nothing) and, after a redesign, the same content under
new class names ("layout": every class renamed, as CSS-module hashes do). A crawler is only trustworthy if it has met all of these, so the
demo can inject each on any route, for a number of requests or with a probability, and switch it off again.
"""

from __future__ import annotations

import fnmatch
import hashlib
import random
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("status", "slow", "truncate", "malformed", "noprice", "disallow", "captcha", "login", "softban", "layout")


class FaultError(ValueError):
    """A fault rule that cannot be understood."""


@dataclass
class FaultRule:
    """One fault: which requests it hits and what it does to them.

    `path` is a shell-style pattern matched against the request path with its query string, e.g. "/item/*" or
    "/goods.php?id=880001". `times` limits the rule to the first N matching requests (None: every one);
    `probability` hits only that share of matching requests (seeded, so a run is repeatable).
    """

    kind: str
    platform: str = "*"
    path: str = "*"
    status: int = 500            # kind "status": the HTTP status to answer
    retry_after: float | None = None  # kind "status": seconds sent in a Retry-After header
    delay: float = 2.0           # kind "slow": seconds to wait before answering
    keep: float = 0.5            # kind "truncate": share of the body kept
    times: int | None = None
    probability: float = 1.0
    hits: int = 0
    id: int = 0
    _rng: random.Random = field(default_factory=lambda: random.Random(0), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise FaultError(f"fault status must be an HTTP error code 400-599, got {self.status}")
        if not 0.0 < self.probability <= 1.0:
            raise FaultError(f"fault probability must be in (0, 1], got {self.probability}")
        if not 0.0 <= self.keep < 1.0:
            raise FaultError(f"fault keep must be in [0, 1), got {self.keep}")
        if self.times is not None and self.times < 1:
            raise FaultError(f"fault times must be >= 1 or absent, got {self.times}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        allowed = {"kind", "platform", "path", "status", "retry_after", "delay", "keep", "times", "probability"}
        unknown = set(data) - allowed
        if unknown:
            raise FaultError(f"unknown fault field(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}")
        if "kind" not in data:
            raise FaultError("a fault needs a 'kind'")
        try:
            return cls(**data)
        except TypeError as exc:
            raise FaultError(str(exc)) from exc

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_rng")
        return data

    def matches(self, platform: str, path_qs: str) -> bool:
        if self.platform not in ("*", platform):
            return False
        return fnmatch.fnmatchcase(path_qs, self.path)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


class FaultBook:
    """The active fault rules of a running marketplace. Thread-safe: the admin API and the shops share it."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._seed = seed
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = self._next_id
            rule._rng = random.Random(f"{self._seed}:{rule.id}")
            self._next_id += 1
            self._rules.append(rule)
            return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def take(self, platform: str, path_qs: str) -> FaultRule | None:
        """The fault to apply to this request, if any, counting it against the rule's budget.

        robots.txt disallow rules never fire on requests: they only change robots.txt.
        """
        with self._lock:
            for rule in self._rules:
                if rule.kind == "disallow" or rule.exhausted or not rule.matches(platform, path_qs):
                    continue
                if rule.probability < 1.0 and rule._rng.random() >= rule.probability:
                    continue
                rule.hits += 1
                return rule
        return None

    def disallowed(self, platform: str) -> list[str]:
        """robots.txt Disallow lines added by faults for a platform (the pattern up to its first wildcard)."""
        with self._lock:
            return [re.split(r"[*?\[]", r.path, maxsplit=1)[0] or "/"
                    for r in self._rules if r.kind == "disallow" and r.platform in ("*", platform)]


def malform(html: str) -> str:
    """Break the markup the way real pages break while a browser still shows the text: closing tags dropped,
    stray closers, an attribute with an unbalanced quote, misnested inline tags and junk characters."""
    broken = re.sub(r"</(div|li|td|tr|span|p|ul|table)>", "", html, flags=re.IGNORECASE)
    broken = broken.replace('class="', 'class=', 3)
    broken = broken.replace("<body", "<!-- tpl:v2 --><b><i></b></i></div></span>\n<body", 1)
    return broken + "\n<div><span>\x00\ufffd</p></td>"


CLASS_ATTRIBUTE = re.compile(r"""(?i)\bclass=("[^"]*"|'[^']*'|[^\s>]+)""")


def relayout(html: str) -> str:
    """Every class name replaced by a hash of it: the page looks and reads the same, its selectors match nothing."""
    def renamed(match: re.Match) -> str:
        names = match[1].strip("\"'").split()
        return 'class="' + " ".join("_" + hashlib.sha1(name.encode()).hexdigest()[:6] for name in names) + '"'
    return CLASS_ATTRIBUTE.sub(renamed, html)


def truncate(body: bytes, keep: float) -> bytes:
    return body[: int(len(body) * keep)]
