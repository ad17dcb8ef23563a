"""What a monitor hands on: alerts to raise and insights to record.

A monitor is a function `run(store, config, *, now) -> Findings`: it reads facts from the store and returns what
it concluded, writing nothing itself. `monitors.runner` alone writes the findings, applying each alert's dedup
key and cooldown, so every rule can be tested on a hand-built store and no rule can forget the cooldown.

A monitor that judges changes (a price move, a band shift) judges every fact stored since its watermark in the
store, not only the newest: a cycle killed after its crawl and before its monitors left facts that the next
cycle's crawl does not repeat. The findings carry the watermarks to advance, and the runner advances them in the
transaction that records the alerts, so a kill before that commit means the facts are judged again, never lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from i18n import N_, Message
from store import AlertRecord, PriceRow

UNKNOWN_SHOP = N_("unknown shop")  # a listing whose page named no shop


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
    longer holds and is deleted. `watermarks` are (monitor, facts table) -> the id of the last row judged."""

    alerts: list[AlertRecord] = field(default_factory=list)
    events: list[AlertRecord] = field(default_factory=list)
    insights: list[Insight] = field(default_factory=list)
    complete_kinds: set[str] = field(default_factory=set)
    watermarks: dict[tuple[str, str], int] = field(default_factory=dict)

    def extend(self, other: Findings) -> None:
        self.alerts.extend(other.alerts)
        self.events.extend(other.events)
        self.insights.extend(other.insights)
        self.complete_kinds |= other.complete_kinds
        for key, evaluated_to in other.watermarks.items():
            self.watermarks[key] = max(evaluated_to, self.watermarks.get(key, evaluated_to))

    def judged(self, monitor: str, facts: str, histories: Mapping[int, Sequence[PriceRow]]) -> None:
        """Record that `monitor` has judged every observation in `histories` (product id -> observations)."""
        if histories:
            self.watermarks[(monitor, facts)] = max(row.id for rows in histories.values() for row in rows)

    def first_per_key(self) -> Findings:
        """Each dedup key's first alert and event only. Judging several crawls since a watermark finds a standing
        condition at each: the first (the oldest) is the one the monitor would have raised had it run after each
        crawl, and the key kept the later ones quiet."""
        def first(alerts: list[AlertRecord]) -> list[AlertRecord]:
            return list({alert.dedup_key: alert for alert in reversed(alerts)}.values())[::-1]

        return Findings(alerts=first(self.alerts), events=first(self.events), insights=self.insights,
                        complete_kinds=self.complete_kinds, watermarks=self.watermarks)


def histories_to_judge(history: Sequence[PriceRow], evaluated_to: int | None, depth: int
                       ) -> list[Sequence[PriceRow]]:
    """A product's last `depth` observations (newest first) as they stood at each observation stored after the
    watermark, oldest first: what the monitor would have seen had it run after each crawl. With none stored since,
    the history as it stands: a condition that still holds is raised again once its cooldown is over. `history`
    must reach `depth` - 1 observations behind the oldest one after the watermark (`Store.recent_prices(after=)`).
    """
    points = [i for i, row in enumerate(history) if evaluated_to is None or row.id > evaluated_to] or [0]
    return [history[i:i + depth] for i in reversed(points)]


def lines(*parts: Message | str) -> Message | str:
    """An alert's text made of lines, some translated, the empty ones left out: one Message whose msgid is only the
    layout, so each line is translated when the text is rendered."""
    kept = [part for part in parts if part]
    if len(kept) <= 1:
        return kept[0] if kept else ""
    return N_("{line}\n{more}", line=kept[0], more=lines(*kept[1:]))
