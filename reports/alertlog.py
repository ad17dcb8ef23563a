"""The alert log of the period: every alert raised, with its state and whether its deliveries went out."""

from __future__ import annotations

from dataclasses import dataclass

from reports.period import Period
from store import AlertRow, Store


@dataclass(frozen=True)
class AlertLine:
    alert: AlertRow
    delivery: str        # "delivered", "pending (1 of 2 sent)", "none planned"
    delivered: bool


def alert_log(store: Store, period: Period) -> list[AlertLine]:
    """Alerts raised in the period, newest first."""
    alerts = store.alerts_between(period.start, period.end)
    tallies = store.delivery_tallies(alert.id for alert in alerts)
    lines = []
    for alert in alerts:
        tally = tallies.get(alert.id)
        if tally is None:
            delivered = alert.delivered_at is not None
            lines.append(AlertLine(alert, "delivered" if delivered else "none planned", delivered))
        elif tally.pending:
            lines.append(AlertLine(alert, f"pending ({tally.sent} of {tally.sent + tally.pending} sent)", False))
        else:
            lines.append(AlertLine(alert, "delivered", True))
    return lines
