"""The alert log of the period: every alert raised, with its state and whether its deliveries went out."""

from __future__ import annotations

from dataclasses import dataclass

from i18n import _
from reports.period import Period
from store import AlertRow, Store


@dataclass(frozen=True)
class AlertLine:
    alert: AlertRow
    delivery: str        # "delivered", "pending (1 of 2 sent)", "none planned", in the current locale
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
            lines.append(AlertLine(alert, _("delivered") if delivered else _("none planned"), delivered))
        elif tally.pending:
            lines.append(AlertLine(alert, _("pending ({sent} of {total} sent)", sent=tally.sent,
                                            total=tally.sent + tally.pending), False))
        else:
            lines.append(AlertLine(alert, _("delivered"), True))

    return lines
