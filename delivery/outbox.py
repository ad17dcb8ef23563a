"""The outbox: deliver stored alerts exactly once per destination, surviving dead servers, retries and restarts.

`deliver_pending(store, config)` does, in order:

1. Route every new alert (`delivery.routing`) and commit its deliveries to the store before anything is sent.
2. Suppress the due deliveries nobody should get, with a note saying why (committed): a warning inhibited by a
   critical alert of the same cause on the same subject (`routing.INHIBITED_BY`), or a re-raised alert within
   its route's repeat_interval of reaching the same destination.
3. Group the due deliveries into messages, Alertmanager's way: the immediate deliveries of one destination and
   group key are one message, sent once the group's first alert is `group_wait` old and its previous message
   `group_interval` old (a group not ready yet has its deliveries deferred to that time, committed); the digest
   deliveries of one destination are one message. Either is cut at MESSAGE_MAX_ALERTS alerts. Deliveries
   claimed by a sender that died keep their message and Message-ID. `flush=True` sends every group now: a
   one-shot scan has raised all it will, and no later call is certain to come.
4. For each message: claim its deliveries (committed: attempt counted, message id recorded, a lease against a
   second sender), send, and mark them sent only after the server accepted it; a failure is recorded with the
   time of the next attempt.

Retries back off exponentially per delivery: 1 min after the first failure, doubling, at most 1 h, without
jitter (the deliveries of one alert fail together anyway, and tests can predict the schedule). A permanent
refusal (5xx, login refused, TLS not verifiable) is retried hourly rather than dropped: it is usually a setting
or a mailbox that someone fixes, after which the alert arrives without anyone resending it; meanwhile the
error is the alert's last_error (`alerts show`) and the alert stays 'new', never 'sent'. Acknowledging or
resolving an alert stops its retries.

Grouping changes no guarantee: a group message is one claim of all its deliveries, so a sender killed between
grouping and sending leaves either unclaimed deliveries (grouped afresh by the next call) or a claimed message
(resent whole, under its Message-ID, once its lease ends).

repeat_interval and alerts.cooldown: a condition still holding is raised again as a new alert every cooldown,
so the cooldown is the repeat interval of every route; a route's repeat_interval can only make its own
destinations hear less often (e.g. the digest address once a day). One alert is never notified twice at one
destination and kind: its delivery row is unique, and sent once.

Exactly once: nothing is marked sent that the server did not accept with 250, and nothing accepted is sent
again, with one unavoidable window: the process dies after the server's 250 and before the store commits
"sent" (or the connection breaks right after the message data, so the reply is never read). The claim's lease
then runs out and the message goes again, rebuilt from the same deliveries with the same Message-ID, so the
receiving mail system can drop the copy and a reader can see it is one. Webhooks have no such id; a repeat
there is possible in the same window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import i18n
from config import Config
from delivery.capture import capture_server
from delivery.email import compose_email, message_id_for
from delivery.render import Rendered, render_alert, render_digest, render_group
from delivery.routing import INHIBITED_BY, deliveries_for, timing_for, unrouted_reason
from delivery.smtp import SendFailure, SmtpSender, SmtpTarget
from delivery.webhooks import WebhookFailure, post_webhook
from store import AlertRow, DeliveryRow, Store
from store.timestamps import utc_now

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
MIN_CLAIM_LEASE = timedelta(minutes=10)
MESSAGE_MAX_ALERTS = 100  # a bigger digest or group is split: one huge mail risks the server's size limit (a 552 forever)


@dataclass
class DeliveryReport:
    planned: int = 0    # deliveries planned for newly routed alerts
    unrouted: int = 0   # new alerts that no route matched (they keep an error saying so)
    sent: int = 0       # deliveries the servers accepted in this call
    failed: int = 0     # deliveries whose attempt failed in this call (they stay pending)
    pending: int = 0    # deliveries still to be tried after this call (now or later; not of acknowledged alerts)
    messages: int = 0   # messages accepted (e-mails and webhook posts)
    suppressed: int = 0  # deliveries not sent on purpose: inhibited, or repeats (their note says which)
    deferred: int = 0   # deliveries whose group waits for its group_wait or group_interval
    errors: list[str] = field(default_factory=list)
    eml_paths: list[Path] = field(default_factory=list)  # messages the local capture saved, when it was used


@dataclass(frozen=True)
class _Message:
    channel: str
    destination: str
    kind: str
    deliveries: tuple[DeliveryRow, ...]
    message_id: str

    @property
    def ids(self) -> list[int]:
        return [delivery.id for delivery in self.deliveries]


def retry_delay(attempts: int, *, permanent: bool) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1 min, 2, 4, ... capped at 1 h; permanent: 1 h."""
    if permanent:
        return LONGEST_RETRY
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16), LONGEST_RETRY)


