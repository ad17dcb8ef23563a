"""Tests of alert delivery: routing, the outbox's exactly-once bookkeeping, e-mail over a real aiosmtpd server on
127.0.0.1 (plain, STARTTLS, SSL, login; down, restarted, 4xx, 5xx), the local capture and chat webhooks."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import json
import logging
import os
import re
import signal
import smtplib
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import i18n
from config import Config, config_from_dict
from delivery import capture_server, deliver_pending, retry_delay
from delivery.capture import free_port
from delivery.routing import deliveries_for
from i18n import N_
from monitors.price import SUGGEST_BELOW_COST
from store import AlertRecord, DeliveryRecord, Store, open_store

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc)
MINUTE = dt.timedelta(minutes=1)
LOOPBACK = "127.0.0.1"
ONCALL, DIGEST, LEGAL = "ops-oncall@example.com", "shop-digest@example.com", "legal@example.com"
SCRIPT = "<script>alert(1)</script>"


# --- a recording SMTP server ----------------------------------------------------------------------------


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage


@dataclass
class MailServer:
    """A real aiosmtpd server on loopback that records what it accepts and answers as told.

    `rcpt_replies[address]` is a queue of replies to give RCPT TO for that address ("451 ..." or "550 ...");
    when it is empty the address is accepted. `vanish_after=N` makes the server go away right after accepting
    its Nth message: it stops listening and drops the connection, like a mail server being restarted.
    `hang_up_after=N` only drops the connection after the Nth message, as servers do with busy connections.
    """

    port: int = field(default_factory=free_port)
    controller_options: dict[str, Any] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    vanish_after: int | None = None
    hang_up_after: int | None = None
    connections: set[Any] = field(default_factory=set)
    _controller: Controller | None = None

    def start(self) -> MailServer:
        self._controller = Controller(self, hostname=LOOPBACK, port=self.port, **self.controller_options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [item.message for item in self.received if address in item.recipients]

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        queued = self.rcpt_replies.get(address)
        if queued:
            return queued.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        self.received.append(Received(list(envelope.rcpt_tos), message))
        self.connections.add(session.peer)
        if len(self.received) == self.hang_up_after:
            self._controller.loop.call_soon(server.transport.close)  # after the 250 below is written
        if self.vanish_after is not None and len(self.received) >= self.vanish_after:
            assert self._controller is not None and self._controller.server is not None
            self._controller.server.close()  # no new connections from now on
            self._controller.loop.call_soon(server.transport.close)  # after the 250 below is written
        return "250 2.0.0 accepted"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


# --- configuration, store and alerts ------------------------------------------------------------------------


def make_config(tmp_path: Path, port: int, **overrides: Any) -> Config:
    # also_digest: the outbox tests below exercise both kinds of message for one critical alert.
    data: dict[str, Any] = {
        "platforms": {"demo": {"name": "演示", "base_url": "http://127.0.0.1:9"}},
        "alerts": {"routes": [
            {"categories": ["*"], "min_severity": "critical", "recipients": [ONCALL], "also_digest": True},
            {"categories": ["*"], "min_severity": "info", "recipients": [DIGEST], "also_digest": True},
        ]},
        "smtp": {"host": LOOPBACK, "port": port, "security": "plain", "timeout_s": 5.0},
    }
    for section, values in overrides.items():
        data[section] = {**data.get(section, {}), **values}
    return config_from_dict(data, base_dir=tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "var" / "shop.db") as opened:
        yield opened


def alert(key: str, severity: str = "warning", category: str = "price", **fields: Any) -> AlertRecord:
    defaults: dict[str, Any] = {"kind": f"{category}_test", "title": f"测试告警 {key}", "subject": "SC10001"}
    return AlertRecord(dedup_key=key, severity=severity, category=category, **{**defaults, **fields})


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    markup = message.get_body(preferencelist=("html",))
    assert text is not None and markup is not None
    return text.get_content(), markup.get_content()


# --- routing and backoff (no server) ---------------------------------------------------------------------


def test_routing_follows_categories_and_severities(tmp_path: Path, store: Store) -> None:
    config = make_config(tmp_path, 25, alerts={
        "webhooks": {"ops_chat": {"url_env": "SHOPSENTINEL_TEST_WEBHOOK"}},
        "routes": [
            {"categories": ["compliance"], "min_severity": "warning", "recipients": [LEGAL]},
            {"categories": ["*"], "min_severity": "critical", "recipients": [ONCALL], "webhooks": ["ops_chat"]},
            {"categories": ["price", "stock"], "min_severity": "info", "recipients": [DIGEST, ONCALL]},
        ]})

    def routed(record: AlertRecord) -> set[tuple[str, str, str]]:
        row = store.get_alert(store.add_alert(record))
        return {(d.channel, d.destination, d.kind) for d in deliveries_for(row, config.alerts)}

    assert routed(alert("c1", "warning", "compliance")) == {("email", LEGAL, "digest")}
    assert routed(alert("c2", "info", "compliance")) == set()
    assert routed(alert("p1", "info", "price")) == {("email", DIGEST, "digest"), ("email", ONCALL, "digest")}
    # A critical alert goes at once, not also to the digest: no route says also_digest.
    assert routed(alert("r1", "critical", "review")) == {("email", ONCALL, "immediate"),
                                                          ("webhook", "ops_chat", "immediate")}
    # Two routes naming ONCALL for one alert still give one delivery.
    assert sorted(routed(alert("s1", "critical", "stock"))) == sorted({
        ("email", ONCALL, "immediate"), ("email", DIGEST, "immediate"), ("webhook", "ops_chat", "immediate")})


def test_without_digest_every_alert_goes_out_on_its_own(tmp_path: Path, store: Store) -> None:
    config = make_config(tmp_path, 25, alerts={"digest": False})
    row = store.get_alert(store.add_alert(alert("w", "warning")))
    assert [(d.destination, d.kind) for d in deliveries_for(row, config.alerts)] == [(DIGEST, "immediate")]
    config = make_config(tmp_path, 25, alerts={"critical_immediate": False})
    row = store.get_alert(store.add_alert(alert("c", "critical")))
    assert {d.kind for d in deliveries_for(row, config.alerts)} == {"digest"}


def test_retry_delay_doubles_from_one_minute_up_to_an_hour() -> None:
    assert [retry_delay(n, permanent=False) / MINUTE for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert retry_delay(10_000, permanent=False) == 60 * MINUTE
    assert retry_delay(1, permanent=True) == 60 * MINUTE


def test_an_alert_no_route_matches_keeps_an_error_and_stays_new(tmp_path: Path, store: Store) -> None:
    config = make_config(tmp_path, 25, alerts={"routes": [{"min_severity": "critical", "recipients": [ONCALL]}]})
    alert_id = store.add_alert(alert("quiet", "info", "stock"))
    report = deliver_pending(store, config, now=T0)
    assert (report.unrouted, report.planned, report.messages) == (1, 0, 0)
    row = store.get_alert(alert_id)
    assert row.state == "new" and "no [[alerts.routes]] entry matches category 'stock'" in (row.last_error or "")
    assert deliver_pending(store, config, now=T0 + MINUTE).unrouted == 0  # routed once, not every run


def test_a_claimed_delivery_cannot_be_claimed_again_until_its_lease_ends(store: Store) -> None:
    alert_id = store.add_alert(alert("lease"))
    store.plan_deliveries(alert_id, [DeliveryRecord(channel="email", destination=DIGEST, kind="digest")], now=T0)
    (due,) = store.due_deliveries(T0)
    assert store.claim_deliveries([due.id], "<m1@x>", now=T0, lease_until=T0 + 10 * MINUTE)
    assert not store.claim_deliveries([due.id], "<m2@x>", now=T0 + MINUTE, lease_until=T0 + 11 * MINUTE)
    assert store.due_deliveries(T0 + 9 * MINUTE) == []
    (again,) = store.due_deliveries(T0 + 10 * MINUTE)
    assert (again.message_id, again.attempts) == ("<m1@x>", 1)


# --- e-mail over a real SMTP server -------------------------------------------------------------------------


@pytest.mark.integration
def test_an_alert_arrives_once_as_text_and_html_with_crawled_text_escaped(
        tmp_path: Path, store: Store, mail_server: MailServer) -> None:
    config = make_config(tmp_path, mail_server.port)
    alert_id = store.add_alert(alert(
        "review-1", "critical", "review", title="新差评: 户外折叠椅 漏电\n<img src=x onerror=alert(2)>",
        body=f"买家评价: {SCRIPT} 用了三天就坏了", evidence={"stars": 1, "link": "https://shop.test/item/1?a=1&b=<2>"},
        suggestion="1 小时内回复买家, 先处理情绪再处理问题"))

    report = deliver_pending(store, config, now=T0)

    assert (report.sent, report.failed, report.pending, report.messages) == (4, 0, 0, 4)
    immediate, digest = mail_server.to(ONCALL)
    assert immediate["Subject"] == "[ShopSentinel][严重] 新差评: 户外折叠椅 漏电 <img src=x onerror=alert(2)>"
    assert digest["Subject"] == "[ShopSentinel] 告警摘要: 1 条 (严重 1)"
    assert immediate["To"] == ONCALL and immediate["Auto-Submitted"] == "auto-generated"
    text, markup = parts(immediate)
    assert SCRIPT in text and "户外折叠椅 漏电" in text and "1 小时内回复买家" in text
    assert "<script" not in markup and "<img" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert 'href="https://shop.test/item/1?a=1&amp;b=&lt;2&gt;"' in markup
    assert len({m["Message-ID"] for m in mail_server.to(ONCALL) + mail_server.to(DIGEST)}) == 4
    row = store.get_alert(alert_id)
    assert (row.state, row.delivered_at, row.last_error, row.delivery_attempts) == ("sent", T0, None, 4)

    assert deliver_pending(store, config, now=T0 + 2 * MINUTE).messages == 0
    assert len(mail_server.received) == 4


@pytest.mark.integration
def test_a_digest_groups_a_runs_alerts_per_recipient_and_criticals_also_go_at_once(
        tmp_path: Path, store: Store, mail_server: MailServer) -> None:
    config = make_config(tmp_path, mail_server.port)
    for key, severity in (("i", "info"), ("w", "warning"), ("c", "critical")):
        store.add_alert(alert(key, severity))

    deliver_pending(store, config, now=T0)

    assert [m["Subject"] for m in mail_server.to(DIGEST)] == [
        "[ShopSentinel][严重] 测试告警 c", "[ShopSentinel] 告警摘要: 3 条 (严重 1 · 警告 1 · 提示 1)"]
    digest_text, _ = parts(mail_server.to(DIGEST)[1])
    assert digest_text.index("测试告警 c") < digest_text.index("测试告警 w") < digest_text.index("测试告警 i")
    assert [m["Subject"] for m in mail_server.to(ONCALL)] == [
        "[ShopSentinel][严重] 测试告警 c", "[ShopSentinel] 告警摘要: 1 条 (严重 1)"]

    store.add_alert(alert("later", "info"))
    deliver_pending(store, config, now=T0 + 30 * MINUTE)
    assert mail_server.to(DIGEST)[-1]["Subject"] == "[ShopSentinel] 告警摘要: 1 条 (提示 1)"
    assert len(mail_server.received) == 5


def test_the_daily_report_is_attached_to_digests_only(tmp_path: Path, store: Store, mail_server: MailServer) -> None:
    config = make_config(tmp_path, mail_server.port)
    report = tmp_path / "report-20261127-083000.html"
    report.write_text("<!doctype html><title>日报</title>\n", encoding="utf-8")
    store.add_alert(alert("c", "critical"))

    deliver_pending(store, config, now=T0, report_file=report)

    immediate, digest = mail_server.to(ONCALL)
    assert not list(immediate.iter_attachments())
    [attached] = list(digest.iter_attachments())
    assert attached.get_filename() == report.name and attached.get_content_type() == "text/html"
    assert attached.get_content() == report.read_text(encoding="utf-8")
    assert "测试告警 c" in parts(digest)[0], "the digest's own text and HTML stay its body"


@pytest.mark.integration
def test_digests_wait_while_immediate_alerts_go_out(tmp_path: Path, store: Store, mail_server: MailServer) -> None:
    config = make_config(tmp_path, mail_server.port)
    store.add_alert(alert("w", "warning"))
    store.add_alert(alert("c", "critical"))
    report = deliver_pending(store, config, now=T0, digests=False)
    assert {m["Subject"] for m in mail_server.to(ONCALL) + mail_server.to(DIGEST)} == {"[ShopSentinel][严重] 测试告警 c"}
    assert (report.sent, report.pending) == (2, 3)
    deliver_pending(store, config, now=T0 + 5 * MINUTE)
    assert [m["Subject"] for m in mail_server.to(DIGEST)][-1] == "[ShopSentinel] 告警摘要: 2 条 (严重 1 · 警告 1)"


@pytest.mark.integration
def test_a_dead_server_loses_nothing_and_each_alert_arrives_once_it_is_back(tmp_path: Path, store: Store) -> None:
    server = MailServer()  # not started: connections are refused
    config = make_config(tmp_path, server.port)
    alert_id = store.add_alert(alert("down", "critical"))

    report = deliver_pending(store, config, now=T0)
    assert (report.sent, report.failed, report.pending) == (0, 4, 4)
    assert all("cannot connect" in error and "temporary" in error for error in report.errors)
    row = store.get_alert(alert_id)
    assert row.state == "new" and row.next_attempt_at == T0 + MINUTE and "Connection refused" in row.last_error

    assert deliver_pending(store, config, now=T0 + 30 * dt.timedelta(seconds=1)).failed == 0  # not due yet
    report = deliver_pending(store, config, now=T0 + MINUTE)  # still down: the second failure waits 2 minutes
    assert report.failed == 4
    assert store.get_alert(alert_id).next_attempt_at == T0 + 3 * MINUTE
    assert {d.attempts for d in store.deliveries()} == {2}

    server.start()
    try:
        report = deliver_pending(store, config, now=T0 + 3 * MINUTE)
        assert (report.sent, report.failed, report.pending) == (4, 0, 0)
        assert deliver_pending(store, config, now=T0 + 90 * MINUTE).messages == 0
    finally:
        server.stop()
    assert sorted((r.recipients[0], r.message["Subject"]) for r in server.received) == sorted(
        [(ONCALL, "[ShopSentinel][严重] 测试告警 down"), (ONCALL, "[ShopSentinel] 告警摘要: 1 条 (严重 1)"),
         (DIGEST, "[ShopSentinel][严重] 测试告警 down"), (DIGEST, "[ShopSentinel] 告警摘要: 1 条 (严重 1)")])
    row = store.get_alert(alert_id)
    assert (row.state, row.delivery_attempts, row.last_error) == ("sent", 12, None)


@pytest.mark.integration
def test_a_server_restarted_mid_run_gets_the_rest_later_without_duplicates(tmp_path: Path, store: Store) -> None:
    server = MailServer(vanish_after=2).start()
    recipients = [f"op{n}@example.com" for n in range(4)]
    config = make_config(tmp_path, server.port, alerts={"routes": [{"recipients": recipients}]})
    store.add_alert(alert("restart"))

    report = deliver_pending(store, config, now=T0)
    server.stop()
    assert (report.sent, report.failed) == (2, 2)
    assert [r.recipients for r in server.received] == [[recipients[0]], [recipients[1]]]
    assert any("connection closed" in e or "cannot connect" in e for e in report.errors)

    restarted = MailServer(port=server.port).start()
    try:
        report = deliver_pending(store, config, now=T0 + MINUTE)
    finally:
        restarted.stop()
    assert (report.sent, report.failed, report.pending) == (2, 0, 0)
    assert [r.recipients for r in restarted.received] == [[recipients[2]], [recipients[3]]]


@pytest.mark.integration
def test_a_connection_the_server_closed_is_replaced_without_losing_or_repeating_a_message(
        tmp_path: Path, store: Store) -> None:
    server = MailServer(hang_up_after=1).start()
    recipients = [f"op{n}@example.com" for n in range(3)]
    config = make_config(tmp_path, server.port, alerts={"routes": [{"recipients": recipients}]})
    store.add_alert(alert("hang-up"))
    try:
        report = deliver_pending(store, config, now=T0)
    finally:
        server.stop()
    assert (report.sent, report.failed) == (3, 0)
    assert [r.recipients for r in server.received] == [[address] for address in recipients]
    assert len(server.connections) == 2


@pytest.mark.integration
def test_a_4xx_reply_is_retried_later_and_the_others_are_not_held_back(
        tmp_path: Path, store: Store, mail_server: MailServer) -> None:
    config = make_config(tmp_path, mail_server.port)
    mail_server.rcpt_replies[ONCALL] = ["451 4.7.1 greylisted, try again later"] * 2  # its immediate and digest
    alert_id = store.add_alert(alert("grey", "critical"))

    report = deliver_pending(store, config, now=T0)
    assert (report.sent, report.failed) == (2, 2)
    assert len(mail_server.to(DIGEST)) == 2 and mail_server.to(ONCALL) == []
    row = store.get_alert(alert_id)
    assert row.state == "new" and "451 4.7.1 greylisted" in row.last_error and "(temporary)" in row.last_error
    assert row.last_error.startswith(f"{ONCALL}: recipient {ONCALL} refused")
    assert row.next_attempt_at == T0 + MINUTE

    report = deliver_pending(store, config, now=T0 + MINUTE)
    assert (report.sent, report.failed, report.pending) == (2, 0, 0)
    assert len(mail_server.to(ONCALL)) == 2 and len(mail_server.to(DIGEST)) == 2
    assert store.get_alert(alert_id).state == "sent"


@pytest.mark.integration
def test_a_5xx_reply_is_recorded_never_marked_sent_and_retried_hourly_until_acknowledged(
        tmp_path: Path, store: Store, mail_server: MailServer) -> None:
    config = make_config(tmp_path, mail_server.port)
    mail_server.rcpt_replies[ONCALL] = ["550 5.1.1 mailbox unavailable"] * 4  # two messages, two runs
    alert_id = store.add_alert(alert("bounce", "critical"))

    deliver_pending(store, config, now=T0)
    row = store.get_alert(alert_id)
    assert row.state == "new" and row.delivered_at is None
    assert "SMTP 550 5.1.1 mailbox unavailable (permanent)" in row.last_error
    assert row.next_attempt_at == T0 + 60 * MINUTE
    assert [(d.destination, d.state) for d in store.deliveries(alert_id=alert_id, state="pending")] == [
        (ONCALL, "pending"), (ONCALL, "pending")]

    assert deliver_pending(store, config, now=T0 + 59 * MINUTE).failed == 0
    assert deliver_pending(store, config, now=T0 + 60 * MINUTE).failed == 2
    store.set_alert_state(alert_id, "acknowledged")
    report = deliver_pending(store, config, now=T0 + 180 * MINUTE)
    assert (report.failed, report.pending) == (0, 0)  # the operator knows: no more retries
    assert mail_server.to(ONCALL) == [] and store.get_alert(alert_id).state == "acknowledged"


@pytest.mark.integration
def test_a_crash_between_the_servers_250_and_the_commit_resends_under_the_same_message_id(
        tmp_path: Path, store: Store, mail_server: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path, mail_server.port, alerts={"routes": [{"recipients": [DIGEST]}]})
    store.add_alert(alert("a"))
    store.add_alert(alert("b"))

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed after the server's 250")

    with monkeypatch.context() as patched:
        patched.setattr(store, "mark_delivered", crash)
        with pytest.raises(KeyboardInterrupt):
            deliver_pending(store, config, now=T0)
    assert len(mail_server.received) == 1
    late_id = store.add_alert(alert("c"))  # a new alert must not join, and so change, the message being resent
    deliver_pending(store, config, now=T0 + 5 * MINUTE, digests=False)  # routes it
    assert [d.alert_id for d in store.due_deliveries(T0 + 5 * MINUTE)] == [late_id]  # the claim's lease holds

    report = deliver_pending(store, config, now=T0 + 10 * MINUTE)
    assert (report.messages, report.pending) == (2, 0)
    first, resent, new = (r.message for r in mail_server.received)
    assert resent["Message-ID"] == first["Message-ID"] != new["Message-ID"]
    assert resent["Subject"] == first["Subject"] == "[ShopSentinel] 告警摘要: 2 条 (警告 2)"
    assert new["Subject"] == "[ShopSentinel] 告警摘要: 1 条 (警告 1)"
    assert deliver_pending(store, config, now=T0 + 20 * MINUTE).messages == 0


# --- TLS and login ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    cert_file: Path
    key_file: Path


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it."""
    directory = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.timezone.utc)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ShopSentinel test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False),
                         critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOOPBACK)]))
              .issuer_name(ca_name).public_key(server_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
              .not_valid_after(now + dt.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]),
                             critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                             critical=False)
              .sign(ca_key, hashes.SHA256()))
    paths = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths.key_file.write_bytes(server_key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    return paths


def server_tls(certificates: Certificates) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.cert_file, certificates.key_file)
    return context


