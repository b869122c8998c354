"""The mirror's HTTP/1.1 server: pages from :func:`tests.mirror.pages.render`, faults on top.

A bare :class:`asyncio.Protocol`, no framework, because faults such as ``drop`` and ``truncate``
need byte-level control of the connection, and because it must be fast (see
``benchmarks/mirror_load.py``). It speaks enough HTTP/1.1 for crawlers and tests: GET and HEAD
(405 otherwise), keep-alive unless ``Connection: close`` (or HTTP/1.0 without keep-alive),
pipelined requests answered in order, ``Content-Length``, ``Date`` and ``Server: mirror`` on every
response, 400 and a closed connection for a malformed request.

It counts requests in total, by target (path and query) and by ``Host`` header, and serves the
counts as JSON at ``/__mirror__/stats``, a path that is never faulted nor counted.

The clock: ``--published K`` serves only the first ``K`` articles in publication order (see
``tests.mirror.model``); ``/__mirror__/clock?published=K`` moves it (forward or back) while the
server runs, and ``/__mirror__/clock`` reports it, as ``{"published": K, "articles": N}``. Like
the stats, these are never faulted nor counted. With
``--access-log FILE`` it also writes ``METHOD target status bytes`` per request, flushed at once
so a test can read it while the server runs (status ``-`` for a dropped connection, bytes as
body bytes sent).

Editions: ``--editions en,es,ar,zh,ja`` serves several editions (``tests.mirror.editions``) at
once, each a whole site with its own articles, feeds, sitemaps, robots.txt, lists and archive
(``--articles``, ``--archive``, ``--published``, ``--js-shells`` and ``--faults`` apply to each).
The request's ``Host`` header (port stripped, any case) chooses the edition: its current host,
``www.`` + it, or a former host of a served edition serve that edition; a host no edition has
(``127.0.0.1:PORT``, what a crawler sends to an origin without a ``Host`` override) gets the
first edition in ``--editions``, so one edition is served as before editions existed; a host of
an edition that exists but is not served gets a 404. The clock moves only a single-edition mirror.

Run as ``python -u -m tests.mirror serve --port 0``: it prints its base URL as its first stdout
line once it is listening, logs to stderr and exits on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import signal
import sys
import time
from collections import Counter, deque
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, TextIO
from urllib.parse import parse_qs, urlsplit

from tests.mirror import editions, faults, pages, render_js
from tests.mirror.faults import Action, Faults
from tests.mirror.model import Site
from tests.mirror.pages import Page
from tests.mirror.sites import Editions

if TYPE_CHECKING:
    from collections.abc import Sequence

log = logging.getLogger(__name__)

STATS_PATH = "/__mirror__/stats"
CLOCK_PATH = "/__mirror__/clock"
DEFAULT_ARTICLES = 2000
MAX_HEAD_BYTES = 64 * 1024
MAX_QUEUED_REQUESTS = 64  # pipelined requests waiting; more and we stop reading
ALLOWED_METHODS = ("GET", "HEAD")
REASONS = {status.value: status.phrase for status in HTTPStatus}


class Request:
    """One parsed request head; ``bad`` holds why it could not be parsed (then answer 400)."""

    __slots__ = ("bad", "host", "keep_alive", "method", "target")

    def __init__(
        self, method: str, target: str, host: str, keep_alive: bool, bad: str = ""
    ) -> None:
        self.method = method
        self.target = target
        self.host = host
        self.keep_alive = keep_alive
        self.bad = bad

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]


def parse_head(head: bytes) -> tuple[Request, int]:
    """The request in ``head`` (without its blank line) and the length of the body it announces."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
        return Request("", "", "", False, f"bad request line {lines[0][:200]!r}"), 0
    method, target, version = parts
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            return Request(method, target, "", False, f"bad header line {line[:200]!r}"), 0
        fields[name.lower()] = value.strip()
    target = _origin_form(target)
    if not target.startswith("/"):
        return Request(method, target, "", False, f"bad target {target[:200]!r}"), 0
    if "transfer-encoding" in fields:
        return Request(method, target, "", False, "request bodies must have Content-Length"), 0
    length = fields.get("content-length", "0")
    if not length.isdigit():
        return Request(method, target, "", False, f"bad Content-Length {length!r}"), 0
    tokens = {t.strip().lower() for t in fields.get("connection", "").split(",")}
    keep_alive = "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens
    return Request(method, target, fields.get("host", ""), keep_alive), int(length)


