"""What a monitor hands on: alerts to raise and insights to record.

A monitor is a function `run(store, config, *, now) -> Findings`: it reads facts from the store and returns what
it concluded, writing nothing itself. `monitors.runner` alone writes the findings, applying each alert's dedup
key and cooldown, so every rule can be tested on a hand-built store and no rule can forget the cooldown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from store import AlertRecord


@dataclass(frozen=True, kw_only=True)
class Insight:
    """Intelligence rather than an alarm (a competitor's compliance breach, a differentiation opportunity).

    Stored by (kind, subject): the same insight seen again refreshes its detail and last-seen time.
    """

    kind: str
    subject: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    platform: str | None = None
    keyword: str | None = None
    product_id: int | None = None


@dataclass
class Findings:
    """`alerts` are conditions (a price below cost): raised again after the cooldown for as long as they hold.
    `events` are things that happened once (a review posted, a listing published with a breach): raised once per
    dedup key, ever. `insights` are intelligence, recorded rather than sent. `complete_kinds` are insight kinds
    this run looked for everywhere (e.g. every competitor listing), so a stored one it did not find again no
    longer holds and is deleted."""

    alerts: list[AlertRecord] = field(default_factory=list)
    events: list[AlertRecord] = field(default_factory=list)
    insights: list[Insight] = field(default_factory=list)
    complete_kinds: set[str] = field(default_factory=set)

    def extend(self, other: Findings) -> None:
        self.alerts.extend(other.alerts)
        self.events.extend(other.events)
        self.insights.extend(other.insights)
        self.complete_kinds |= other.complete_kinds
