"""A small hostile HTTP server for the hardening tests: it serves whatever a test routes to it.

The mirror models the real site; this server plays an attacker or a broken site: redirects off
the site, gzip bombs, absurd nesting, pages that make a browser call other hosts. It runs in a
thread of the test process (the crawl under test is a subprocess), listens on loopback port 0,
and records every request it gets, so a test can say "this host got zero requests"; by ``Host``
header, how many it was answering at once (``max_in_flight``), and the order it answered them.

    with HostileServer() as site, HostileServer() as other:
        site.route("/20240410/x-1117838001.html", Reply(301, {"Location": other.url + "/a"}))
        ...
        assert other.requests == []
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Reply:
    """A canned response: status, headers and a body (bytes, or chunks sent one by one)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    content_length: bool = True  # False: no Content-Length, the connection is closed at the end


Route = Reply | Callable[["SeenRequest"], Reply]


@dataclass(frozen=True)
class SeenRequest:
    """One request the server received."""

    method: str
    target: str  # path and query, as sent
    host: str  # the Host header
    headers: dict[str, str]
    body: bytes = b""  # the request body (a POST's), as received

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


class HostileServer:
    """A loopback HTTP server answering routed paths (exact path, query ignored); else 404."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[SeenRequest] = []
        self.answered: list[SeenRequest] = []  # in the order their replies were sent
        self.in_flight: Counter[str] = Counter()  # by Host: requests being answered now
        self.max_in_flight: Counter[str] = Counter()  # by Host: the most at once so far
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def route(self, path: str, reply: Route) -> None:
        """Answer ``path`` with ``reply``: a ``Reply``, or a function of the request giving one.
        ``*`` answers every path no other route does (a proxy, a whole broken site)."""
        self.routes[path] = reply

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        with self._lock:
            return [r.path for r in self.requests]

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the request list is the log

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = SeenRequest(
                    self.command, self.path, self.headers.get("Host", ""), dict(self.headers), body
                )
                with server._lock:
                    server.requests.append(seen)
                    server.in_flight[seen.host] += 1
                    server.max_in_flight[seen.host] = max(
                        server.max_in_flight[seen.host], server.in_flight[seen.host]
                    )
                try:
                    route = server.routes.get(seen.path, server.routes.get("*"))
                    if route is None:
                        reply = Reply(404, {"Content-Type": "text/plain"}, b"not found")
                    else:
                        reply = route if isinstance(route, Reply) else route(seen)
                    self._send(reply)
                finally:
                    with server._lock:
                        server.in_flight[seen.host] -= 1
                        server.answered.append(seen)

            def _send(self, reply: Reply) -> None:
                body = reply.body
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(body, bytes) and reply.content_length:
                    self.send_header("Content-Length", str(len(body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command == "HEAD":
                    return
                try:
                    for chunk in [body] if isinstance(body, bytes) else body:
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a size limit): that is the point

            do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = _serve

        return Handler
