"""The subprocess half of test_delivery's SIGKILL tests: runs the outbox and stops at one point to be killed.

Usage: outbox_crash_sender.py CONFIG_JSON DB_PATH NOW_ISO STAGE

CONFIG_JSON is a file holding the configuration as a dict (config_from_dict). The outbox runs with the clock
fixed at NOW_ISO and flush=True, and stops at STAGE, prints "paused STAGE" (flushed) and waits to be killed:
- "grouped": the messages are built (suppressions and deferrals committed), before the first claim;
- "claimed": the first message's deliveries are claimed (committed), before it is handed to the server.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from config import config_from_dict
from delivery import deliver_pending, outbox
from delivery.smtp import SmtpSender
from store import open_store


def pause(stage: str) -> None:
    print(f"paused {stage}", flush=True)
    while True:  # until SIGKILL
        time.sleep(60)


def main(config_json: str, db_path: str, now_iso: str, stage: str) -> None:
    config = config_from_dict(json.loads(Path(config_json).read_text(encoding="utf-8")),
                              base_dir=Path(config_json).parent)
    if stage == "grouped":
        outbox._Outbox._claim = lambda self, message: pause(stage)  # type: ignore[method-assign]
    else:
        SmtpSender.send = lambda self, *args, **kwargs: pause(stage)  # type: ignore[method-assign]
    with open_store(db_path) as store:
        deliver_pending(store, config, now=datetime.fromisoformat(now_iso), flush=True)


if __name__ == "__main__":
    arguments: list[Any] = sys.argv[1:]
    main(*arguments)
