"""The demo's mail server: a local SMTP capture (aiosmtpd) that saves every message it accepts as an .eml file.

With no SMTP host configured, ShopSentinel sends its e-mails here, over real SMTP on 127.0.0.1, so the demo
produces real messages that any mail program opens. Files are named `<UTC time>-<Message-ID>.eml`, so a
directory listing is in arrival order, and are written to a temporary name and renamed: a reader never sees
half a message, and the server answers 250 only once the file is complete on disk.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

LOOPBACK = "127.0.0.1"


@dataclass
class RunningCapture:
    host: str
    port: int
    directory: Path
    saved: list[Path] = field(default_factory=list)  # in arrival order


class _SavingHandler:
    def __init__(self, capture: RunningCapture) -> None:
        self._capture = capture
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        try:
            path = save_eml(self._capture.directory, content)
        except OSError as error:
            return f"451 4.3.0 cannot store the message: {error.strerror}"  # the sender retries later
        with self._lock:
            self._capture.saved.append(path)
        return "250 2.0.0 saved"


def save_eml(directory: Path, content: bytes) -> Path:
    """Write one message atomically as `<time>-<message id>.eml` under `directory` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    message_id = BytesHeaderParser().parsebytes(content).get("Message-ID", "") or "no-message-id"
    stem = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{_safe(message_id)}"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-", suffix=".eml")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        path = _free_name(directory, stem)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


@contextmanager
def capture_server(directory: Path) -> Iterator[RunningCapture]:
    """Run the capture on 127.0.0.1 on a free port while the block runs; send to its host and port, plain SMTP."""
    capture = RunningCapture(host=LOOPBACK, port=free_port(), directory=Path(directory))
    controller = Controller(_SavingHandler(capture), hostname=LOOPBACK, port=capture.port)
    controller.start()
    try:
        yield capture
    finally:
        controller.stop()


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (aiosmtpd's Controller cannot bind port 0 itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _safe(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", message_id.strip("<> \t\r\n"))[:120] or "no-message-id"


def _free_name(directory: Path, stem: str) -> Path:
    # A resend under the same Message-ID within the same microsecond must not overwrite the first copy.
    path = directory / f"{stem}.eml"
    number = 1
    while path.exists():
        path = directory / f"{stem}-{number}.eml"
        number += 1
    return path
