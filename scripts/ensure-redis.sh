#!/bin/sh
# Make sure a redis-server exists for the scale-out crawl (agent.py worker, scan --redis) and its tests.
# Order: a redis-server already on PATH; Debian's package when we are root; otherwise say what to install.
# The package's own service is not needed: the tests start private instances, deployments run their own.
set -u

if ! command -v redis-server >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-redis: no redis-server yet; installing Debian's redis-server package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q redis-server >/dev/null 2>&1 || \
        { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q redis-server >/dev/null; }
fi
if ! command -v redis-server >/dev/null 2>&1; then
    echo "ensure-redis: could not install redis-server. Install it yourself: 'sudo apt-get install redis-server'" >&2
    echo "(any Redis >= 6.2 works; only scan --redis, agent.py worker and their tests need it)." >&2
    exit 1
fi
redis-server --version
