"""Sending e-mail over SMTP (plain, STARTTLS or implicit TLS) and telling which failures are worth retrying.

One `SmtpSender` keeps one connection for a run and sends each message to one recipient in its own SMTP
transaction, so the server's answer is per recipient: accepted (250 to the message data) or refused. Failures
come back as `SendFailure`, classified:

- temporary (connection refused, timeouts, a dropped connection, any 4xx reply): retry with backoff;
- permanent (a 5xx reply, a refused login, TLS that cannot be verified, a missing password): the server or the
  config must change first; the outbox keeps retrying at its longest interval and shows the error;
- `outcome_unknown`: the connection broke after the message data was handed over, so the server may have
  accepted it; the retry resends it under the same Message-ID;
- `connection`: the connection is unusable, so the rest of the run's messages would fail the same way.

TLS is verified against the system's CA store (`ssl.create_default_context()`, which also honours
SSL_CERT_FILE for a private CA). The password is read from the environment by `SmtpSettings.password()` when
connecting and is never logged or put in an error message.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import ssl
from contextlib import suppress
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from config import ConfigError, SmtpSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: str  # "plain" | "starttls" | "ssl"
    timeout_s: float
    username: str = ""
    # Read when connecting, so an unset variable fails the send (recorded, retried) rather than the whole run.
    password: Callable[[], str | None] = field(default=lambda: None, repr=False)

    @classmethod
    def from_settings(cls, settings: SmtpSettings) -> SmtpTarget:
        return cls(host=settings.host, port=settings.port, security=settings.security, timeout_s=settings.timeout_s,
                   username=settings.username, password=settings.password)

    def describe(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"


class SendFailure(Exception):
    def __init__(self, error: str, *, permanent: bool = False, outcome_unknown: bool = False,
                 connection: bool = False) -> None:
        super().__init__(error)
        self.error = error
        self.permanent = permanent
        self.outcome_unknown = outcome_unknown
        self.connection = connection


class _Dropped(Exception):
    """A reused connection turned out to be closed before this message's transaction began."""


class SmtpSender:
    """Sends messages over one lazily opened connection; use as a context manager so it is closed."""

    def __init__(self, target: SmtpTarget, from_addr: str) -> None:
        self._target = target
        self._from_addr = from_addr
        self._conn: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Return once the server accepted `message` for `recipient`; raise SendFailure otherwise."""
        payload = message.as_bytes(policy=policy.SMTP)
        # Servers close idle or busy connections; nothing of this message was sent yet, so a reused connection
        # that turns out closed is replaced once. A fresh connection that drops is a real failure.
        for fresh in (self._conn is None, True):
            try:
                self._envelope(self._connection(), recipient)
                break
            except _Dropped:
                self._drop()
                if fresh:
                    raise SendFailure(f"{self._target.describe()}: connection closed by the server",
                                      connection=True) from None
        self._data(payload, recipient, message["Message-ID"])

    def close(self) -> None:
        if self._conn is not None:
            with suppress(smtplib.SMTPException, OSError):
                self._conn.quit()
            self._drop()

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> smtplib.SMTP:
        target = self._target
        try:
            password = target.password()
        except ConfigError as error:
            raise SendFailure(f"{target.describe()}: {error} (permanent)", permanent=True, connection=True) from None
        context = ssl.create_default_context()
        conn: smtplib.SMTP | None = None
        try:
            if target.security == "ssl":
                conn = smtplib.SMTP_SSL(target.host, target.port, timeout=target.timeout_s, context=context)
            else:
                conn = smtplib.SMTP(target.host, target.port, timeout=target.timeout_s)
            conn.ehlo()
            if target.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if target.username:
                _login(conn, target.username, password or "")
        except (smtplib.SMTPException, OSError) as error:
            if conn is not None:
                with suppress(OSError):
                    conn.close()
            raise _classify(error, f"{target.describe()}: {_stage_of(error)}", connection=True) from None
        return conn

    def _envelope(self, conn: smtplib.SMTP, recipient: str) -> None:
        try:
            code, reply = conn.mail(self._from_addr)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, self._from_addr)
            code, reply = conn.rcpt(recipient)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        except smtplib.SMTPServerDisconnected:
            raise _Dropped from None
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = error.recipients[recipient]
            self._reset(conn)
            raise _classify(smtplib.SMTPResponseException(code, reply), f"recipient {recipient} refused") from None
        except smtplib.SMTPResponseException as error:
            self._reset(conn)
            raise _classify(error, f"sender {self._from_addr} refused") from None
        except OSError as error:
            self._drop()
            raise _classify(error, f"{self._target.describe()}: sending the envelope", connection=True) from None

    def _data(self, payload: bytes, recipient: str, message_id: str) -> None:
        conn = self._connection()
        try:
            code, reply = conn.data(payload)
        except smtplib.SMTPResponseException as error:  # the server refused the DATA command itself
            self._reset(self._conn)
            raise _classify(error, f"message to {recipient} refused") from None
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise SendFailure(f"{self._target.describe()}: connection lost while sending the message to "
                              f"{recipient}, the server may have accepted it: {error}",
                              outcome_unknown=True, connection=True) from None
        if code != 250:
            self._reset(conn)
            raise _classify(smtplib.SMTPResponseException(code, reply), f"message to {recipient} refused")
        logger.info("SMTP %s accepted %s for %s", self._target.describe(), message_id, recipient)

    def _reset(self, conn: smtplib.SMTP | None) -> None:
        """Clear a refused transaction so the connection can carry the next message."""
        if conn is not None:
            try:
                conn.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with suppress(OSError):
                self._conn.close()
        self._conn = None


def _login(conn: smtplib.SMTP, username: str, password: str) -> None:
    if (username + password).isascii():
        conn.login(username, password)  # smtplib picks the best mechanism the server offers
        return
    # smtplib encodes credentials as ASCII and fails on anything else; AUTH PLAIN carries UTF-8 (RFC 4616).
    if "PLAIN" not in conn.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPNotSupportedError("the server offers no AUTH PLAIN, needed for a non-ASCII login")
    credentials = base64.b64encode(f"\0{username}\0{password}".encode("utf-8")).decode("ascii")
    code, reply = conn.docmd("AUTH", f"PLAIN {credentials}")
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, reply)


def _stage_of(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "login refused"
    if isinstance(error, ssl.SSLError):
        return "TLS failed"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "the server does not support what the config asks for"
    return "cannot connect"


def _classify(error: BaseException, context: str, *, connection: bool = False) -> SendFailure:
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) \
            else str(error.smtp_error)
        permanent = error.smtp_code >= 500
        kind = "permanent" if permanent else "temporary"
        return SendFailure(f"{context}: SMTP {error.smtp_code} {' '.join(reply.split())} ({kind})",
                           permanent=permanent, connection=connection)
    if isinstance(error, ssl.SSLError | smtplib.SMTPNotSupportedError):
        return SendFailure(f"{context}: {error} (permanent)", permanent=True, connection=True)
    description = str(error) or type(error).__name__
    return SendFailure(f"{context}: {description} (temporary)", connection=connection)
