"""Where an alert goes: the destinations of every route that matches it, as which kind of message, in which group.

Kinds, per route (`send`): "immediate" sends the alert at once, grouped with the other alerts of its group
(below); "digest" lists it in the destination's digest; "auto" (the default) follows `alerts.digest` and
`alerts.critical_immediate`: critical alerts at once, the rest in the digest. With `alerts.digest = false`
there are no digests: every route sends at once. An alert reaches a destination either at once or in its
digest, never both, unless the route that sends it at once says `also_digest = true` (the digest as the full
record of a run). The digest and
immediate deliveries of one alert are separate rows, so each is retried on its own and neither is sent twice.

Groups (Alertmanager's group_by): an immediate delivery's group key is the values of its route's `group_by`
labels; the outbox sends the pending deliveries of one destination and group key as one message. The route
that decides a destination's delivery (the first matching route naming it) also gives the group's timing.

Inhibition (Alertmanager's inhibit_rules, fixed here as data): a warning whose cause a critical alert on the
same subject already reports is not sent; `INHIBITED_BY` maps the warning's kind to the kinds that inhibit it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from config import AlertRoute, AlertSettings
from store import AlertRow, DeliveryRecord

# kind of the inhibited (warning) alert -> kinds of the critical alerts on the same subject that inhibit it: the
# same cause seen at two severities (a price below cost is also outside its band; sold out is also low stock).
INHIBITED_BY: dict[str, tuple[str, ...]] = {
    "price_out_of_band": ("price_below_cost",),
    "own_low_stock": ("own_out_of_stock",),
}


@dataclass(frozen=True)
class GroupTiming:
    """A route's Alertmanager timings (see AlertRoute in config.py)."""

    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta | None

    @classmethod
    def of(cls, route: AlertRoute) -> GroupTiming:
        return cls(route.group_wait, route.group_interval, route.repeat_interval)


# For a delivery whose route is gone from the configuration (edited since the alert was routed): send without
# waiting, as before grouping existed.
NO_WAITING = GroupTiming(timedelta(0), timedelta(0), None)


def deliveries_for(alert: AlertRow, settings: AlertSettings) -> list[DeliveryRecord]:
    """The deliveries an alert needs under the configured routes, each destination once per kind."""
    planned: dict[tuple[str, str, str], DeliveryRecord] = {}
    both: set[tuple[str, str]] = set()  # destinations a route sends at once *and* to the digest
    for route in settings.routes:
        if not route.matches(alert.category or "", alert.severity):
            continue
        kinds = _kinds(route, alert.severity, settings)
        for channel, destination in _destinations(route):
            if len(kinds) == 2:
                both.add((channel, destination))
            for kind in kinds:
                group = group_key(alert, route) if kind == "immediate" else ""
                planned.setdefault((channel, destination, kind),
                                   DeliveryRecord(channel=channel, destination=destination, kind=kind,
                                                  group_key=group))
    # One route sending at once and another listing in the digest: the destination already heard, at once.
    return [record for (channel, destination, kind), record in planned.items()
            if not (kind == "digest" and (channel, destination, "immediate") in planned
                    and (channel, destination) not in both)]


def timing_for(alert: AlertRow, channel: str, destination: str, kind: str, settings: AlertSettings) -> GroupTiming:
    """The timings of the alert's delivery of `kind` to this destination: those of the first matching route
    that sends it so (the route whose group key `deliveries_for` kept)."""
    for route in settings.routes:
        if (route.matches(alert.category or "", alert.severity) and (channel, destination) in _destinations(route)
                and kind in _kinds(route, alert.severity, settings)):
            return GroupTiming.of(route)
    return NO_WAITING


def group_key(alert: AlertRow, route: AlertRoute) -> str:
    """The alert's group under the route's group_by, e.g. "category=review|subject=17"; "" groups everything."""
    return "|".join(f"{label}={getattr(alert, label) or ''}" for label in route.group_by)


def unrouted_reason(alert: AlertRow) -> str:
    """The error an alert no route matches carries, so `alerts show` says why nobody was told."""
    return (f"no [[alerts.routes]] entry matches category {alert.category or '(none)'!r} and severity "
            f"{alert.severity!r}: nobody was notified")


def _destinations(route: AlertRoute) -> list[tuple[str, str]]:
    return [("email", recipient) for recipient in route.recipients] + [("webhook", name) for name in route.webhooks]


def _kinds(route: AlertRoute, severity: str, settings: AlertSettings) -> tuple[str, ...]:
    if not settings.digest:  # no digests at all: whatever a route says, its alerts go at once
        return ("immediate",)
    send = route.send
    if send == "auto":
        at_once = not settings.digest or (severity == "critical" and settings.critical_immediate)
        send = "immediate" if at_once else "digest"
    if send == "immediate" and route.also_digest:
        return ("immediate", "digest")
    return (send,)
