"""The scale-out crawl's coordinator (`agent.py scan --redis URL`): the one writer of the store while workers on
any number of machines crawl (crawlers/fleet/).

A cycle is the embedded crawl's plan, its spiders run as phases one after another (crawlers.run.spider_jobs). For
each phase the coordinator seeds the spider's start requests into the shared queue (through the same duplicate
filter the workers use), announces the phase, and then, until the phase is over: ingests the items workers stream
in batches with the store pipeline's own writer (an item key seen before is skipped, so a page crawled twice is
stored once), puts the leases of workers whose heartbeat stopped back in the queue, and declares the phase done
once the queue is empty and no lease is held. When every worker that ran the phase has sent its stats, the run is
closed with their sum, exactly as an embedded run.

Everything a cycle needs is in Redis, so a coordinator started again with the same plan resumes the cycle where
the last one stopped: finished phases are kept, a seeded phase is not seeded again, and stream entries read but
not acknowledged are read again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis
from scrapy.exceptions import DropItem
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

import store as st
from config import Config
from crawlers.fleet.protocol import (
    CURRENT_PHASE, PREFIX, STREAM_GROUP, FleetError, Phase, PhaseSpec, connect, cycle_key, worker_key,
)
from crawlers.fleet.queue import queue_unseen, reclaim_dead
from crawlers.pipelines import StoreWriter, finish_run
from crawlers.progress import item_event
from crawlers.run import CrawlPlan, CrawlResult, crawl_context, spider_jobs
from crawlers.spiders import SPIDERS
from store.timestamps import utc_now

log = logging.getLogger(__name__)

UNFINISHED_CYCLE = f"{PREFIX}:cycle"  # the cycle a coordinator has not finished: {"cycle": id, "plan": plan JSON}
BATCH_ENTRIES = 200  # stream entries per store transaction
READ_BLOCK_MS = 200
CYCLE_KEYS_TTL_S = 7 * 24 * 3600  # a finished cycle's keys stay a week, for looking into it with redis-cli
CONSUMER = "coordinator"  # one coordinator at a time; the same name after a restart reads its unacknowledged entries

# The phase is drained when its queue is empty and none of its workers holds a lease: read in one script, so no
# request can move from the queue to a lease between the two reads. (The lease hashes it reads are not among its
# declared keys: fine on one Redis server, not on a Redis Cluster.)
DRAINED = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    if redis.call('HLEN', ARGV[1] .. worker) > 0 then return 0 end
end
return 1
"""


@dataclass
class PhaseProgress:
    """What the coordinator has gathered of one phase: workers' stats, and how many entries it read, stored or
    skipped."""

    stats: dict[str, dict[str, Any]] = field(default_factory=dict)  # worker -> its Scrapy stats
    stored: int = 0
    duplicates: int = 0
    events: int = 0  # stream entries read


def crawl_on_fleet(config: Config, plan: CrawlPlan, url: str, *,
                   on_event: Callable[[dict[str, Any]], None] | None = None, poll_s: float = 0.1,
                   no_worker_timeout_s: float = 300.0) -> CrawlResult:
    """Crawl `plan` with the workers serving Redis at `url` and store what they find; returns the runs, one per
    spider as the embedded crawl records them. Raises FleetError when no worker is alive for
    `no_worker_timeout_s` while a phase has work left, or when Redis fails mid-cycle: never a silently short crawl."""
    client = connect(url)
    try:
        cycle = resume_or_start(client, config, plan)
        events = 0
        run_ids = []
        for number in range(int(client.get(cycle_key(cycle, "phases")))):
            phase = Phase(cycle, number)
            run_id, phase_events = run_phase(client, config, phase, on_event=on_event, poll_s=poll_s,
                                             no_worker_timeout_s=no_worker_timeout_s)
            run_ids.append(run_id)
            events += phase_events
        finish_cycle(client, cycle)
    except redis.RedisError as error:
        raise FleetError(f"Redis failed mid-cycle; run the same scan again to resume it: {error}") from error
    finally:
        client.close()
    with st.open_store(config.store.path) as store:
        return CrawlResult(runs=[store.get_run(run_id) for run_id in run_ids], events=events)