def deliver_pending(store: Store, config: Config, *, now: datetime | None = None, digests: bool = True,
                    flush: bool = False, report_file: Path | None = None) -> DeliveryReport:
    """Route new alerts, then send every delivery that is due; see the module docstring for the guarantees.

    `now` fixes the clock (tests, replays); by default each step reads the real time. `digests=False` sends only
    immediate deliveries (a daemon between digest times); digest deliveries wait for a call with True.
    `flush=True` sends groups without waiting for their group_wait or group_interval (the end of a one-shot scan).
    `report_file` (the daily HTML report) is attached to each digest e-mail.
    """
    # Real time, not the store's clock (which a simulation such as the demo's week may move): group_wait,
    # group_interval, retries and leases are about what a reader receives and when, and e-mails arrive now.
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utc_now
    report = DeliveryReport()
    _route_new_alerts(store, config, clock(), report)
    kinds = ("immediate", "digest") if digests else ("immediate",)
    due = _with_group_members(store, store.due_deliveries(clock(), kinds=kinds))
    alerts = {alert_id: store.get_alert(alert_id) for alert_id in {delivery.alert_id for delivery in due}}
    due = _unsuppressed(store, config, due, alerts, clock(), report)
    messages = _group(store, config, due, alerts, clock(), flush=flush, report=report)
    outbox = _Outbox(store, config, clock, report, alerts, report_file)
    outbox.send_emails([message for message in messages if message.channel == "email"])
    outbox.post_webhooks([message for message in messages if message.channel == "webhook"])
    report.pending = store.waiting_delivery_count()
    return report


def _route_new_alerts(store: Store, config: Config, moment: datetime, report: DeliveryReport) -> None:
    for alert in store.alerts_to_route():
        deliveries = deliveries_for(alert, config.alerts)
        report.planned += store.plan_deliveries(alert.id, deliveries, now=moment,
                                                unrouted_error=None if deliveries else unrouted_reason(alert))
        report.unrouted += not deliveries


def _with_group_members(store: Store, due: list[DeliveryRow]) -> list[DeliveryRow]:
    """The due deliveries and, for each immediate group among them, its members not due yet (waiting for the
    group): when a group goes, all its alerts go in one message."""
    seen = {delivery.id for delivery in due}
    groups = {(d.channel, d.destination, d.kind, d.group_key) for d in due if d.kind == "immediate" and not d.message_id}
    joined = [member for group in sorted(groups) for member in store.waiting_in_group(*group) if member.id not in seen]
    return due + joined


def _unsuppressed(store: Store, config: Config, due: list[DeliveryRow], alerts: dict[int, AlertRow],
                  moment: datetime, report: DeliveryReport) -> list[DeliveryRow]:
    """The due deliveries still to send, after suppressing (committed, with a note) those nobody should get.

    Claimed deliveries are never suppressed: their message may already have reached the server.
    """
    kept = []
    for delivery in due:
        note = None if delivery.message_id else _suppression(store, config, delivery, alerts[delivery.alert_id])
        if note is None:
            kept.append(delivery)
        else:
            report.suppressed += store.suppress_deliveries([delivery.id], note, now=moment)
    return kept


