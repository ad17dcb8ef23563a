"""The scheduled daemon: the pipeline's jobs on config.toml's [schedule], one daemon per database.

- `schedule`: when each job runs (intervals with jitter, the digest at a local time) and when it runs next.
- `plans`: what each crawl job crawls.
- `jobs`: one run of a job: crawl, analyse, monitor, deliver, recorded as a job run in the store.
- `lock`: the lock file next to the store that keeps a second daemon off the same database.
- `busy`: waiting out a database another process holds locked, within a bounded time.
- `service`: the daemon itself: lock, recovery, signals, the scheduler, `--once`.
- `logs`: logging to stderr and a rotating file.
- `status`: what `agent.py status` shows.
"""
