"""The control site: the demo marketplace's own admin API, kept off the shops' hosts so crawlers never see it.

GET  /                 what runs where (JSON)
GET  /ground-truth     the world as it is at the current step, with product URLs: what a crawler should extract
GET  /admin/clock      the scenario step and its time;  POST {"step": N} or {"advance": N} to move it
GET  /admin/faults     active fault rules;  POST a rule (see demo_market.faults.FaultRule);  DELETE to clear all
POST /admin/reset      step 0, no faults
"""

from __future__ import annotations

import json
from typing import Any, Callable

from aiohttp import web

from demo_market.clock import ScenarioClock
from demo_market.faults import FaultBook, FaultError, FaultRule

GroundTruth = Callable[[], dict[str, Any]]

CLOCK = web.AppKey("clock", ScenarioClock)
FAULTS = web.AppKey("faults", FaultBook)
TRUTH = web.AppKey("truth", object)
SITES = web.AppKey("sites", dict)


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except json.JSONDecodeError as exc:
        raise web.HTTPBadRequest(text=f"request body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="request body must be a JSON object")
    return body


def clock_json(request: web.Request) -> web.Response:
    clock = request.app[CLOCK]
    truth = request.app[TRUTH]()
    return web.json_response({"step": clock.step, "clock": truth["clock"]})


async def index(request: web.Request) -> web.Response:
    return web.json_response({"sites": request.app[SITES], "step": request.app[CLOCK].step,
                              "ground_truth": str(request.url.with_path("/ground-truth").with_query(None))})


async def ground_truth(request: web.Request) -> web.Response:
    return web.json_response(request.app[TRUTH](), dumps=lambda data: json.dumps(data, ensure_ascii=False))


async def get_clock(request: web.Request) -> web.Response:
    return clock_json(request)


async def set_clock(request: web.Request) -> web.Response:
    body = await json_body(request)
    clock = request.app[CLOCK]
    try:
        if "step" in body:
            clock.set(int(body["step"]))
        else:
            clock.advance(int(body.get("advance", 1)))
    except (TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return clock_json(request)


async def list_faults(request: web.Request) -> web.Response:
    return web.json_response([rule.to_dict() for rule in request.app[FAULTS].rules()])


async def add_fault(request: web.Request) -> web.Response:
    try:
        rule = request.app[FAULTS].add(FaultRule.from_dict(await json_body(request)))
    except FaultError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return web.json_response(rule.to_dict(), status=201)


async def clear_faults(request: web.Request) -> web.Response:
    request.app[FAULTS].clear()
    return web.json_response([])


async def reset(request: web.Request) -> web.Response:
    request.app[FAULTS].clear()
    request.app[CLOCK].set(0)
    return clock_json(request)


def build(clock: ScenarioClock, faults: FaultBook, truth: GroundTruth, sites: dict[str, str]) -> web.Application:
    app = web.Application()
    app[CLOCK], app[FAULTS], app[TRUTH], app[SITES] = clock, faults, truth, sites
    app.add_routes([
        web.get("/", index),
        web.get("/ground-truth", ground_truth),
        web.get("/admin/clock", get_clock),
        web.post("/admin/clock", set_clock),
        web.get("/admin/faults", list_faults),
        web.post("/admin/faults", add_fault),
        web.delete("/admin/faults", clear_faults),
        web.post("/admin/reset", reset),
    ])
    return app
