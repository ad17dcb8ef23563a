"""Alerts raised by monitors: the table and its basic operations. Dedup and the delivery outbox build on these."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from store.base import StoreBase, to_json
from store.errors import InvalidRecordError, NotFoundError
from store.records import ALERT_STATES, AlertRecord, AlertRow, from_columns
from store.timestamps import from_db_time, to_db_time, utc_now


def _alert_row(row: dict[str, Any]) -> AlertRow:
    times = ("created_at", "updated_at", "next_attempt_at", "delivered_at")
    return from_columns(
        AlertRow, row, evidence=json.loads(row["evidence"]), **{name: from_db_time(row[name]) for name in times}
    )


class AlertsMixin(StoreBase):
    def add_alert(self, alert: AlertRecord, *, created_at: datetime | None = None) -> int:
        """Store a new alert in state 'new' and return its id."""
        created = to_db_time(created_at or utc_now(), "alert created_at")
        row = {
            "dedup_key": alert.dedup_key,
            "kind": alert.kind,
            "category": alert.category,
            "severity": alert.severity,
            "state": "new",
            "subject": alert.subject,
            "title": alert.title,
            "body": alert.body,
            "evidence": to_json(dict(alert.evidence), self.path, f"evidence of alert {alert.dedup_key!r}"),
            "suggestion": alert.suggestion,
            "created_at": created,
            "updated_at": created,
        }
        with self.transaction():
            return self._insert("alerts", row, f"storing alert {alert.dedup_key!r}")

    def get_alert(self, alert_id: int) -> AlertRow:
        """One alert by id; NotFoundError if there is none."""
        rows = self._rows("SELECT * FROM alerts WHERE id = ?", (alert_id,))
        if not rows:
            raise NotFoundError(f"{self.path}: no alert with id {alert_id}")
        return _alert_row(rows[0])

    def alerts(
        self,
        *,
        state: str | None = None,
        kind: str | None = None,
        dedup_key: str | None = None,
        limit: int | None = None,
    ) -> list[AlertRow]:
        """Alerts oldest first (the order an outbox sends them), optionally filtered."""
        rows = self._rows(
            "SELECT * FROM alerts WHERE (:state IS NULL OR state = :state) AND (:kind IS NULL OR kind = :kind)"
            " AND (:dedup_key IS NULL OR dedup_key = :dedup_key) ORDER BY created_at, id LIMIT :limit",
            {"state": state, "kind": kind, "dedup_key": dedup_key, "limit": -1 if limit is None else limit},
        )
        return [_alert_row(row) for row in rows]

    def set_alert_state(self, alert_id: int, state: str) -> None:
        """Move an alert to `state` ('new', 'sent', 'acknowledged', 'resolved'); 'sent' stamps delivered_at.

        Which transitions are allowed is the outbox's decision, not checked here.
        """
        if state not in ALERT_STATES:
            raise InvalidRecordError(f"{self.path}: alert state must be one of {ALERT_STATES}, got {state!r}")
        now = to_db_time(utc_now())
        with self.transaction():
            cursor = self._execute(
                "UPDATE alerts SET state = :state, updated_at = :now,"
                " delivered_at = CASE WHEN :state = 'sent' THEN :now ELSE delivered_at END WHERE id = :id",
                {"state": state, "now": now, "id": alert_id},
                f"changing the state of alert {alert_id}",
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"{self.path}: no alert with id {alert_id}")