PASSWORD = "s3cret-无人知晓"


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"alerts" \
        and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.mark.integration
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_login_delivers_and_never_reveals_the_password(
        tmp_path: Path, store: Store, certificates: Certificates, security: str,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    tls = server_tls(certificates)
    if security == "starttls":
        options: dict[str, Any] = {"tls_context": tls, "require_starttls": True, "auth_require_tls": True}
    else:  # aiosmtpd counts only STARTTLS as TLS for auth_require_tls; an implicit-TLS session is encrypted too
        options = {"ssl_context": tls, "auth_require_tls": False}
    options["authenticator"] = check_login
    server = MailServer(controller_options=options).start()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))  # trust the test CA, as a private CA would be
    monkeypatch.setenv("SHOPSENTINEL_TEST_SMTP_PASSWORD", PASSWORD)
    smtp = {"security": security, "username": "alerts", "password_env": "SHOPSENTINEL_TEST_SMTP_PASSWORD"}
    config = make_config(tmp_path, server.port, smtp=smtp)
    caplog.set_level(logging.DEBUG)
    try:
        store.add_alert(alert("tls", "warning", title="加密通道 测试"))
        report = deliver_pending(store, config, now=T0)
        assert (report.sent, report.failed) == (1, 0)
        assert [m["Subject"] for m in server.to(DIGEST)] == ["[ShopSentinel] 告警摘要: 1 条 (警告 1)"]

        monkeypatch.setenv("SHOPSENTINEL_TEST_SMTP_PASSWORD", "wrong-" + PASSWORD)
        alert_id = store.add_alert(alert("tls-2"))
        report = deliver_pending(store, config, now=T0 + MINUTE)
        assert report.failed == 1 and "login refused: SMTP 535" in report.errors[0]
        row = store.get_alert(alert_id)
        assert row.state == "new" and row.next_attempt_at == T0 + 61 * MINUTE  # permanent: hourly
    finally:
        server.stop()
    recorded = caplog.text + json.dumps(report.errors, ensure_ascii=False) + str(row.last_error) + repr(config)
    assert PASSWORD not in recorded


