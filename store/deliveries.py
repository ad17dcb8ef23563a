"""The alert outbox: one row per (alert, channel, destination, message kind), delivered and retried on its own.

Life of a delivery: planned `pending` and due at once; claimed for one message (attempts + 1, the message's id
recorded, due again only when the claim's lease runs out, in case the sender dies mid-send); then either
`sent` (only once the server accepted it) or back to waiting with its error and the time of the next attempt.
A claim left behind by a crashed sender comes due again with its message id kept, so the message is rebuilt
and resent under the same Message-ID and a receiver can recognise the duplicate. A delivery not yet claimed can
instead become `suppressed` (inhibited by a critical alert of the same cause, or a repeat the route does not
want) with a note saying why; it is never sent, and never counted as sent.

Immediate deliveries carry a group key (the values of their route's group_by): the outbox sends the pending
deliveries of one destination and group key as one message.

The alert row mirrors its deliveries after every change: attempts, the next attempt, the latest error, and
state 'sent' with delivered_at once none is pending and at least one was sent (an acknowledged or resolved alert keeps its state).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.alerts import _alert_row  # the one converter of alert rows, kept beside the alerts table
from store.base import StoreBase
from store.records import AlertRow, _check_choice, _check_text, from_columns  # the records' shared checks
from store.timestamps import from_db_time, to_db_time

DELIVERY_CHANNELS = ("email", "webhook")
DELIVERY_KINDS = ("immediate", "digest")
DELIVERY_STATES = ("pending", "sent", "suppressed")


@dataclass(frozen=True, kw_only=True)
class DeliveryRecord:
    """Where one alert goes: an e-mail recipient or a webhook name, on its own at once or in a digest."""

    channel: str
    destination: str
    kind: str
    group_key: str = ""  # immediate deliveries with the same destination and group key go out as one message

    def __post_init__(self) -> None:
        _check_choice(self, "channel", DELIVERY_CHANNELS, required=True)
        _check_choice(self, "kind", DELIVERY_KINDS, required=True)
        _check_text(self, "destination", required=True)


@dataclass(frozen=True, kw_only=True)
class DeliveryRow(DeliveryRecord):
    id: int
    alert_id: int
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    message_id: str | None
    note: str | None  # why a suppressed delivery was not sent


class _ClaimLost(Exception):
    """Some of the deliveries being claimed were no longer due."""


def _delivery_row(row: dict[str, Any]) -> DeliveryRow:
    times = ("created_at", "next_attempt_at", "last_attempt_at", "sent_at")
    return from_columns(DeliveryRow, row, **{name: from_db_time(row[name]) for name in times})


def _ids_json(ids: Iterable[int]) -> str:
    # A JSON array bound as one parameter and expanded by json_each: a variable-length IN list without building SQL.
    return json.dumps(sorted(set(ids)))


# Recomputes the alert columns that mirror its deliveries. Only alerts that have deliveries are touched: an
# unrouted alert keeps the error that says so.
_SYNC_ALERTS = """
UPDATE alerts SET
    delivery_attempts = (SELECT COALESCE(SUM(attempts), 0) FROM deliveries WHERE alert_id = alerts.id),
    next_attempt_at = (SELECT MIN(next_attempt_at) FROM deliveries WHERE alert_id = alerts.id AND state = 'pending'),
    last_error = (SELECT destination || ': ' || last_error FROM deliveries
                  WHERE alert_id = alerts.id AND state = 'pending' AND last_error IS NOT NULL
                  ORDER BY last_attempt_at DESC, id DESC LIMIT 1),
    delivered_at = CASE WHEN EXISTS (SELECT 1 FROM deliveries WHERE alert_id = alerts.id AND state = 'pending')
                        THEN NULL
                        ELSE (SELECT MAX(sent_at) FROM deliveries WHERE alert_id = alerts.id AND state = 'sent') END,
    state = CASE WHEN state = 'new'
                      AND NOT EXISTS (SELECT 1 FROM deliveries WHERE alert_id = alerts.id AND state = 'pending')
                      AND EXISTS (SELECT 1 FROM deliveries WHERE alert_id = alerts.id AND state = 'sent')
                 THEN 'sent' ELSE state END,
    updated_at = :now
WHERE id IN (SELECT value FROM json_each(:ids))
  AND EXISTS (SELECT 1 FROM deliveries WHERE alert_id = alerts.id)
