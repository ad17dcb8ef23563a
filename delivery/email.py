"""Alert e-mails: a multipart/alternative message (plain text first, HTML second) with a deterministic Message-ID.

The Message-ID is derived from the deliveries a message carries, so when a message whose outcome is unknown
(the sender died after the server's reply, before recording it) is sent again, it is the same message under the
same id and a receiving mail system or a person can tell it is a repeat. Bodies are UTF-8 in base64, headers
RFC 2047-encoded, so the message is plain ASCII on the wire and any server relays it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from delivery.render import PRODUCT, Rendered
from store import DeliveryRow

# Headers are not folded below RFC 5322's hard limit of 998 characters: Python 3.11's folder splits a subject
# between two encoded words at a space and the space is lost on decoding ("at ¥39.90" arrives as "at¥39.90";
# CPython gh-144156, fixed only in later Pythons). A subject is at most render.SUBJECT_LIMIT characters, so
# its encoded form stays far below 998; bodies are base64 in lines of 76 whatever this says.
_POLICY = policy.default.clone(max_line_length=998)


def message_id_for(deliveries: Sequence[DeliveryRow], from_addr: str) -> str:
    """A Message-ID that is the same whenever the same deliveries are sent together, and differs otherwise.

    The planning times join the ids so two databases (a test and production, a re-created file) that reuse
    an id never produce one Message-ID for different messages, which a receiver would drop as a duplicate.
    """
    ordered = sorted(deliveries, key=lambda delivery: delivery.id)
    key = ",".join(f"{delivery.id}@{delivery.created_at.isoformat()}" for delivery in ordered)
    digest = hashlib.sha256(key.encode("ascii")).hexdigest()[:24]
    domain = from_addr.rpartition("@")[2]
    return f"<shopsentinel.{ordered[0].id}.{len(ordered)}.{digest}@{domain}>"


def compose_email(rendered: Rendered, *, from_addr: str, to: str, message_id: str, date: datetime,
                  attachment: Path | None = None) -> EmailMessage:
    """The message with text and HTML alternatives; `attachment` (the daily HTML report) is attached as a file,
    so the digest carries the report to readers who cannot reach the server's disk."""
    message = EmailMessage(policy=_POLICY)
    message["From"] = Address(display_name=PRODUCT, addr_spec=from_addr)
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to the alert sender
    message.set_content(rendered.text, charset="utf-8", cte="base64")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="base64")
    if attachment is not None:
        message.add_attachment(attachment.read_text(encoding="utf-8"), subtype="html", charset="utf-8",
                               cte="base64", filename=attachment.name)  # reports.write_report writes UTF-8
    return message
