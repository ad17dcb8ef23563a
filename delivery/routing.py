"""Where an alert goes: the destinations of every route that matches it, and as which kind of message.

Kinds: with `alerts.digest` on, every alert goes into the digest of each destination (the digest is the full
record of a run, read in one go); a critical alert with `critical_immediate` on also goes out at once on its
own, so the operator on duty hears about it now and its digest still lists everything. With `alerts.digest`
off, every alert goes out on its own at once. The digest and immediate deliveries of one alert are separate
rows, so each is retried on its own and neither can be sent twice.
"""

from __future__ import annotations

from config import AlertSettings
from store import AlertRow, DeliveryRecord


def deliveries_for(alert: AlertRow, settings: AlertSettings) -> list[DeliveryRecord]:
    """The deliveries an alert needs under the configured routes, each destination once per kind."""
    kinds = _kinds(alert.severity, settings)
    planned: dict[tuple[str, str, str], DeliveryRecord] = {}
    for route in settings.routes:
        if not route.matches(alert.category or "", alert.severity):
            continue
        destinations = [("email", recipient) for recipient in route.recipients]
        destinations += [("webhook", name) for name in route.webhooks]
        for channel, destination in destinations:
            for kind in kinds:
                planned.setdefault((channel, destination, kind),
                                   DeliveryRecord(channel=channel, destination=destination, kind=kind))
    return list(planned.values())


def unrouted_reason(alert: AlertRow) -> str:
    """The error an alert no route matches carries, so `alerts show` says why nobody was told."""
    return (f"no [[alerts.routes]] entry matches category {alert.category or '(none)'!r} and severity "
            f"{alert.severity!r}: nobody was notified")


def _kinds(severity: str, settings: AlertSettings) -> tuple[str, ...]:
    if not settings.digest:
        return ("immediate",)
    if severity == "critical" and settings.critical_immediate:
        return ("immediate", "digest")
    return ("digest",)
