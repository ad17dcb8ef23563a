"""scrapy-redis's scheduler and priority queue, with every request a worker takes leased until it is finished.

A request popped from the shared queue moves, in the same Redis script, into the worker's lease hash. It stays
there while Scrapy works on it (downloading, retrying, running its callback, which pushes the requests it yields
to the queue first), and is released once it has left the engine. A worker that dies keeps its leases; when its
heartbeat expires, `reclaim_dead` puts them back in the queue. So the queue being empty with no lease held means
the phase has nothing left to crawl, and no page is lost with a killed worker.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable

import redis
from scrapy import Request
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawlers.fleet.protocol import Phase, worker_key

RETRY_NOT_BEFORE = "retry_not_before"  # crawlers.middlewares.BackoffRetryMiddleware's, on time.monotonic()
# The browser tab of an attempt being retried: it cannot travel, and must not outlive the attempt.
PER_DOWNLOAD_META = ("playwright_page",)
RELEASE_S = 0.5

# Pop the best request (lowest score, as scrapy-redis's PriorityQueue) and lease it, atomically: a worker killed
# between the two would otherwise lose it.
POP_AND_LEASE = """
local popped = redis.call('ZRANGE', KEYS[1], 0, 0)
if popped[1] == nil then return nil end
redis.call('ZREM', KEYS[1], popped[1])
redis.call('HSET', KEYS[2], ARGV[1], popped[1])
redis.call('SADD', KEYS[3], ARGV[2])
return popped[1]
"""


# Mark a request seen and queue it in one step: a worker killed between the two would leave a request seen but
# never queued, and its parent, crawled again, would find it a duplicate: a page lost. An empty fingerprint is a
# request not to filter (dont_filter: a retry).
SEE_AND_QUEUE = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


def queue_unseen(client: redis.Redis, seen: RFPDupeFilter, queue: PriorityQueue, request: Request) -> bool:
    """Queue `request` unless the duplicate filter has seen it; whether it was queued."""
    fingerprint = "" if request.dont_filter else seen.request_fingerprint(request)
    return bool(client.register_script(SEE_AND_QUEUE)(
        keys=[seen.key, queue.key], args=[fingerprint, -request.priority, queue._encode_request(request)]))


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue (sorted set), leasing what it pops to this worker (setting FLEET_WORKER) in
    the phase (FLEET_PHASE)."""

    def __init__(self, server: redis.Redis, spider, key: str, serializer=None) -> None:
        super().__init__(server, spider, key, serializer)
        self.worker: str = spider.settings["FLEET_WORKER"]
        self.phase = Phase.parse(spider.settings["FLEET_PHASE"])
        self.leases_key = self.phase.leases(self.worker)
        self.leased: dict[Request, str] = {}  # requests are hashed by identity: the very objects Scrapy holds
        self.fields = itertools.count()
        self.pop_and_lease = server.register_script(POP_AND_LEASE)

    def _encode_request(self, request: Request) -> bytes:
        meta = {k: v for k, v in request.meta.items() if k not in PER_DOWNLOAD_META}
        if RETRY_NOT_BEFORE in meta:  # the monotonic clock is this machine's; another worker may take the retry
            meta[RETRY_NOT_BEFORE] = time.time() + meta[RETRY_NOT_BEFORE] - time.monotonic()
        return super()._encode_request(request.replace(meta=meta))

    def _decode_request(self, encoded_request: bytes) -> Request:
        request = super()._decode_request(encoded_request)
        if RETRY_NOT_BEFORE in request.meta:
            request.meta[RETRY_NOT_BEFORE] = time.monotonic() + request.meta[RETRY_NOT_BEFORE] - time.time()
        return request

    def pop(self, timeout: int = 0) -> Request | None:
        field = str(next(self.fields))
        data = self.pop_and_lease(keys=[self.key, self.leases_key, self.phase.key("holders")],
                                  args=[field, self.worker])
        if data is None:
            return None
        request = self._decode_request(data)
        self.leased[request] = field
        return request

    def release(self, finished: Iterable[Request]) -> int:
        fields = [self.leased.pop(request) for request in finished]
        if fields:
            self.server.hdel(self.leases_key, *fields)
        return len(fields)


class LeasingScheduler(Scheduler):
    """scrapy-redis's scheduler (SCHEDULER_PERSIST: the queue outlives any one worker) whose queue is a
    LeasedQueue, releasing leases of the requests the engine has finished with."""

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        if not queue_unseen(self.server, self.df, self.queue, request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        return True

    def open(self, spider) -> None:
        super().open(spider)
        from twisted.internet import task  # the reactor Scrapy installed

        self.releasing = task.LoopingCall(self.release_finished)
        self.releasing.start(RELEASE_S, now=False)

    def close(self, reason: str) -> None:
        if self.releasing.running:
            self.releasing.stop()
        self.release_finished()
        super().close(reason)

    def release_finished(self) -> None:
        """Release the leases of requests no longer in the engine. The engine's set of requests in progress is the
        only place that knows: a request stays in it from the scheduler to the end of its callback's output (or
        until a retry or redirect that replaces it has been scheduled), and Scrapy has no signal for that end."""
        slot = self.crawler.engine._slot
        in_progress = slot.inprogress if slot is not None else set()
        self.queue.release([request for request in self.queue.leased if request not in in_progress])


def reclaim_dead(client: redis.Redis, phase: Phase) -> int:
    """Put the leases of every worker of the phase whose heartbeat has expired back in the queue; return how many.
    Run by the coordinator (and safe to run from anywhere: each dead worker's hash is moved in one transaction)."""
    moved = 0
    for raw in client.smembers(phase.key("holders")):
        worker = raw.decode()
        if client.exists(worker_key(worker)):
            continue
        moved += requeue_leases(client, phase, worker)
    return moved


def requeue_leases(client: redis.Redis, phase: Phase, worker: str) -> int:
    leases = phase.leases(worker)
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(leases)
                held = list(pipe.hvals(leases))
                pipe.multi()
                for data in held:
                    # the score scrapy-redis's PriorityQueue gives it
                    pipe.zadd(phase.key("requests"), {data: -picklecompat.loads(data)["priority"]})
                pipe.delete(leases)
                pipe.srem(phase.key("holders"), worker)
                pipe.execute()
                return len(held)
            except redis.WatchError:
                continue