def _origin_form(target: str) -> str:
    """``/path?q`` from an absolute-form target (``http://host/path?q``), as proxies send."""
    if target.startswith(("http://", "https://")):
        rest = target.split("://", 1)[1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"
    return target


_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The ``Date`` header value, formatted once per second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def response_head(page: Page, length: int, keep_alive: bool) -> bytes:
    lines = [
        f"HTTP/1.1 {page.status} {REASONS.get(page.status, 'Unknown')}",
        f"Date: {http_date()}",
        "Server: mirror",
        f"Content-Type: {page.content_type}",
        f"Content-Length: {length}",
    ]
    lines += [f"{name}: {value}" for name, value in page.headers]
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Mirror:
    """Server-wide state: the editions (or one site), the faults, the counters, the access log."""

    def __init__(
        self,
        site: Site | Editions,
        faults: Faults,
        access_log: TextIO | None = None,
        js: render_js.Options | None = None,
    ) -> None:
        self.editions = site if isinstance(site, Editions) else None
        self.site = site.first if isinstance(site, Editions) else site
        # Render caches are keyed by id(site): keep every site served alive, so no id is reused.
        self.sites = [self.site]
        self.faults = faults
        self.js = js
        self.access_log = access_log
        self.requests = 0
        self.paths: Counter[str] = Counter()
        self.hosts: Counter[str] = Counter()
        self.connections: set[Connection] = set()

    def connection(self) -> Connection:
        return Connection(self)

    def count(self, request: Request) -> None:
        self.requests += 1
        self.paths[request.target] += 1
        self.hosts[request.host] += 1

    def stats_page(self) -> Page:
        stats = {"requests": self.requests, "paths": self.paths, "hosts": self.hosts}
        return Page(200, json.dumps(stats).encode(), "application/json")

    def clock_page(self, target: str) -> Page:
        """Report the clock, or move it with ``?published=K``; 400 for a bad ``K``."""
        values = parse_qs(urlsplit(target).query).get("published")
        if values and self.editions is not None and len(self.editions.codes) > 1:
            return Page(400, b"the clock moves only a single-edition mirror\n", "text/plain")
        if values:
            try:
                site = self.site.advanced_to(int(values[0]))
            except ValueError as exc:
                return Page(400, f"{exc}\n".encode(), "text/plain; charset=utf-8")
            if site.published != self.site.published:
                log.info("clock: %d of %d articles out", site.published, site.total)
                self.site = site
                self.sites.append(site)
                if self.editions is not None:
                    self.editions.sites[site.edition.code] = site
        clock = {"published": self.site.published, "articles": self.site.total}
        return Page(200, json.dumps(clock).encode(), "application/json")

    def site_for(self, host: str) -> Site | None:
        """The site a ``Host`` header asks for (see the module docstring); ``None``: a known
        edition that is not served."""
        edition = editions.by_host(host) if host else None
        if edition is None or self.editions is None:
            return self.site if edition is None or edition.code == self.site.edition.code else None
        return self.editions.sites.get(edition.code)

    def render(self, target: str, host: str = "") -> Page:
        try:
            site = self.site_for(host)
            if site is None:
                return faults.error_page(404)
            return pages.render(site, target, self.js)
        except Exception:
            # A broken page must not take the server down; the test sees a 500.
            log.exception("rendering %s failed", target)
            return faults.error_page(500)

    def log_access(self, request: Request, status: str, sent: int) -> None:
        if self.access_log is not None:
            self.access_log.write(f"{request.method} {request.target} {status} {sent}\n")
            self.access_log.flush()


class Connection(asyncio.Protocol):
    """One client connection: parses requests as they arrive and answers them in order."""

    def __init__(self, mirror: Mirror) -> None:
        self.mirror = mirror
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.queue: deque[Request] = deque()
        self.body_left = 0  # bytes of a request body still to skip
        self.busy = False  # a slow response is pending; later ones wait for it
        self.paused = False  # the client is not reading; stop writing
        self.reading = True
        self.closing = False
        self.lost_framing = False  # after a bad request: ignore whatever else arrives
        self.timer: asyncio.TimerHandle | None = None

    # -- asyncio callbacks ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.mirror.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.queue.clear()
        if self.timer is not None:
            self.timer.cancel()
        self.mirror.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.closing or self.lost_framing:
            return
        self.buffer += data
        self._parse()
        self._process()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._process()

    def close(self) -> None:
        """Close after what is already written (used on shutdown)."""
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    # -- requests ---------------------------------------------------------------------------

    def _parse(self) -> None:
        while self.buffer:
            if self.body_left:
                skipped = min(self.body_left, len(self.buffer))
                del self.buffer[:skipped]
                self.body_left -= skipped
                continue
            while self.buffer.startswith(b"\r\n"):  # stray CRLFs between requests are allowed
                del self.buffer[:2]
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES:
                    self.queue.append(Request("", "", "", False, "request head too large"))
                    self.lost_framing = True
                    self.buffer.clear()
                break
            request, self.body_left = parse_head(bytes(self.buffer[:end]))
            del self.buffer[: end + 4]
            self.queue.append(request)
            if request.bad:
                self.lost_framing = True  # nothing after it can be trusted
                self.buffer.clear()
                break
        if len(self.queue) > MAX_QUEUED_REQUESTS and self.reading and self.transport:
            self.transport.pause_reading()
            self.reading = False

    def _process(self) -> None:
        while self.queue and not (self.busy or self.paused or self.closing):
            self._handle(self.queue.popleft())
        if not self.reading and len(self.queue) < MAX_QUEUED_REQUESTS // 2 and not self.closing:
            assert self.transport is not None
            self.transport.resume_reading()
            self.reading = True

    def _handle(self, request: Request) -> None:
        mirror = self.mirror
        if request.bad:
            log.info("400: %s", request.bad)
            self._send(request, faults.error_page(400), keep_alive=False)
            return
        if request.method not in ALLOWED_METHODS:
            mirror.count(request)
            page = faults.error_page(405, (("Allow", ", ".join(ALLOWED_METHODS)),))
            self._send(request, page)
            return
        if request.path == STATS_PATH:
            self._send(request, mirror.stats_page(), log_it=False)
            return
        if request.path == CLOCK_PATH:
            self._send(request, mirror.clock_page(request.target), log_it=False)
            return
        mirror.count(request)
        action = mirror.faults.decide(request.target, request.host) if mirror.faults else None
        if action is None:
            self._send(request, mirror.render(request.target, request.host))
            return
        self._fault(request, action)

    def _fault(self, request: Request, action: Action) -> None:
        page = self.mirror.render(request.target, request.host) if action.needs_page else None
        if action.kind == "drop":
            self.mirror.log_access(request, "-", 0)
            self._close()
        elif action.kind == "slow":
            assert page is not None
            self.busy = True
            loop = asyncio.get_running_loop()
            self.timer = loop.call_later(float(action.value), self._send_late, request, page)
        elif action.kind == "truncate":
            assert page is not None
            self._send(request, page, keep_alive=False, limit=len(page.body) // 2)
        else:
            self._send(request, faults.respond(action, page))

    def _send_late(self, request: Request, page: Page) -> None:
        self.busy = False
        self.timer = None
        if not self.closing:
            self._send(request, page)
            self._process()

    def _send(
        self,
        request: Request,
        page: Page,
        *,
        keep_alive: bool | None = None,
        limit: int | None = None,
        log_it: bool = True,
    ) -> None:
        """Write ``page``; ``limit`` cuts the body short (the head still has its full length)."""
        assert self.transport is not None
        keep = request.keep_alive if keep_alive is None else keep_alive
        head = response_head(page, len(page.body), keep)
        body = b"" if request.method == "HEAD" else page.body[:limit]
        self.transport.write(head)
        if body:
            self.transport.write(body)  # not head + body: that copies a large page once more
        if log_it:
            self.mirror.log_access(request, str(page.status), len(body))
        if not keep:
            self._close()

    def _close(self) -> None:
        self.closing = True
        self.queue.clear()
        assert self.transport is not None
        self.transport.close()  # after pending writes, so earlier pipelined answers still go out


# -- command line -------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``serve`` options, shared with ``python -m tests.mirror serve``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port, 0 for a free one (%(default)s)")
    parser.add_argument(
        "--articles", type=int, default=DEFAULT_ARTICLES, help="articles in the site (%(default)s)"
    )
    parser.add_argument("--seed", type=int, default=1, help="site seed (%(default)s)")
    parser.add_argument(
        "--editions",
        type=_editions,
        default=("en",),
        metavar="CODES",
        help="editions to serve, chosen by the Host header, e.g. en,es,ar,zh,ja (en); known: "
        + ",".join(editions.EDITIONS),
    )
    parser.add_argument(
        "--archive",
        type=int,
        default=0,
        metavar="M",
        help="also serve M articles of 2019-2020, most in the earlier template (%(default)s)",
    )
    parser.add_argument(
        "--published",
        type=int,
        metavar="K",
        help="serve only the first K articles in publication order (default: all); "
        f"move the clock with {CLOCK_PATH}?published=K",
    )
    parser.add_argument(
        "--faults",
        type=_fault_spec,
        default="",
        metavar="SPEC",
        help="faults to inject, e.g. 'status=404@/20240101/*;slow=0.5%%10' "
        "(grammar: tests/mirror/faults.py)",
    )
    parser.add_argument(
        "--access-log", metavar="FILE", help="write 'METHOD target status bytes' per request"
    )
    parser.add_argument(
        "--js-shells",
        type=_percent,
        default=0,
        metavar="PERCENT",
        help="serve this share of articles script-built, complete only in a browser "
        "(%(default)s; see tests/mirror/render_js.py)",
    )
    parser.add_argument(
        "--js-lists",
        action="store_true",
        help="section and tag lists load more items only by script",
    )


def _percent(value: str) -> int:
    if not value.isdigit() or int(value) > 100:
        raise argparse.ArgumentTypeError(f"must be a whole percentage, 0-100, got {value!r}")
    return int(value)


def _editions(value: str) -> tuple[str, ...]:
    try:
        return editions.parse_codes(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fault_spec(spec: str) -> str:
    try:
        faults.parse(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return spec


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mirror serve", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT; the base URL is the first line on stdout."""
    total = args.articles + args.archive
    if args.published is not None and not 1 <= args.published <= total:
        raise SystemExit(
            f"--published must be between 1 and --articles + --archive ({total}),"
            f" got {args.published}"
        )
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s mirror %(levelname)s %(message)s"
    )
    access_log = open(args.access_log, "a", encoding="utf-8") if args.access_log else None  # noqa: SIM115
    try:
        asyncio.run(_serve(args, access_log))
    finally:
        if access_log is not None:
            access_log.close()
    return 0


async def _serve(args: argparse.Namespace, access_log: TextIO | None) -> None:
    started = time.perf_counter()
    served = Editions(args.editions, args.articles, args.seed, args.published, args.archive)
    site = served.first
    js = render_js.Options(args.js_shells, args.js_lists)
    mirror = Mirror(served, Faults.from_spec(args.faults), access_log, js)
    # The model's objects live until exit: keep them out of every garbage collection.
    gc.freeze()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(mirror.connection, args.host, args.port)
    host, port = server.sockets[0].getsockname()[:2]
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    print(url, flush=True)
    log.info(
        "serving %s: %d of %d articles each (seed %d, %d archive) at %s after %.1fs;"
        " faults: %s; js: %d%% shells%s",
        ",".join(served.codes),
        len(site),
        site.total,
        args.seed,
        args.archive,
        url,
        time.perf_counter() - started,
        args.faults or "none",
        js.shells,
        ", lists" if js.lists else "",
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.info("stopping after %d requests", mirror.requests)
    server.close()
    for connection in list(mirror.connections):
        connection.close()
    await server.wait_closed()


if __name__ == "__main__":
    sys.exit(main())
