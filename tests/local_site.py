"""A tiny site on 127.0.0.1 for crawl tests that need pages the demo marketplace does not serve (local files in a
listing, search offsets, JSONP feeds): a handler subclass answers paths, `serve` runs it for one test."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class LocalSite(http.server.BaseHTTPRequestHandler):
    """`page(path)` gives a path's body (None: 404); `seen` lists every path asked, redirects included."""

    seen: list[str] = []

    def page(self, path: str) -> str | None:
        raise NotImplementedError

    def redirect(self, path: str) -> str | None:
        """Where `path` redirects to (302), or None."""
        return None

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        target = self.redirect(self.path)
        if target is not None:
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
            return
        body = "" if self.path == "/robots.txt" else self.page(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body.encode("utf-8"))

    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve(site: type[LocalSite]) -> Iterator[str]:
    """`site` served on a free 127.0.0.1 port, its `seen` emptied; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site.seen = []
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