def _suppression(store: Store, config: Config, delivery: DeliveryRow, alert: AlertRow) -> str | None:
    """Why this delivery should not be sent (inhibited, or a repeat too soon), None when it should."""
    sources = INHIBITED_BY.get(alert.kind)
    if sources and alert.subject:
        # An inhibiting alert counts while it holds: conditions are raised again every cooldown while they do.
        source = store.open_alert_of(sources, alert.subject, raised_since=alert.created_at - config.alerts.cooldown)
        if source is not None:
            return (f"inhibited by alert #{source.id} ({source.kind}, {source.severity}) on the same subject "
                    f"{alert.subject}: the same cause, already reported")
    repeat = timing_for(alert, delivery.channel, delivery.destination, delivery.kind, config.alerts).repeat_interval
    if repeat:
        earlier = store.last_sent_of_dedup_key(alert.dedup_key, delivery.channel, delivery.destination,
                                               before_alert=alert.id)
        if earlier is not None and alert.created_at - earlier[1] < repeat:
            return (f"repeat of alert #{earlier[0]}, sent to {delivery.destination} at "
                    f"{earlier[1].isoformat(timespec='seconds')}, within the route's repeat_interval {repeat}")
    return None


def _group(store: Store, config: Config, due: list[DeliveryRow], alerts: dict[int, AlertRow], moment: datetime,
           *, flush: bool, report: DeliveryReport) -> list[_Message]:
    """Immediate messages first (they are the urgent ones), then digests, each in the order of their first alert."""
    claimed: dict[str, list[DeliveryRow]] = {}
    groups: dict[tuple[str, str, str, str], list[DeliveryRow]] = {}
    for delivery in due:
        if delivery.message_id is not None:  # left by a sender that died: resend the very same message
            claimed.setdefault(delivery.message_id, []).append(delivery)
        else:
            key = (delivery.channel, delivery.destination, delivery.kind,
                   delivery.group_key if delivery.kind == "immediate" else "")
            groups.setdefault(key, []).append(delivery)
    messages = [_Message(members[0].channel, members[0].destination, members[0].kind, tuple(members), message_id)
                for message_id, members in claimed.items()]
    for (channel, destination, kind, _), members in groups.items():
        members.sort(key=lambda d: (alerts[d.alert_id].created_at, d.alert_id, d.id))
        if kind == "immediate" and not flush:
            ready_at = _group_ready_at(store, config, members, alerts[members[0].alert_id])
            if ready_at > moment:
                store.defer_deliveries([delivery.id for delivery in members], ready_at, now=moment)
                report.deferred += len(members)
                continue
        for start in range(0, len(members), MESSAGE_MAX_ALERTS):
            chunk = members[start:start + MESSAGE_MAX_ALERTS]
            messages.append(_Message(channel, destination, kind, tuple(chunk),
                                     message_id_for(chunk, config.smtp.from_addr)))
    return sorted(messages, key=lambda message: (message.kind != "immediate",
                                                 min(delivery.id for delivery in message.deliveries)))


def _group_ready_at(store: Store, config: Config, members: list[DeliveryRow], first_alert: AlertRow) -> datetime:
    """When an immediate group may send: its first delivery group_wait old, its previous message group_interval old."""
    first = members[0]
    timing = timing_for(first_alert, first.channel, first.destination, first.kind, config.alerts)
    ready_at = min(delivery.created_at for delivery in members) + timing.group_wait
    last_sent = store.group_last_sent(first.channel, first.destination, first.kind, first.group_key)
    return ready_at if last_sent is None else max(ready_at, last_sent + timing.group_interval)