@pytest.mark.integration
def test_an_unverifiable_certificate_is_refused_and_the_alert_waits(
        tmp_path: Path, store: Store, certificates: Certificates, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    server = MailServer(controller_options={"ssl_context": server_tls(certificates)}).start()
    config = make_config(tmp_path, server.port, smtp={"security": "ssl"})
    try:
        alert_id = store.add_alert(alert("mitm"))
        report = deliver_pending(store, config, now=T0)
    finally:
        server.stop()
    assert report.failed == 1 and server.received == []
    assert "TLS failed" in report.errors[0] and "CERTIFICATE_VERIFY_FAILED" in report.errors[0]
    assert store.get_alert(alert_id).state == "new"


@pytest.mark.integration
def test_a_missing_password_variable_is_named_and_nothing_is_lost(
        tmp_path: Path, store: Store, mail_server: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPSENTINEL_TEST_UNSET_PASSWORD", raising=False)
    config = make_config(tmp_path, mail_server.port,
                         smtp={"username": "alerts", "password_env": "SHOPSENTINEL_TEST_UNSET_PASSWORD"})
    alert_id = store.add_alert(alert("nopass", "critical"))
    report = deliver_pending(store, config, now=T0)
    assert (report.sent, report.failed, report.pending) == (0, 4, 4) and mail_server.received == []
    assert "environment variable SHOPSENTINEL_TEST_UNSET_PASSWORD is not set" in store.get_alert(alert_id).last_error


# --- the local capture --------------------------------------------------------------------------------------


@pytest.mark.integration
def test_without_an_smtp_host_the_capture_saves_each_message_as_an_eml_file(tmp_path: Path, store: Store) -> None:
    config = make_config(tmp_path, 25, smtp={"host": ""})
    store.add_alert(alert("demo-1", "critical", body=f"评价 {SCRIPT}"))
    store.add_alert(alert("demo-2", "info"))

    report = deliver_pending(store, config, now=T0)

    outbox = tmp_path / "var" / "outbox"
    files = sorted(outbox.iterdir())
    assert files == report.eml_paths and len(files) == report.messages == 4  # sorted by name = arrival order
    messages = [email.message_from_bytes(path.read_bytes(), policy=default_policy) for path in files]
    assert [m["To"] for m in messages] == [ONCALL, DIGEST, ONCALL, DIGEST]  # immediates first
    for path, message in zip(files, messages):
        assert message["Message-ID"].strip("<>") in path.name
    text, markup = parts(messages[0])
    assert SCRIPT in text and "&lt;script&gt;" in markup and "<script" not in markup
    assert messages[3]["Subject"] == "[ShopSentinel] 告警摘要: 2 条 (严重 1 · 提示 1)"
    assert deliver_pending(store, config, now=T0 + MINUTE).eml_paths == []


@pytest.mark.integration
def test_capture_server_accepts_any_smtp_client_and_writes_whole_files(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "测试"
    message["Message-ID"] = "<one/two@example.com>"
    message.set_content("你好")
    with capture_server(tmp_path / "outbox") as capture:
        with smtplib.SMTP(capture.host, capture.port, timeout=5) as client:
            client.send_message(message)
            client.send_message(message)
    first, second = capture.saved
    assert first.name.endswith("-one_two@example.com.eml") and first != second
    assert sorted((tmp_path / "outbox").iterdir()) == [first, second]  # no temporary files left behind
    assert email.message_from_bytes(second.read_bytes(), policy=default_policy).get_content().rstrip() == "你好"


# --- webhooks -----------------------------------------------------------------------------------------------


@dataclass
class HookServer:
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def hook_server() -> Iterator[tuple[HookServer, int]]:
    state = HookServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.posts.append((self.path, json.loads(body)))
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            """Quiet: the test reads the posts it recorded."""

    http = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield state, http.server_address[1]
    http.shutdown()
    http.server_close()


@pytest.mark.integration
def test_webhooks_post_plain_text_and_failures_are_retried_without_leaking_the_token(
        tmp_path: Path, store: Store, hook_server: tuple[HookServer, int], monkeypatch: pytest.MonkeyPatch) -> None:
    hooks, port = hook_server
    token = "tok3n-ABCDEF123456"
    monkeypatch.setenv("SHOPSENTINEL_TEST_WEBHOOK", f"json://{LOOPBACK}:{port}/robot/{token}/send")
    config = make_config(tmp_path, 25, alerts={
        "webhooks": {"ops_chat": {"url_env": "SHOPSENTINEL_TEST_WEBHOOK"}},
        "routes": [{"min_severity": "warning", "webhooks": ["ops_chat"], "also_digest": True}]})
    hooks.status = 500
    alert_id = store.add_alert(alert("hook", "critical", body=f"差评 {SCRIPT}"))

    report = deliver_pending(store, config, now=T0)
    assert (report.sent, report.failed) == (0, 2) and len(hooks.posts) == 2
    row = store.get_alert(alert_id)
    assert row.state == "new" and "webhook ops_chat" in row.last_error and "500" in row.last_error
    assert token not in row.last_error and token not in " ".join(report.errors)

    hooks.status = 200
    report = deliver_pending(store, config, now=T0 + MINUTE)
    assert (report.sent, report.pending) == (2, 0)
    path, payload = hooks.posts[-2]
    assert path == f"/robot/{token}/send"
    assert payload["title"] == "[ShopSentinel][严重] 测试告警 hook" and SCRIPT in payload["message"]
    assert hooks.posts[-1][1]["title"] == "[ShopSentinel] 告警摘要: 1 条 (严重 1)"
    assert store.get_alert(alert_id).state == "sent"


def test_a_webhook_whose_variable_is_unset_waits_with_the_variable_named(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPSENTINEL_TEST_WEBHOOK", raising=False)
    config = make_config(tmp_path, 25, alerts={
        "webhooks": {"ops_chat": {"url_env": "SHOPSENTINEL_TEST_WEBHOOK"}},
        "routes": [{"webhooks": ["ops_chat"]}]})
    alert_id = store.add_alert(alert("unset"))
    report = deliver_pending(store, config, now=T0)
    assert (report.failed, report.pending) == (1, 1)
    assert "environment variable SHOPSENTINEL_TEST_WEBHOOK is not set" in store.get_alert(alert_id).last_error


@pytest.mark.integration
def test_e_mails_and_webhooks_are_rendered_in_the_configured_language_whatever_the_callers(
        tmp_path: Path, store: Store, mail_server: MailServer, hook_server: tuple[HookServer, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    hooks, port = hook_server
    monkeypatch.setenv("SHOPSENTINEL_TEST_WEBHOOK", f"json://{LOOPBACK}:{port}/robot/send")
    config = make_config(tmp_path, mail_server.port, alerts={
        "webhooks": {"ops_chat": {"url_env": "SHOPSENTINEL_TEST_WEBHOOK"}},
        "routes": [{"min_severity": "critical", "recipients": [ONCALL], "webhooks": ["ops_chat"]}]})
    title = N_("Own price below cost: {name} at {price} (cost {cost})", name="户外折叠椅", price="¥39.90",
               cost="¥45.00")
    store.add_alert(alert("cost", "critical", kind="price_below_cost", title=title, suggestion=SUGGEST_BELOW_COST))

    with i18n.using("en"):  # a CLI run in English still mails the operator's language
        deliver_pending(store, config, now=T0)
    [chinese] = mail_server.to(ONCALL)
    assert chinese["Subject"] == "[ShopSentinel][严重] 我方售价低于成本：户外折叠椅 售价 ¥39.90（成本 ¥45.00）"
    assert "建议：立即把售价调回成本以上" in parts(chinese)[0]
    assert hooks.posts[-1][1]["title"] == chinese["Subject"]

    store.add_alert(alert("cost-en", "critical", kind="price_below_cost", title=title, subject="SC10002",
                          suggestion=SUGGEST_BELOW_COST), created_at=T0 + MINUTE)
    with i18n.using("zh_CN"):
        deliver_pending(store, config.model_copy(update={"locale": "en"}), now=T0 + 2 * MINUTE)
    english = mail_server.to(ONCALL)[-1]
    assert english["Subject"] == "[ShopSentinel][critical] Own price below cost: 户外折叠椅 at ¥39.90 (cost ¥45.00)"
    text, markup = parts(english)
    assert "Suggested action: Raise the price back above cost now" in text and '<html lang="en">' in markup
    assert "Alert #2 · price_below_cost · acknowledge it: python agent.py alerts ack 2" in hooks.posts[-1][1]["message"]


@pytest.mark.integration
def test_each_alert_in_a_mail_links_to_its_console_page_when_the_console_has_an_address(
        tmp_path: Path, store: Store, mail_server: MailServer) -> None:
    first = store.add_alert(alert("no-console", "critical"))
    deliver_pending(store, make_config(tmp_path, mail_server.port), now=T0)
    assert "/alerts/" not in parts(mail_server.to(ONCALL)[-1])[0], "no console address, no link"

    second = store.add_alert(alert("console", "critical"), created_at=T0 + MINUTE)
    config = make_config(tmp_path, mail_server.port, web={"base_url": "https://ops.example.com/"})
    deliver_pending(store, config, now=T0 + 2 * MINUTE)
    text, markup = parts(mail_server.to(ONCALL)[-1])
    assert f"控制台：https://ops.example.com/alerts/{second}" in text
    assert f'<a href="https://ops.example.com/alerts/{second}">' in markup
    assert f"/alerts/{first}" not in text


# --- grouping, inhibition, repeats (Alertmanager's semantics over the outbox) -----------------------------------

GROUPED_ROUTES: list[dict[str, Any]] = [  # the shipped config's routes
    {"min_severity": "critical", "recipients": [ONCALL]},
    {"min_severity": "info", "recipients": [DIGEST], "send": "digest"},
]
FOUNTAIN = "猫咪饮水机"


def grouped_config(tmp_path: Path, port: int, **oncall: Any) -> Config:
    return make_config(tmp_path, port, alerts={"routes": [{**GROUPED_ROUTES[0], **oncall}, GROUPED_ROUTES[1]]})


def negative_review(n: int, *, subject: str = "17", respond_by: dt.datetime = T0 + 60 * MINUTE) -> AlertRecord:
    return alert(f"review:negative:{subject}:{n}", "critical", "review", kind="negative_review", subject=subject,
                 title=f"新差评 {n}★", body=f"差评 {n}: 漏水 {SCRIPT}",
                 evidence={"title": FOUNTAIN, "rating": 1, "pain_points": ["漏水"],
                           "respond_by": respond_by.isoformat()},
                 suggestion="1 小时内回复买家")


@pytest.mark.integration
def test_a_burst_on_one_product_is_one_message_per_group_and_the_digest_lists_it_once(
        tmp_path: Path, store: Store, mail_server: MailServer) -> None:
    config = grouped_config(tmp_path, mail_server.port)
    reviews = [store.add_alert(negative_review(n, respond_by=T0 + (60 - n) * MINUTE)) for n in range(1, 9)]
    prices = [store.add_alert(alert(f"p{n}", "critical", "price", subject="18", evidence={"title": "充电宝"}))
              for n in range(2)]
    surge = store.add_alert(alert("surge", "warning", "review", subject="17", kind="negative_surge"))

    report = deliver_pending(store, config, now=T0)

    assert (report.messages, report.pending) == (3, 0)
    review_mail, price_mail = mail_server.to(ONCALL)
    assert review_mail["Subject"] == f"[ShopSentinel][严重] {FOUNTAIN} 新增 8 条差评"
    assert price_mail["Subject"] == "[ShopSentinel][严重] 2 条价格告警: 充电宝"
    text, markup = parts(review_mail)
    assert all(f"差评 {n}: 漏水" in text for n in range(1, 9))
    assert text.count("1 小时内回复买家") == 1, "one action for the group"
    earliest = (T0 + 52 * MINUTE).astimezone(config.schedule.tzinfo)
    # The year shows only when the alerts were raised in another year than T0's (add_alert stamps the clock's now).
    assert re.search(rf"\n应回复时间：({earliest:%Y}-)?{earliest:%m-%d %H:%M}\n", text), \
        "the earliest respond-by time of the eight, once ahead of the blocks"
    assert "<script" not in markup and "&lt;script&gt;" in markup
    [digest] = mail_server.to(DIGEST)
    digest_text, _ = parts(digest)
    assert digest["Subject"] == "[ShopSentinel] 告警摘要: 11 条 (严重 10 · 警告 1)"
    assert "测试告警 surge" in digest_text
    # Each alert is carried by exactly the messages received, and says which (alerts show).
    received = {message["Message-ID"] for message in mail_server.to(ONCALL) + mail_server.to(DIGEST)}
    for alert_id in reviews + prices + [surge]:
        deliveries = store.deliveries(alert_id=alert_id)
        assert {d.message_id for d in deliveries} <= received and all(d.state == "sent" for d in deliveries)
        assert store.get_alert(alert_id).state == "sent"
    assert {d.message_id for a in reviews for d in store.deliveries(alert_id=a) if d.kind == "immediate"} == {
        review_mail["Message-ID"]}
    assert deliver_pending(store, config, now=T0 + 60 * MINUTE).messages == 0


@pytest.mark.integration
def test_group_wait_collects_a_burst_and_group_interval_holds_later_alerts(
        tmp_path: Path, store: Store, mail_server: MailServer) -> None:
    config = grouped_config(tmp_path, mail_server.port, group_wait="2m", group_interval="10m")
    for n in (1, 2, 3):
        store.add_alert(negative_review(n))
    report = deliver_pending(store, config, now=T0, digests=False)
    assert (report.messages, report.deferred) == (0, 3)
    [waiting] = [d for d in store.deliveries(alert_id=1) if d.kind == "immediate"]
    assert waiting.next_attempt_at == T0 + 2 * MINUTE, "alerts show says when the group goes"
    store.add_alert(negative_review(4))
    assert deliver_pending(store, config, now=T0 + MINUTE, digests=False).messages == 0

    assert deliver_pending(store, config, now=T0 + 2 * MINUTE, digests=False).messages == 1
    [first] = mail_server.to(ONCALL)
    assert first["Subject"] == f"[ShopSentinel][严重] {FOUNTAIN} 新增 4 条差评"

    store.add_alert(negative_review(5))  # the group was notified at T0+2m: its next message waits until T0+12m
    store.add_alert(negative_review(6, subject="99"))  # another product: a new group, sent after its own wait
    assert deliver_pending(store, config, now=T0 + 5 * MINUTE, digests=False).messages == 0
    assert deliver_pending(store, config, now=T0 + 7 * MINUTE, digests=False).messages == 1
    assert deliver_pending(store, config, now=T0 + 11 * MINUTE, digests=False).messages == 0
    assert deliver_pending(store, config, now=T0 + 12 * MINUTE, digests=False).messages == 1
    subjects = [m["Subject"] for m in mail_server.to(ONCALL)]
    assert subjects[1:] == ["[ShopSentinel][严重] 新差评 6★", "[ShopSentinel][严重] 新差评 5★"]

    store.add_alert(negative_review(7))
    assert deliver_pending(store, config, now=T0 + 13 * MINUTE, digests=False, flush=True).messages == 1, \
        "a one-shot scan flushes: no later call is certain to come"


@pytest.mark.integration
def test_a_critical_alert_inhibits_the_warning_of_the_same_cause_on_the_same_product(
        tmp_path: Path, store: Store, mail_server: MailServer) -> None:
    config = grouped_config(tmp_path, mail_server.port)
    below = store.add_alert(alert("below", "critical", "price", kind="price_below_cost", subject="17"))
    band = store.add_alert(alert("band", "warning", "price", kind="price_out_of_band", subject="17"))
    elsewhere = store.add_alert(alert("band-18", "warning", "price", kind="price_out_of_band", subject="18"))
    low = store.add_alert(alert("low", "warning", "stock", kind="own_low_stock", subject="17"))

    report = deliver_pending(store, config, now=T0)

    assert report.suppressed == 1
    [inhibited] = store.deliveries(alert_id=band)
    assert inhibited.state == "suppressed" and inhibited.sent_at is None and inhibited.message_id is None
    assert f"inhibited by alert #{below} (price_below_cost, critical)" in (inhibited.note or "")
    assert store.get_alert(band).state == "new", "not sent: it stays new, and says why"
    [digest] = mail_server.to(DIGEST)
    digest_text, _ = parts(digest)
    assert "测试告警 band-18" in digest_text and "测试告警 low" in digest_text
    assert "测试告警 band\n" not in digest_text and digest["Subject"].startswith("[ShopSentinel] 告警摘要: 3 条")
    assert {store.get_alert(a).state for a in (below, elsewhere, low)} == {"sent"}

    store.resolve_alert(below)  # the cause is fixed: a warning raised later is news again
    again = store.add_alert(alert("band-2", "warning", "price", kind="price_out_of_band", subject="17"))
    assert deliver_pending(store, config, now=T0 + MINUTE).suppressed == 0
    assert store.get_alert(again).state == "sent"


@pytest.mark.integration
def test_repeat_interval_limits_how_often_a_re_raised_alert_reaches_a_route(
        tmp_path: Path, store: Store, mail_server: MailServer) -> None:
    config = grouped_config(tmp_path, mail_server.port, repeat_interval="24h")
    hour = 60 * MINUTE
    first = store.add_alert(alert("price:below_cost:17", "critical", kind="price_below_cost"), created_at=T0)
    deliver_pending(store, config, now=T0)
    repeat = store.add_alert(alert("price:below_cost:17", "critical", kind="price_below_cost"),
                             created_at=T0 + 7 * hour)  # re-raised after the 6 h cooldown
    deliver_pending(store, config, now=T0 + 7 * hour)
    oncall, digest = sorted(store.deliveries(alert_id=repeat), key=lambda d: d.kind != "immediate")
    assert oncall.state == "suppressed" and f"repeat of alert #{first}" in (oncall.note or "")
    assert digest.state == "sent", "the digest route has no repeat_interval: cooldown is its repeat interval"
    later = store.add_alert(alert("price:below_cost:17", "critical", kind="price_below_cost"),
                            created_at=T0 + 25 * hour)
    deliver_pending(store, config, now=T0 + 25 * hour)
    assert {d.state for d in store.deliveries(alert_id=later)} == {"sent"}
    assert len(mail_server.to(ONCALL)) == 2


CRASH_SENDER = Path(__file__).with_name("outbox_crash_sender.py")


@pytest.mark.integration
@pytest.mark.parametrize("stage", ["grouped", "claimed"])
def test_a_sender_killed_between_grouping_and_sending_loses_nothing_and_sends_nothing_twice(
        tmp_path: Path, store: Store, mail_server: MailServer, stage: str) -> None:
    data = {"platforms": {"demo": {"name": "演示", "base_url": "http://127.0.0.1:9"}},
            "alerts": {"routes": GROUPED_ROUTES},
            "smtp": {"host": LOOPBACK, "port": mail_server.port, "security": "plain", "timeout_s": 5.0}}
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(data), encoding="utf-8")
    config = config_from_dict(data, base_dir=tmp_path)
    alert_ids = [store.add_alert(negative_review(n)) for n in range(1, 4)]
    alert_ids.append(store.add_alert(alert("p", "critical", "price", subject="18", evidence={"title": "充电宝"})))

    child = subprocess.Popen([sys.executable, str(CRASH_SENDER), str(config_file), str(store.path), T0.isoformat(),
                              stage], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    try:
        assert child.stdout is not None and child.stdout.readline() == f"paused {stage}\n", child.stderr.read()
        child.send_signal(signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        child.kill()
        child.communicate()
    assert mail_server.received == []
    claimed = {d.message_id for d in store.deliveries() if d.message_id}
    assert len(claimed) == (1 if stage == "claimed" else 0)

    report = deliver_pending(store, config, now=T0 + MINUTE)
    assert report.messages == (2 if stage == "claimed" else 3), "a claimed message waits for its lease to end"
    deliver_pending(store, config, now=T0 + 11 * MINUTE)  # the dead sender's lease (10 min) has ended

    received = [r.message["Message-ID"] for r in mail_server.received]
    assert len(received) == len(set(received)) == 3, "one message per group and one digest, each once"
    assert claimed <= set(received), "the claimed message went out under the Message-ID it was claimed with"
    subjects = sorted(r.message["Subject"] for r in mail_server.received)
    assert subjects == ["[ShopSentinel] 告警摘要: 4 条 (严重 4)", "[ShopSentinel][严重] 测试告警 p",
                        f"[ShopSentinel][严重] {FOUNTAIN} 新增 3 条差评"]
    assert all(store.get_alert(alert_id).state == "sent" for alert_id in alert_ids)
    assert {d.state for d in store.deliveries()} == {"sent"}


def test_a_subject_keeps_its_spaces_whatever_its_length() -> None:
    """Python 3.11's header folder dropped the space between two encoded words ("at¥39.90"): every cut point of
    a mixed Chinese and ASCII subject must read back exactly as written."""
    from delivery.email import compose_email
    from delivery.render import SUBJECT_LIMIT, Rendered

    for padding in range(60):
        subject = (f"[ShopSentinel][严重] {'x' * padding} Own price below cost: 充电宝 at ¥39.90 (cost ¥45.00) "
                   + "差评" * padding)[:SUBJECT_LIMIT]
        message = compose_email(Rendered(subject, "正文", "<p>正文</p>"), from_addr="a@example.com",
                                to="b@example.com", message_id="<1@example.com>",
                                date=dt.datetime(2026, 12, 7, tzinfo=dt.UTC))
        raw = message.as_bytes()
        assert email.message_from_bytes(raw, policy=default_policy)["Subject"] == subject
        assert max(len(line) for line in raw.splitlines()) <= 998
