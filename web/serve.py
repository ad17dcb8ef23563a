"""Serving the console with uvicorn (`agent.py serve`)."""

from __future__ import annotations

from config import Config
from web.app import create_app


def serve(config: Config, *, host: str, port: int) -> None:
    """Serve until interrupted. The signing key is read first: a missing one stops here with a ConfigError."""
    import uvicorn

    app = create_app(config, secret=config.web.secret())
    # proxy_headers: a reverse proxy on this machine (127.0.0.1) passes the client's address and scheme in
    # X-Forwarded-For / -Proto; the sign-in throttle counts per client address, not per proxy.
    uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                server_header=False, log_level="info")
