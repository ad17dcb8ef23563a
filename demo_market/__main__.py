"""`python -m demo_market`: run the demo marketplace in the foreground until Ctrl-C or SIGTERM.

With --ready-json it prints one JSON line `{"sites": {...}, "ground_truth": ...}` once every site listens, which
is how tests, benchmarks and the agent's launcher learn the free ports it picked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from demo_market.faults import FaultError
from demo_market.server import Marketplace, serve_until_stopped


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demo_market", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026, help="data generation seed (default 2026)")
    parser.add_argument("--scale", type=float, default=1.0, help="marketplace size multiplier (default 1.0)")
    parser.add_argument("--step", type=int, default=0, help="scenario clock step to start at (default 0)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0,
                        help="control site port; shops take the next three (default 0: free ports)")
    parser.add_argument("--faults", help="JSON file with a list of fault rules to start with")
    parser.add_argument("--ground-truth", help="keep the current ground truth written to this JSON file")
    parser.add_argument("--ready-json", action="store_true", help="print one JSON line when listening")
    return parser.parse_args(argv)


def load_faults(path: str | None) -> list[dict]:
    if not path:
        return []
    with open(path, encoding="utf-8") as handle:
        rules = json.load(handle)
    if not isinstance(rules, list):
        raise FaultError(f"{path}: expected a JSON list of fault rules")
    return rules


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def ready(urls: dict[str, str]) -> None:
        if args.ready_json:
            print(json.dumps({"sites": urls, "ground_truth": urls["control"] + "/ground-truth"}), flush=True)
        else:
            for name, url in urls.items():
                print(f"{name:>10}  {url}", flush=True)

    try:
        market = Marketplace(seed=args.seed, scale=args.scale, step=args.step, host=args.host, port=args.port,
                             faults=load_faults(args.faults), ground_truth_file=args.ground_truth)
        asyncio.run(serve_until_stopped(market, ready))
    except (OSError, ValueError) as exc:  # FaultError and JSON errors are ValueErrors
        print(f"demo marketplace: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