def resume_or_start(client: redis.Redis, config: Config, plan: CrawlPlan) -> str:
    """The unfinished cycle of the same plan, or a new one with every phase's spec written (the context of earlier
    crawls is read once, as the embedded crawl does, so a resumed cycle's later phases see what the first saw)."""
    recorded = client.get(UNFINISHED_CYCLE)
    if recorded is not None:
        unfinished = json.loads(recorded)
        if unfinished["plan"] == plan.to_json():
            log.info("resuming cycle %s", unfinished["cycle"])
            return unfinished["cycle"]
        log.warning("abandoning unfinished cycle %s of another plan", unfinished["cycle"])
        finish_cycle(client, unfinished["cycle"])  # its workers leave it when the new cycle's first phase starts
    cycle = uuid.uuid4().hex[:12]
    known_reviews, history = crawl_context(config)
    jobs = spider_jobs(plan, known_reviews, history)
    with client.pipeline() as pipe:
        for number, (spider_class, kwargs) in enumerate(jobs):
            pipe.set(Phase(cycle, number).key("spec"), PhaseSpec(spider_class.name, kwargs, config).dumps())
        pipe.set(cycle_key(cycle, "phases"), len(jobs))
        pipe.set(UNFINISHED_CYCLE, json.dumps({"cycle": cycle, "plan": plan.to_json()}))
        pipe.execute()
    try:
        client.xgroup_create(cycle_key(cycle, "items"), STREAM_GROUP, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise
    return cycle


def run_phase(client: redis.Redis, config: Config, phase: Phase, *,
              on_event: Callable[[dict[str, Any]], None] | None, poll_s: float,
              no_worker_timeout_s: float) -> tuple[int, int]:
    """Run one phase to its end; returns its run id and the number of progress events."""
    finished_run = client.get(phase.key("run"))
    if finished_run is not None:  # finished before a restart
        return int(finished_run), 0
    spec = PhaseSpec.loads(client.get(phase.key("spec")))
    if not client.exists(phase.key("seeded")):
        # again after a restart that interrupted it: the duplicate filter drops what was seeded already
        log.info("phase %s (%s): %d start requests seeded", phase.id, spec.spider, seed(client, phase, spec))
        client.set(phase.key("seeded"), 1)
    client.set(CURRENT_PHASE, phase.id)
    progress = PhaseProgress()
    with st.open_store(config.store.path) as store:
        store.recover_interrupted_runs()  # a coordinator that died mid-phase left its run open
        writer = StoreWriter(store, config, store.begin_run(spec.spider), observed_at(client, phase))
        started = time.monotonic()
        try:
            wait_for_phase_end(client, store, writer, phase, spec, progress, on_event=on_event, poll_s=poll_s,
                               no_worker_timeout_s=no_worker_timeout_s)
        except BaseException:
            # the run read only part of the phase: 'interrupted', with what its workers had reported
            finish_run(store, writer, {**summed(progress.stats.values()), "finish_reason": "shutdown"},
                       time.monotonic() - started, spec.kwargs["platforms"])
            raise
        scrapy_stats = {**summed(progress.stats.values()), "finish_reason": "finished"}
        finish_run(store, writer, scrapy_stats, time.monotonic() - started, spec.kwargs["platforms"])
        client.set(phase.key("run"), writer.run_id)
        log.info("phase %s (%s): %d items stored, %d duplicates skipped, from %d workers", phase.id, spec.spider,
                 progress.stored, progress.duplicates, len(progress.stats))
        return writer.run_id, progress.events


def wait_for_phase_end(client: redis.Redis, store: st.Store, writer: StoreWriter, phase: Phase, spec: PhaseSpec,
                       progress: PhaseProgress, *, on_event: Callable[[dict[str, Any]], None] | None, poll_s: float,
                       no_worker_timeout_s: float) -> None:
    """Ingest the phase's items until it is drained and every worker that ran it has reported."""
    drained = client.register_script(DRAINED)
    last_worker_seen = time.monotonic()
    while True:
        if not client.exists(cycle_key(phase.cycle, "phases")):
            # a Redis restarted without persistence: an empty queue now means nothing, not "all crawled"
            raise FleetError(f"Redis lost cycle {phase.cycle} (restarted without its data?) in phase {phase.id} "
                             f"({spec.spider}); what was stored stays stored, run the scan again")
        read = ingest(client, store, writer, phase, progress, on_event)
        progress.events += read
        done = bool(client.exists(phase.key("done")))
        if not done:
            reclaim_dead(client, phase)
            if drained(keys=[phase.key("requests"), phase.key("holders")], args=[phase.key("leases:")]):
                client.set(phase.key("done"), 1)
                continue
            if live_workers(client):
                last_worker_seen = time.monotonic()
            elif time.monotonic() - last_worker_seen > no_worker_timeout_s:
                raise FleetError(f"no crawl worker alive for {no_worker_timeout_s:.0f} s with phase "
                                 f"{phase.id} ({spec.spider}) unfinished; start one: agent.py worker --redis URL")
        elif read == 0 and all_reported(client, phase):
            break
        if read == 0:
            time.sleep(poll_s)


def observed_at(client: redis.Redis, phase: Phase) -> datetime:
    """When the phase's observations count as made: its first start, also for a coordinator resuming it, so a
    keyword's ranking read partly before a restart and partly after is still one ranking."""
    client.set(phase.key("observed_at"), utc_now().isoformat(), nx=True)
    return datetime.fromisoformat(client.get(phase.key("observed_at")).decode())


def seed(client: redis.Redis, phase: Phase, spec: PhaseSpec) -> int:
    """Put the phase's start requests in its queue, through its duplicate filter, as the workers' scheduler would:
    the spider's own `start()`, so the plan is read in one place."""
    spider = SPIDERS[spec.spider](config=spec.config, **spec.kwargs)
    queue = PriorityQueue(client, spider, phase.key("requests"))
    seen = RFPDupeFilter(client, phase.key("dupefilter"))

    async def requests() -> list:
        return [request async for request in spider.start()]

    return sum(queue_unseen(client, seen, queue, request) for request in asyncio.run(requests()))


def ingest(client: redis.Redis, store: st.Store, writer: StoreWriter, phase: Phase, progress: PhaseProgress,
           on_event: Callable[[dict[str, Any]], None] | None) -> int:
    """Store one batch of stream entries in one transaction, then mark their keys ingested and acknowledge them.
    Entries read before a restart and never acknowledged come first. Returns how many entries were read."""
    stream = cycle_key(phase.cycle, "items")
    entries = read_entries(client, stream)
    if not entries:
        return 0
    ingested = cycle_key(phase.cycle, "ingested")
    keys = [fields[b"key"] for _, fields in entries if fields[b"kind"] == b"item"]
    already = {key for key, seen in zip(keys, client.smismember(ingested, keys)) if seen} if keys else set()
    stored = []
    with store.transaction():
        for entry_id, fields in entries:
            if fields[b"phase"].decode() != phase.id:
                log.warning("stream entry %s of phase %s read in phase %s: skipped", entry_id,
                            fields[b"phase"].decode(), phase.id)
                continue
            if fields[b"kind"] == b"stats":
                progress.stats[fields[b"worker"].decode()] = pickle.loads(fields[b"data"])
                continue
            key = fields[b"key"]
            if key in already:
                progress.duplicates += 1
                continue
            already.add(key)
            item = pickle.loads(fields[b"data"])
            stored.append(key)  # a refused item is refused again if sent again: done with either way
            try:
                writer.write(item)
            except DropItem as refused:
                log.warning("%s", refused)
                continue
            progress.stored += 1
            if on_event is not None:
                on_event(item_event(item))
    with client.pipeline() as pipe:  # after the commit: an entry is acknowledged only once it is stored
        if stored:
            pipe.sadd(ingested, *stored)
        pipe.xack(stream, STREAM_GROUP, *[entry_id for entry_id, _ in entries])
        pipe.execute()
    return len(entries)


def read_entries(client: redis.Redis, stream: str) -> list[tuple[bytes, dict[bytes, bytes]]]:
    for start in ("0", ">"):  # "0": this consumer's entries read but not acknowledged (a restart); ">": new ones
        answer = client.xreadgroup(STREAM_GROUP, CONSUMER, {stream: start}, count=BATCH_ENTRIES,
                                   block=None if start == "0" else READ_BLOCK_MS)
        entries = answer[0][1] if answer else []
        if entries:
            return entries
    return []


def live_workers(client: redis.Redis) -> list[str]:
    prefix = worker_key("")
    return [key.decode()[len(prefix):] for key in client.scan_iter(match=f"{prefix}*")]


def all_reported(client: redis.Redis, phase: Phase) -> bool:
    """Whether every worker that joined the phase has sent its stats, or died (its stats are lost with it)."""
    joined = {raw.decode() for raw in client.smembers(phase.key("joined"))}
    finished = {raw.decode() for raw in client.smembers(phase.key("finished"))}
    alive = set(live_workers(client))
    return all(worker in finished or worker not in alive for worker in joined)


def summed(stats: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Workers' Scrapy stats as one crawl's: counts added up, maxima (most pages open at once) the largest; other
    values (a streak, a time) from any worker."""
    def count(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    total: dict[str, Any] = {}
    for one in stats:
        for name, value in one.items():
            if not (count(value) and count(total.get(name))):
                total.setdefault(name, value)
            elif "max" in name.rsplit("/", 1)[-1]:
                total[name] = max(total[name], value)
            else:
                total[name] += value
    return total


def finish_cycle(client: redis.Redis, cycle: str) -> None:
    """Forget the cycle as unfinished and let its keys expire (a week later, for a look with redis-cli)."""
    client.delete(UNFINISHED_CYCLE)
    for key in client.scan_iter(match=cycle_key(cycle, "*")):
        client.expire(key, CYCLE_KEYS_TTL_S)
