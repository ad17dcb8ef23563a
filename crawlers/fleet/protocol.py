"""What workers and the coordinator share in Redis: the key names, the phase a cycle is at, and the stream entries
workers send. Both sides import it, so a key is spelled in one place.

Keys (all under PREFIX):
- `phase`: the phase workers should crawl now, as "CYCLE:N"
- `CYCLE:N:spec`: that phase's spider, its arguments and the configuration (PhaseSpec)
- `CYCLE:N:requests`, `CYCLE:N:dupefilter`: scrapy-redis's priority queue and duplicate filter for the phase
- `CYCLE:N:leases:WORKER`: requests WORKER has taken and not finished; `CYCLE:N:holders`: who ever held some
- `CYCLE:N:done`: set by the coordinator once the queue is empty and no lease is held
- `CYCLE:N:joined`, `CYCLE:N:finished`: the workers that ran the phase, and those that have sent their stats
- `CYCLE:items`: the stream of items and stats; `CYCLE:ingested`: item keys the coordinator has stored
- `worker:WORKER`: a worker's heartbeat, expiring WORKER_TTL_S after its last beat
"""

from __future__ import annotations

import hashlib
import os
import pickle
import socket
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis

from config import Config

PREFIX = "shopsentinel:fleet"
CURRENT_PHASE = f"{PREFIX}:phase"
HEARTBEAT_S = 1.0
# How long a worker may go unheard before it counts as dead and the requests it leased go back to the queue: long
# enough for a busy reactor to miss a few beats, short enough that a killed worker's pages are soon crawled again.
WORKER_TTL_S = 5.0
ENV_URL = "SHOPSENTINEL_REDIS_URL"
STREAM_GROUP = "coordinator"


@dataclass(frozen=True)
class Phase:
    """One spider's turn in a cycle."""

    cycle: str
    number: int

    @property
    def id(self) -> str:
        return f"{self.cycle}:{self.number}"

    @classmethod
    def parse(cls, text: str | bytes) -> Phase:
        cycle, number = (text.decode() if isinstance(text, bytes) else text).rsplit(":", 1)
        return cls(cycle, int(number))

    def key(self, name: str) -> str:
        return f"{PREFIX}:{self.id}:{name}"

    def leases(self, worker: str) -> str:
        return self.key(f"leases:{worker}")


def cycle_key(cycle: str, name: str) -> str:
    return f"{PREFIX}:{cycle}:{name}"


def worker_key(worker: str) -> str:
    return f"{PREFIX}:worker:{worker}"


def new_worker_id() -> str:
    """Unique across machines and restarts, and readable in `redis-cli` (host and pid first)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class PhaseSpec:
    """What every worker runs in a phase: the spider (a name in crawlers.spiders.SPIDERS), its arguments, and the
    coordinator's configuration, so workers need no config file of their own."""

    spider: str
    kwargs: dict[str, Any]
    config: Config

    def dumps(self) -> bytes:
        return pickle.dumps(self)

    @staticmethod
    def loads(data: bytes) -> PhaseSpec:
        return pickle.loads(data)


def item_key(phase: Phase, item: Any) -> str:
    """The same page's item has the same key, whichever worker sent it and however often: a page crawled again
    after its worker died is ingested once."""
    identity = f"{phase.id}|{type(item).__name__}|{item.url}"
    return hashlib.sha1(identity.encode()).hexdigest()


# Stream entries are pickled, like scrapy-redis's requests: Redis is as trusted as the workers (keep it private,
# with a password); items are the crawl's own frozen dataclasses, Decimals and dates included.
def item_entry(phase: Phase, worker: str, item: Any) -> dict[str, Any]:
    return {"kind": "item", "phase": phase.id, "worker": worker, "key": item_key(phase, item),
            "data": pickle.dumps(item)}


def stats_entry(phase: Phase, worker: str, stats: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "stats", "phase": phase.id, "worker": worker, "data": pickle.dumps(stats)}


def redacted(url: str) -> str:
    """The Redis URL as it may be shown or logged: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str) -> redis.Redis:
    """A client for the fleet's Redis; fails with the URL (redacted) when it cannot be reached."""
    client = redis.Redis.from_url(url, socket_connect_timeout=10, health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as error:
        raise FleetError(f"cannot reach Redis at {redacted(url)}: {error}") from error
    return client


class FleetError(RuntimeError):
    """Redis cannot be reached, or the fleet cannot finish a cycle."""
