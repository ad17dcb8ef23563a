"""Alerts raised by monitors: the table, raising with dedup and cooldown, the operator's state changes, and each
monitor's watermarks (how far it has evaluated the facts, advanced in the transaction that records its alerts)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import i18n
from i18n import Message
from store.base import StoreBase, to_json
from store.errors import AlertStateError, InvalidRecordError, NotFoundError, StoredMessageError
from store.records import ALERT_STATES, AlertEventRow, AlertRecord, AlertRow, SEVERITIES, from_columns
from store.timestamps import from_db_time, to_db_time


WORDING = ("title", "body", "suggestion")  # what a person reads: a message column beside each text column


def _alert_row(row: dict[str, Any], path: Path) -> AlertRow:
    times = ("created_at", "updated_at", "next_attempt_at", "delivered_at")
    return from_columns(
        AlertRow, row, evidence=json.loads(row["evidence"]), **{name: from_db_time(row[name]) for name in times},
        **{name: _wording(row, name, path) for name in WORDING},
    )


def _wording(row: dict[str, Any], name: str, path: Path) -> Message | str | None:
    """The stored Message of column `name` when there is one, else its text (alerts stored before messages)."""
    stored = row.get(f"{name}_message")
    if stored is None:
        return row[name]
    try:
        return Message.from_json(json.loads(stored))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise StoredMessageError(f"{path}: alert {row['id']}: the stored {name} message does not parse "
                                 f"({type(error).__name__}: {error}): {stored[:200]}") from error


def _wording_columns(alert: AlertRecord, path: Path) -> dict[str, str | None]:
    """Each wording as text in the default language (for SQL readers) and, when it is a Message, as its JSON."""
    columns: dict[str, str | None] = {}
    with i18n.using(i18n.DEFAULT_LOCALE):
        for name in WORDING:
            value = getattr(alert, name)
            columns[name] = None if value is None else str(value)
            columns[f"{name}_message"] = (to_json(value.to_json(), path, f"{name} of alert {alert.dedup_key!r}")
                                          if isinstance(value, Message) else None)
    return columns


def _event_row(row: dict[str, Any]) -> AlertEventRow:
    return from_columns(AlertEventRow, row, at=from_db_time(row["at"]))


MAX_NOTE_CHARS = 2000


class AlertsMixin(StoreBase):
    def add_alert(self, alert: AlertRecord, *, created_at: datetime | None = None) -> int:
        """Store a new alert in state 'new' and return its id."""
        created = to_db_time(created_at or self.clock(), "alert created_at")
        row = {
            "dedup_key": alert.dedup_key,
            "kind": alert.kind,
            "category": alert.category,
            "severity": alert.severity,
            "state": "new",
            "subject": alert.subject,
            **_wording_columns(alert, self.path),
            "evidence": to_json(dict(alert.evidence), self.path, f"evidence of alert {alert.dedup_key!r}"),
            "created_at": created,
            "updated_at": created,
        }
        with self.transaction():
            return self._insert("alerts", row, f"storing alert {alert.dedup_key!r}")

    def raise_alert(self, alert: AlertRecord, *, cooldown: timedelta, once: bool = False,
                    now: datetime | None = None) -> int | None:
        """Store `alert` unless the same dedup key is quiet, and return the new id (None when suppressed).

        Quiet means: its latest alert is acknowledged (the operator knows; it stays quiet until resolved), or
        was raised less than `cooldown` ago, whatever its state. `once=True` is for events rather than
        conditions (a review posted, a listing published with a breach): any earlier alert with the key
        suppresses it for good. The check and the insert are one transaction, so two monitor runs racing on
        the same database cannot both raise it.
        """
        moment = now or self.clock()
        with self.transaction():
            rows = self._rows(
                "SELECT state, created_at FROM alerts WHERE dedup_key = ? ORDER BY created_at DESC, id DESC LIMIT 1",
                (alert.dedup_key,),
            )
            if rows:
                latest = rows[0]
                recent = moment - from_db_time(latest["created_at"]) < cooldown
                if once or recent or latest["state"] == "acknowledged":
                    return None
            return self.add_alert(alert, created_at=moment)

    def get_alert(self, alert_id: int) -> AlertRow:
        """One alert by id; NotFoundError if there is none."""
        rows = self._rows("SELECT * FROM alerts WHERE id = ?", (alert_id,))
        if not rows:
            raise NotFoundError(f"{self.path}: no alert with id {alert_id}")
        return _alert_row(rows[0], self.path)

    def alerts(
        self,
        *,
        state: str | None = None,
        kind: str | None = None,
        category: str | None = None,
        dedup_key: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AlertRow]:
        """Alerts oldest first (the order an outbox sends them) or newest first, optionally filtered."""
        order = "DESC" if newest_first else "ASC"
        rows = self._rows(
            "SELECT * FROM alerts WHERE (:state IS NULL OR state = :state) AND (:kind IS NULL OR kind = :kind)"
            " AND (:category IS NULL OR category = :category) AND (:dedup_key IS NULL OR dedup_key = :dedup_key)"
            f" ORDER BY created_at {order}, id {order} LIMIT :limit",
            {"state": state, "kind": kind, "category": category, "dedup_key": dedup_key,
             "limit": -1 if limit is None else limit},
        )
        return [_alert_row(row, self.path) for row in rows]

    def count_alerts(self, *, state: str | None = None, category: str | None = None) -> int:
        """How many alerts `alerts` gives without a limit (a list cut at its limit says how many it left out)."""
        rows = self._rows(
            "SELECT COUNT(*) AS n FROM alerts WHERE (:state IS NULL OR state = :state)"
            " AND (:category IS NULL OR category = :category)",
            {"state": state, "category": category},
        )
        return int(rows[0]["n"])

    def open_alert_of(self, kinds: tuple[str, ...], subject: str, *, raised_since: datetime) -> AlertRow | None:
        """The latest alert of one of `kinds` on `subject` raised since `raised_since` and not resolved: a condition
        that still holds as far as the store knows (conditions are raised again every cooldown while they hold)."""
        rows = self._rows(
            "SELECT * FROM alerts WHERE kind IN (SELECT value FROM json_each(?)) AND subject = ?"
            " AND state != 'resolved' AND created_at >= ? ORDER BY created_at DESC, id DESC LIMIT 1",
            (json.dumps(list(kinds)), subject, to_db_time(raised_since, "raised since")),
        )
        return _alert_row(rows[0], self.path) if rows else None

    def acknowledge_alert(self, alert_id: int, *, by: str | None = None) -> AlertRow:
        """Someone is on it: a new or sent alert becomes 'acknowledged' (its dedup key stays quiet until resolved,
        and the outbox no longer sends its deliveries not yet made). The alert's history records it, and `by`."""
        return self._operator_transition(alert_id, "acknowledged", allowed=("new", "sent"), by=by)

    def resolve_alert(self, alert_id: int, *, by: str | None = None) -> AlertRow:
        """The problem is fixed: any open alert becomes 'resolved'; the same condition later raises a new alert.
        The alert's history records it, and `by`."""
        return self._operator_transition(alert_id, "resolved", allowed=("new", "sent", "acknowledged"), by=by)

    def _operator_transition(self, alert_id: int, state: str, *, allowed: tuple[str, ...],
                             by: str | None) -> AlertRow:
        with self.transaction():
            current = self.get_alert(alert_id).state
            if current not in allowed:
                raise AlertStateError(f"{self.path}: alert {alert_id} is {current}; only an alert that is "
                                      f"{' or '.join(allowed)} can become {state}")
            now = self.clock()
            self._execute("UPDATE alerts SET state = ?, updated_at = ? WHERE id = ?",
                          (state, to_db_time(now), alert_id), f"marking alert {alert_id} {state}")
            self._add_event(alert_id, state, by, None, now)
        return self.get_alert(alert_id)

    def add_alert_note(self, alert_id: int, note: str, *, by: str | None) -> AlertEventRow:
        """Write a note in the alert's history (what was found, who was called), whatever its state."""
        text = note.strip() if isinstance(note, str) else ""
        if not text or len(text) > MAX_NOTE_CHARS:
            raise InvalidRecordError(f"a note must hold 1 to {MAX_NOTE_CHARS} characters, got {len(text)}")
        with self.transaction():
            self.get_alert(alert_id)  # NotFoundError before a dangling note
            event_id = self._add_event(alert_id, "note", by, text, self.clock())
        return next(event for event in self.alert_history(alert_id) if event.id == event_id)

    def alert_history(self, alert_id: int) -> list[AlertEventRow]:
        """What people did to the alert, oldest first."""
        rows = self._rows("SELECT * FROM alert_events WHERE alert_id = ? ORDER BY at, id", (alert_id,))
        return [_event_row(row) for row in rows]

    def _add_event(self, alert_id: int, action: str, actor: str | None, note: str | None, at: datetime) -> int:
        return self._insert("alert_events", {"alert_id": alert_id, "action": action, "actor": actor, "note": note,
                                             "at": to_db_time(at)}, f"recording {action} on alert {alert_id}")

    def alerts_open_first(self, *, category: str | None = None, severity: str | None = None,
                          subject: str | None = None, kind: str | None = None, open_only: bool = False,
                          limit: int = 200) -> list[AlertRow]:
        """Alerts as the person on duty reads them: open ones (new, sent, acknowledged) before resolved ones, the
        unacknowledged before the acknowledged, then the most severe and the newest first; optionally filtered,
        `open_only` leaving the resolved out."""
        rows = self._rows(
            "SELECT * FROM alerts WHERE (:category IS NULL OR category = :category)"
            " AND (:severity IS NULL OR severity = :severity) AND (:subject IS NULL OR subject = :subject)"
            " AND (:kind IS NULL OR kind = :kind) AND (:open_only = 0 OR state != 'resolved')"
            " ORDER BY CASE state WHEN 'resolved' THEN 2 WHEN 'acknowledged' THEN 1 ELSE 0 END,"
            " (SELECT key FROM json_each(:severities) WHERE value = severity) DESC, created_at DESC, id DESC"
            " LIMIT :limit",
            {"category": category, "severity": severity, "subject": subject, "kind": kind, "open_only": open_only,
             "severities": json.dumps(SEVERITIES), "limit": limit},
        )
        return [_alert_row(row, self.path) for row in rows]

    def alert_facets(self) -> tuple[list[str], list[str]]:
        """The categories and the subjects alerts have, sorted: what a list of them can be filtered by."""
        categories = self._rows("SELECT DISTINCT category FROM alerts WHERE category IS NOT NULL ORDER BY 1")
        subjects = self._rows("SELECT DISTINCT subject FROM alerts WHERE subject IS NOT NULL ORDER BY 1")
        return [row["category"] for row in categories], [row["subject"] for row in subjects]

    def set_alert_state(self, alert_id: int, state: str) -> None:
        """Move an alert to `state` ('new', 'sent', 'acknowledged', 'resolved'); 'sent' stamps delivered_at.

        Which transitions are allowed is the outbox's decision, not checked here.
        """
        if state not in ALERT_STATES:
            raise InvalidRecordError(f"{self.path}: alert state must be one of {ALERT_STATES}, got {state!r}")
        now = to_db_time(self.clock())
        with self.transaction():
            cursor = self._execute(
                "UPDATE alerts SET state = :state, updated_at = :now,"
                " delivered_at = CASE WHEN :state = 'sent' THEN :now ELSE delivered_at END WHERE id = :id",
                {"state": state, "now": now, "id": alert_id},
                f"changing the state of alert {alert_id}",
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"{self.path}: no alert with id {alert_id}")

    def watermark(self, monitor: str, facts: str) -> int | None:
        """The id of the last row of the `facts` table that `monitor` has evaluated; None before its first run."""
        rows = self._rows("SELECT evaluated_to FROM monitor_watermarks WHERE monitor = ? AND facts = ?",
                          (monitor, facts))
        return int(rows[0]["evaluated_to"]) if rows else None

    def advance_watermark(self, monitor: str, facts: str, evaluated_to: int) -> None:
        """Record that `monitor` has evaluated the `facts` rows up to id `evaluated_to`. A watermark never moves
        back: a monitor run that read an older snapshot cannot undo a later run's progress."""
        with self.transaction():
            self._execute(
                "INSERT INTO monitor_watermarks (monitor, facts, evaluated_to, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (monitor, facts) DO UPDATE SET evaluated_to = excluded.evaluated_to,"
                " updated_at = excluded.updated_at WHERE excluded.evaluated_to > evaluated_to",
                (monitor, facts, evaluated_to, to_db_time(self.clock())),
                f"advancing the {monitor} watermark on {facts}",
            )
