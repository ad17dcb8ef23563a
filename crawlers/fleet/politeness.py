"""Politeness across workers: AutoThrottle and download delays are per process, so N workers would ask a site N
times as often as one. Here each platform with `max_rps` has one token bucket in Redis that every worker draws
from before each request, and a Retry-After that any worker receives pauses the platform for all of them.

The bucket runs on Redis's own clock (TIME inside the script), so workers on machines whose clocks disagree still
share one rate. Redis calls are made with redis.asyncio, never blocking the reactor.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from config import Config
from crawlers.fleet.protocol import PREFIX
from crawlers.middlewares import CONFIG_KEY, MAX_RETRY_AFTER_S, retry_after_seconds

logger = logging.getLogger(__name__)

BURST = 1.0  # tokens a bucket holds: no burst above the rate, as one crawler with a download delay would send

# Take one token, or say how many milliseconds until one can be had (or until the platform's pause ends).
# KEYS: the bucket, the pause; ARGV: rate per second (0: no limit, only pauses), burst.
TAKE = """
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local paused_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused_until > now then return paused_until - now end
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
if rate == 0 then return 0 end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], 600000)
return wait
"""

# Pause the platform for ARGV[1] ms from now, unless it is already paused for longer.
PAUSE = """
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local until_ms = now + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then
    redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]) + 1000)
end
return until_ms
"""


def bucket_key(platform: str) -> str:
    return f"{PREFIX}:rate:{platform}"


def pause_key(platform: str) -> str:
    return f"{PREFIX}:pause:{platform}"


class SharedRate:
    """The fleet's shared pace for each platform with `max_rps`."""

    def __init__(self, client: aioredis.Redis, config: Config) -> None:
        self.client = client
        self.rates = {key: platform.max_rps for key, platform in config.platforms.items() if platform.max_rps}
        self.take = client.register_script(TAKE)
        self.pause_script = client.register_script(PAUSE)

    async def wait_turn(self, platform: str) -> float:
        """Wait until the platform may be asked again; returns the seconds waited."""
        waited = 0.0
        while True:
            wait_ms = await self.take(keys=[bucket_key(platform), pause_key(platform)],
                                      args=[self.rates.get(platform, 0), BURST])
            if wait_ms <= 0:
                return waited
            await asyncio.sleep(wait_ms / 1000)
            waited += wait_ms / 1000

    async def pause(self, platform: str, seconds: float) -> None:
        await self.pause_script(keys=[pause_key(platform)], args=[int(seconds * 1000)])


class SharedRateMiddleware:
    """A downloader middleware of workers: each request to a platform waits out the platform's fleet-wide pause and,
    with `max_rps`, for the fleet's token, after its own retry backoff (BackoffRetryMiddleware) and just before it
    is downloaded; a 429 or 503 with Retry-After pauses that platform for every worker."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.rate = SharedRate(aioredis.Redis.from_url(crawler.settings["REDIS_URL"]), crawler.settings[CONFIG_KEY])

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRateMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        platform = request.meta.get("platform")
        if platform is not None:
            waited = await self.rate.wait_turn(platform)
            self.crawler.stats.inc_value(f"fleet/rate_wait_s/{platform}", waited)
        return None

    async def process_response(self, request: Request, response: Response) -> Response:
        platform = request.meta.get("platform")
        if platform is not None and response.status in (429, 503):
            asked = retry_after_seconds(response)
            if asked is not None and asked <= MAX_RETRY_AFTER_S:
                await self.rate.pause(platform, asked)
                logger.info("%s asked to wait %.1f s: every worker pauses it", platform, asked)
        return response