class _Outbox:
    """One call's sending: claims, sends and records each message."""

    def __init__(self, store: Store, config: Config, clock: Callable[[], datetime], report: DeliveryReport,
                 alerts: dict[int, AlertRow], report_file: Path | None) -> None:
        self._report_file = report_file
        self._store = store
        self._config = config
        self._clock = clock
        self._report = report
        self._alerts = alerts
        self._lease = max(MIN_CLAIM_LEASE, timedelta(seconds=4 * config.smtp.timeout_s))

    def send_emails(self, messages: list[_Message]) -> None:
        if not messages:
            return
        with self._smtp_target() as target:
            broken: SendFailure | None = None
            with SmtpSender(target, self._config.smtp.from_addr) as sender:
                for message in messages:
                    if not self._claim(message):
                        continue
                    if broken is not None:  # the server is unreachable: record the rest without trying each
                        self._failed(message, f"not tried: {broken.error}", permanent=broken.permanent)
                        continue
                    email = compose_email(self._render(message), from_addr=self._config.smtp.from_addr,
                                          to=message.destination, message_id=message.message_id, date=self._clock(),
                                          attachment=self._report_file if message.kind == "digest" else None)
                    try:
                        sender.send(email, message.destination)
                    except SendFailure as failure:
                        self._failed(message, failure.error, permanent=failure.permanent,
                                     outcome_unknown=failure.outcome_unknown)
                        if failure.connection:
                            broken = failure
                        continue
                    self._delivered(message)

    def post_webhooks(self, messages: list[_Message]) -> None:
        for message in messages:
            if not self._claim(message):
                continue
            webhook = self._config.alerts.webhooks.get(message.destination)
            if webhook is None:
                self._failed(message, f"webhook {message.destination} is no longer in [alerts.webhooks]",
                             permanent=True)
                continue
            try:
                post_webhook(message.destination, webhook, self._render(message))
            except WebhookFailure as failure:
                self._failed(message, failure.error, permanent=False)
                continue
            self._delivered(message)

    @contextmanager
    def _smtp_target(self) -> Iterator[SmtpTarget]:
        settings = self._config.smtp
        if not settings.uses_demo_capture:
            yield SmtpTarget.from_settings(settings)
            return
        with capture_server(self._config.paths.outbox_dir) as capture:
            try:
                yield SmtpTarget(capture.host, capture.port, "plain", settings.timeout_s)
            finally:
                self._report.eml_paths += capture.saved

    def _render(self, message: _Message) -> Rendered:
        """The message in the operator's language (config locale) and time zone, whoever runs the outbox."""
        zone, console = self._config.schedule.tzinfo, self._config.web.base_url
        alerts = [self._alerts[delivery.alert_id] for delivery in message.deliveries]
        with i18n.using(self._config.locale):
            if message.kind == "digest":
                return render_digest(alerts, zone, console=console)
            if len(alerts) == 1:
                return render_alert(alerts[0], zone, console=console)
            return render_group(alerts, zone, console=console)

    def _claim(self, message: _Message) -> bool:
        moment = self._clock()
        return self._store.claim_deliveries(message.ids, message.message_id, now=moment,
                                            lease_until=moment + self._lease)

    def _delivered(self, message: _Message) -> None:
        self._store.mark_delivered(message.ids, message.message_id, at=self._clock())
        self._report.sent += len(message.ids)
        self._report.messages += 1

    def _failed(self, message: _Message, error: str, *, permanent: bool, outcome_unknown: bool = False) -> None:
        moment = self._clock()
        # Claimed deliveries of one message can differ in attempts (a digest gathers old and new alerts); the
        # most-tried one sets the pace so a long-failing destination is not hammered by each new alert.
        attempts = max(delivery.attempts for delivery in message.deliveries) + 1
        self._store.record_delivery_failure(message.ids, error, at=moment,
                                            next_attempt_at=moment + retry_delay(attempts, permanent=permanent),
                                            outcome_unknown=outcome_unknown)
        self._report.failed += len(message.ids)
        self._report.errors.append(f"{message.destination}: {error}")
