"""The daemon's logs: stderr (journald under systemd) and a rotating file under var/logs/, as text or JSON lines.

Secrets never reach a log line: nothing logs them on purpose, and as a second guard every record is scrubbed of
the values of the environment variables the config names for secrets (SMTP password, webhook URLs, proxy URLs),
in case a library puts one into an error message. Cookies live in files and are never read here.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from config import Config
from store.errors import UnwritableError

LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILES_KEPT = 5
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[secret]"


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                "message": record.getMessage()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class SecretScrubber(logging.Filter):
    """Replaces the given secret values in a record's message (and exception text) before any handler sees it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        record.msg, record.args = text, None
        return True


def secret_values(config: Config) -> list[str]:
    """The current values of the environment variables the config names for secrets."""
    names = [config.smtp.password_env, *(hook.url_env for hook in config.alerts.webhooks.values()),
             *(platform.proxy_env for platform in config.platforms.values() if platform.proxy_env)]
    return [os.environ[name] for name in names if os.environ.get(name)]


def log_file(config: Config) -> Path:
    return config.paths.var_dir / "logs" / "daemon.log"


def setup_logging(config: Config, *, json_lines: bool = False, level: int = logging.INFO) -> Path:
    """Send the process's logs to stderr and the rotating file; return the file's path. UnwritableError when the
    file or its folder cannot be written (a read-only var/)."""
    path = log_file(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file = RotatingFileHandler(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILES_KEPT, encoding="utf-8")
    except OSError as error:
        raise UnwritableError(Path(error.filename or path), "the daemon's log", error) from error
    formatter = JsonLines() if json_lines else logging.Formatter(TEXT_FORMAT)
    scrubber = SecretScrubber(secret_values(config))
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr), to_file]
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(scrubber)  # on the handlers, so records of every logger pass through it
        root.addHandler(handler)
    root.setLevel(level)
    # aiosmtpd (the demo's mail capture) logs every SMTP command of every connection at INFO.
    logging.getLogger("mail.log").setLevel(max(level, logging.WARNING))
    return path