"""


class DeliveriesMixin(StoreBase):
    def alerts_to_route(self) -> list[AlertRow]:
        """New alerts whose deliveries have not been planned yet, oldest first."""
        rows = self._rows(
            "SELECT * FROM alerts WHERE state = 'new' AND delivery_planned_at IS NULL ORDER BY created_at, id"
        )
        return [_alert_row(row, self.path) for row in rows]

    def plan_deliveries(self, alert_id: int, deliveries: Sequence[DeliveryRecord], *, now: datetime,
                        unrouted_error: str | None = None) -> int:
        """Record where an alert goes, each delivery due at `now`; return how many were new.

        Planning twice is harmless (a planned delivery is kept as it is). With no deliveries the alert stays
        'new' with `unrouted_error` as its last error, so an alert no route matches is visible, not dropped.
        """
        moment = to_db_time(now, "delivery planned at")
        with self.transaction():
            rows = [{"alert_id": alert_id, "channel": delivery.channel, "destination": delivery.destination,
                     "kind": delivery.kind, "group_key": delivery.group_key, "created_at": moment,
                     "next_attempt_at": moment}
                    for delivery in deliveries]
            added = self._insert_new("deliveries", rows, "alert_id, channel, destination, kind",
                                     f"planning the deliveries of alert {alert_id}")
            self._execute(
                "UPDATE alerts SET delivery_planned_at = :now, updated_at = :now,"
                " last_error = CASE WHEN :error IS NULL THEN last_error ELSE :error END WHERE id = :id",
                {"now": moment, "error": None if deliveries else unrouted_error, "id": alert_id},
                f"marking alert {alert_id} as routed",
            )
            self._sync_alerts([alert_id], moment)
        return added

    def due_deliveries(self, now: datetime, *, kinds: Sequence[str] = DELIVERY_KINDS) -> list[DeliveryRow]:
        """Pending deliveries whose next attempt is due by `now`, in the order their alerts were raised.

        Deliveries of acknowledged or resolved alerts are left waiting: the operator already knows, and a
        destination that keeps refusing stops being retried once its alert is dealt with.
        """
        rows = self._rows(
            "SELECT d.* FROM deliveries AS d JOIN alerts AS a ON a.id = d.alert_id"
            " WHERE d.state = 'pending' AND d.next_attempt_at <= :now AND a.state = 'new'"
            " AND d.kind IN (SELECT value FROM json_each(:kinds))"
            " ORDER BY a.created_at, a.id, d.id",
            {"now": to_db_time(now, "due time"), "kinds": json.dumps(list(kinds))},
        )
        return [_delivery_row(row) for row in rows]

    def waiting_delivery_count(self) -> int:
        """Pending deliveries that will still be tried: those of alerts nobody has acknowledged or resolved."""
        rows = self._rows("SELECT COUNT(*) AS n FROM deliveries AS d JOIN alerts AS a ON a.id = d.alert_id"
                          " WHERE d.state = 'pending' AND a.state = 'new'")
        return int(rows[0]["n"])

    def deliveries(self, *, alert_id: int | None = None, state: str | None = None) -> list[DeliveryRow]:
        """Deliveries in planning order, optionally of one alert or in one state (for `alerts show`, reports)."""
        rows = self._rows(
            "SELECT * FROM deliveries WHERE (:alert_id IS NULL OR alert_id = :alert_id)"
            " AND (:state IS NULL OR state = :state) ORDER BY id",
            {"alert_id": alert_id, "state": state},
        )
        return [_delivery_row(row) for row in rows]

    def waiting_in_group(self, channel: str, destination: str, kind: str, group_key: str) -> list[DeliveryRow]:
        """The group's pending deliveries never tried yet, due or not: they join the group's next message."""
        rows = self._rows(
            "SELECT d.* FROM deliveries AS d JOIN alerts AS a ON a.id = d.alert_id"
            " WHERE d.channel = ? AND d.destination = ? AND d.kind = ? AND d.group_key = ? AND d.state = 'pending'"
            " AND d.message_id IS NULL AND d.attempts = 0 AND a.state = 'new' ORDER BY a.created_at, a.id, d.id",
            (channel, destination, kind, group_key))
        return [_delivery_row(row) for row in rows]

    def group_last_sent(self, channel: str, destination: str, kind: str, group_key: str) -> datetime | None:
        """When the group's latest message went out to this destination; None if it never did."""
        rows = self._rows(
            "SELECT MAX(sent_at) AS at FROM deliveries WHERE channel = ? AND destination = ? AND kind = ?"
            " AND group_key = ? AND state = 'sent'", (channel, destination, kind, group_key))
        return from_db_time(rows[0]["at"])

    def last_sent_of_dedup_key(self, dedup_key: str, channel: str, destination: str, *,
                               before_alert: int) -> tuple[int, datetime] | None:
        """The latest earlier alert with this dedup key that reached the destination, and when; None if none did."""
        rows = self._rows(
            "SELECT d.alert_id, d.sent_at FROM deliveries AS d JOIN alerts AS a ON a.id = d.alert_id"
            " WHERE a.dedup_key = ? AND a.id < ? AND d.channel = ? AND d.destination = ? AND d.state = 'sent'"
            " ORDER BY d.sent_at DESC LIMIT 1", (dedup_key, before_alert, channel, destination))
        return (int(rows[0]["alert_id"]), from_db_time(rows[0]["sent_at"])) if rows else None

    def defer_deliveries(self, ids: Sequence[int], until: datetime, *, now: datetime) -> None:
        """Hold unclaimed pending deliveries until `until` (a group waiting for its group_wait or group_interval)."""
        with self.transaction():
            self._execute(
                "UPDATE deliveries SET next_attempt_at = MAX(next_attempt_at, :until)"
                " WHERE id IN (SELECT value FROM json_each(:ids)) AND state = 'pending' AND message_id IS NULL",
                {"until": to_db_time(until, "deferred until"), "ids": _ids_json(ids)},
                "deferring grouped deliveries",
            )
            self._sync_alerts_of(ids, now)

    def suppress_deliveries(self, ids: Sequence[int], note: str, *, now: datetime) -> int:
        """Decide not to send unclaimed pending deliveries, saying why; return how many were suppressed.

        A claimed delivery (message id set) is left alone: its message may already have reached the server, and
        is resent as it was.
        """
        with self.transaction():
            cursor = self._execute(
                "UPDATE deliveries SET state = 'suppressed', note = :note"
                " WHERE id IN (SELECT value FROM json_each(:ids)) AND state = 'pending' AND message_id IS NULL",
                {"note": note, "ids": _ids_json(ids)},
                "suppressing deliveries",
            )
            self._sync_alerts_of(ids, now)
        return cursor.rowcount

    def claim_deliveries(self, ids: Sequence[int], message_id: str, *, now: datetime,
                         lease_until: datetime) -> bool:
        """Take due deliveries for one message before sending it; False (and nothing changed) if any of them is
        no longer due: another sender claimed or delivered it meanwhile. A delivery never tried is claimable
        before its time: it joins its group's message (`waiting_in_group`).

        Counts the attempt, and keeps them from being due again before `lease_until` unless the sender records
        the outcome first.
        """
        try:
            with self.transaction():
                cursor = self._execute(
                    "UPDATE deliveries SET message_id = :message_id, attempts = attempts + 1, last_attempt_at = :now,"
                    " next_attempt_at = :lease_until WHERE id IN (SELECT value FROM json_each(:ids))"
                    " AND state = 'pending' AND (next_attempt_at <= :now OR (message_id IS NULL AND attempts = 0))",
                    {"message_id": message_id, "now": to_db_time(now, "claim time"),
                     "lease_until": to_db_time(lease_until, "claim lease"), "ids": _ids_json(ids)},
                    f"claiming deliveries for message {message_id}",
                )
                if cursor.rowcount != len(set(ids)):
                    raise _ClaimLost  # rolls the partial claim back
                self._sync_alerts_of(ids, now)
        except _ClaimLost:
            return False
        return True

    def mark_delivered(self, ids: Sequence[int], message_id: str, *, at: datetime) -> None:
        """The server accepted `message_id` for these deliveries: they are sent, and their alerts too once all
        of an alert's deliveries are."""
        with self.transaction():
            self._execute(
                "UPDATE deliveries SET state = 'sent', sent_at = :at, message_id = :message_id, last_error = NULL"
                " WHERE id IN (SELECT value FROM json_each(:ids))",
                {"at": to_db_time(at, "delivered at"), "message_id": message_id, "ids": _ids_json(ids)},
                f"marking message {message_id} delivered",
            )
            self._sync_alerts_of(ids, at)

    def record_delivery_failure(self, ids: Sequence[int], error: str, *, at: datetime, next_attempt_at: datetime,
                                outcome_unknown: bool = False) -> None:
        """A send failed: keep the deliveries pending with `error`, due again at `next_attempt_at`.

        A refused message gives up its message id, so the next attempt may group these deliveries afresh. When
        the outcome is unknown (the connection broke after the message was handed over), the id is kept: the
        retry is the same message under the same Message-ID.
        """
        with self.transaction():
            self._execute(
                "UPDATE deliveries SET last_error = :error, next_attempt_at = :next,"
                " message_id = CASE WHEN :keep THEN message_id ELSE NULL END"
                " WHERE id IN (SELECT value FROM json_each(:ids)) AND state = 'pending'",
                {"error": error, "next": to_db_time(next_attempt_at, "next attempt"), "keep": outcome_unknown,
                 "ids": _ids_json(ids)},
                "recording a failed delivery",
            )
            self._sync_alerts_of(ids, at)

    def _sync_alerts_of(self, delivery_ids: Sequence[int], now: datetime) -> None:
        rows = self._rows("SELECT DISTINCT alert_id FROM deliveries WHERE id IN (SELECT value FROM json_each(?))",
                          (_ids_json(delivery_ids),))
        self._sync_alerts([row["alert_id"] for row in rows], to_db_time(now, "delivery time"))

    def _sync_alerts(self, alert_ids: Sequence[int], now: str) -> None:
        self._execute(_SYNC_ALERTS, {"ids": _ids_json(alert_ids), "now": now}, "updating alerts from their deliveries")
