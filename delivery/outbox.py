"""The outbox: deliver stored alerts exactly once per destination, surviving dead servers, retries and restarts.

`deliver_pending(store, config)` does, in order:

1. Route every new alert (`delivery.routing`) and commit its deliveries to the store before anything is sent.
2. Group the due deliveries into messages: each immediate delivery is one message; the digest deliveries of one
   destination are one message (up to DIGEST_MAX_ALERTS alerts each). Deliveries claimed by a sender that
   died keep their group and Message-ID.
3. For each message: claim its deliveries (committed: attempt counted, message id recorded, a lease against a
   second sender), send, and mark them sent only after the server accepted it; a failure is recorded with the
   time of the next attempt.

Retries back off exponentially per delivery: 1 min after the first failure, doubling, at most 1 h, without
jitter (the deliveries of one alert fail together anyway, and tests can predict the schedule). A permanent
refusal (5xx, login refused, TLS not verifiable) is retried hourly rather than dropped: it is usually a setting
or a mailbox that someone fixes, after which the alert arrives without anyone resending it; meanwhile the
error is the alert's last_error (`alerts show`) and the alert stays 'new', never 'sent'. Acknowledging or
resolving an alert stops its retries.

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

from config import Config
from delivery.capture import capture_server
from delivery.email import compose_email, message_id_for
from delivery.render import Rendered, render_alert, render_digest
from delivery.routing import deliveries_for, unrouted_reason
from delivery.smtp import SendFailure, SmtpSender, SmtpTarget
from delivery.webhooks import WebhookFailure, post_webhook
from store import AlertRow, DeliveryRow, Store
from store.timestamps import utc_now

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
MIN_CLAIM_LEASE = timedelta(minutes=10)
DIGEST_MAX_ALERTS = 100  # a bigger digest is split: one huge mail risks the server's size limit (a 552 forever)


@dataclass
class DeliveryReport:
    planned: int = 0    # deliveries planned for newly routed alerts
    unrouted: int = 0   # new alerts that no route matched (they keep an error saying so)
    sent: int = 0       # deliveries the servers accepted in this call
    failed: int = 0     # deliveries whose attempt failed in this call (they stay pending)
    pending: int = 0    # deliveries still to be tried after this call (now or later; not of acknowledged alerts)
    messages: int = 0   # messages accepted (e-mails and webhook posts)
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


def deliver_pending(store: Store, config: Config, *, now: datetime | None = None,
                    digests: bool = True, report_file: Path | None = None) -> DeliveryReport:
    """Route new alerts, then send every delivery that is due; see the module docstring for the guarantees.

    `now` fixes the clock (tests, replays); by default each step reads the real time. `digests=False` sends only
    immediate deliveries (a daemon between digest times); digest deliveries wait for a call with True.
    `report_file` (the daily HTML report) is attached to each digest e-mail.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utc_now
    report = DeliveryReport()
    _route_new_alerts(store, config, clock(), report)
    kinds = ("immediate", "digest") if digests else ("immediate",)
    messages = _group(store.due_deliveries(clock(), kinds=kinds), config.smtp.from_addr)
    alerts = {alert_id: store.get_alert(alert_id)
              for alert_id in {delivery.alert_id for message in messages for delivery in message.deliveries}}
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


def _group(due: list[DeliveryRow], from_addr: str) -> list[_Message]:
    """Immediate messages first (they are the urgent ones), then digests, each in the order of their first alert."""
    claimed: dict[str, list[DeliveryRow]] = {}
    digests: dict[tuple[str, str], list[DeliveryRow]] = {}
    groups: list[tuple[str | None, list[DeliveryRow]]] = []
    for delivery in due:
        if delivery.message_id is not None:  # left by a sender that died: resend the very same message
            if delivery.message_id not in claimed:
                claimed[delivery.message_id] = []
                groups.append((delivery.message_id, claimed[delivery.message_id]))
            claimed[delivery.message_id].append(delivery)
        elif delivery.kind == "immediate":
            groups.append((None, [delivery]))
        else:
            key = (delivery.channel, delivery.destination)
            if key not in digests:
                digests[key] = []
                groups.append((None, digests[key]))
            digests[key].append(delivery)
    messages = []
    for message_id, members in groups:
        chunks = [members] if message_id else [members[i:i + DIGEST_MAX_ALERTS]
                                               for i in range(0, len(members), DIGEST_MAX_ALERTS)]
        for chunk in chunks:
            first = chunk[0]
            messages.append(_Message(first.channel, first.destination, first.kind, tuple(chunk),
                                     message_id or message_id_for(chunk, from_addr)))
    return sorted(messages, key=lambda message: message.kind != "immediate")


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
        zone = self._config.schedule.tzinfo
        alerts = [self._alerts[delivery.alert_id] for delivery in message.deliveries]
        if message.kind == "immediate":
            return render_alert(alerts[0], zone)
        return render_digest(alerts, zone)

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
