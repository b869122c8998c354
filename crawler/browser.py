"""The browser behind ``RENDER_JS`` (``crawler.render``): scrapy-playwright's download handler,
started only when a page needs it.

``PlaywrightHandler`` is ``scrapy_playwright``'s ``ScrapyPlaywrightDownloadHandler`` (settings
``PLAYWRIGHT_*``, see its documentation), with three differences, the third (staying on the site)
below:

- Nothing starts with the engine: Playwright and Chromium start at the first request with
  ``meta["playwright"]``, so a crawl that renders nothing pays nothing. Other requests go to
  Scrapy's HTTP handler, as with scrapy-playwright's own.
- When the browser cannot start (``PLAYWRIGHT_LAUNCH_OPTIONS["executable_path"]`` is not an
  executable file, or the launch fails), it logs why once, at ERROR, and fails that request and
  every later rendering request with ``BrowserUnavailable``, without trying again.

At the end of the crawl (and on Ctrl-C, when Scrapy closes the downloader) scrapy-playwright closes
the contexts, the browser and Playwright, in that order.

The browser stays on the site: it requests nothing outside the site's hosts (``crawler.urls``) and
``SITE_ORIGIN`` (its exact scheme, host and port), whatever a page asks for. Three layers:

- Every request a page makes (subresources, ``fetch()``/XHR, ``sendBeacon``, iframes, prefetches,
  navigations, popups, workers) goes through a route that aborts it by its URL
  (``crawler.urls.browser_may_request``) before the type filter (``abort_request``) is asked.
  Navigations are aborted as cancelled, so the page keeps what it has rendered.
- WebSockets, which routes do not see, are refused by ``route_web_socket``.
- What no route sees (the hops of a redirect, preconnects, service workers' fetches) meets
  Chromium's own proxy settings: every context's proxy is a closed loopback port (bound, never
  listening), bypassed only for the site's hosts and ``SITE_ORIGIN``, so any other connection
  fails inside Chromium. Service workers are blocked outright. A ``proxy`` the user sets in
  ``PLAYWRIGHT_CONTEXTS`` replaces this layer (with a warning); the other two stay.

Limits: a page that navigates off the site *while it is still loading* has its loading stopped
by Chromium when that navigation starts; its ``load`` event never comes, so the request fails after
``PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT`` (a ``download-error`` reject), still without any request
off the site. Preconnects reach no route and fire no request event: Chromium's proxy settings
apply to them as to any connection, but they are not counted.

A page whose own navigation (the request the crawler sent through the browser) is redirected off
the site fails with ``OffSiteRedirect``, as redirects outside the browser do
(``crawler.middlewares``): a ``redirect-off-site`` reject, counted in ``sputnik/redirect/off-site``.

Through ``SITE_ORIGIN`` the browser's requests carry the public host in ``Host``, as the crawl's
own do (``crawler.urls.fetch``). Chromium ignores a ``Host`` a route sets, so the browser is
started with ``--host-resolver-rules`` mapping every edition host of the table to the origin's
host and port (``crawler.urls.host_resolver_rules``), and a page to render is opened at its
public host with the origin's scheme (``http://sputnikglobe.com/...``,
``crawler.urls.browser_url``): the page, its relative subresources, ``fetch()``es and navigations
then name that host; a request a page makes to the origin's own URL is sent to the same path on
the page's host (``route.continue_(url=...)``). Limits: with an ``https`` origin the browser's
TLS names the public host (the origin needs a certificate for it); a page's absolute
``https://<edition host>/`` URLs through an ``http`` origin reach the origin's port in TLS and
fail.

Popups a page opens are closed. Stats: ``sputnik/browser/blocked`` and
``sputnik/browser/blocked/<resource-type>`` (``script``, ``fetch``, ``ping``, ``document``,
``websocket``...) count what the routes aborted and what failed at the closed proxy.

``abort_request`` is the ``PLAYWRIGHT_ABORT_REQUEST`` predicate: images, fonts and media are
never downloaded (``ABORTED_RESOURCE_TYPES``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.config import get_config
from crawler.middlewares import OffSiteRedirect, request_public_url
from crawler.urls import (
    browser_may_request,
    browser_url,
    host_resolver_rules,
    proxy_bypass,
    requested_public_url,
)

if TYPE_CHECKING:
    from playwright.async_api import Page, Route, WebSocketRoute
    from playwright.async_api import Request as PlaywrightRequest
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy_playwright.handler import BrowserContextWrapper, Config

logger = logging.getLogger(__name__)

ABORTED_RESOURCE_TYPES = frozenset({"image", "font", "media"})
# How Chromium reports a connection refused by the closed proxy port.
PROXY_FAILURES = ("net::ERR_PROXY_CONNECTION_FAILED", "net::ERR_TUNNEL_CONNECTION_FAILED")
INSTALL_HINT = (
    "install Debian's chromium package (apt-get install chromium) or set"
    ' PLAYWRIGHT_LAUNCH_OPTIONS=\'{"executable_path": "/path/to/chromium"}\''
)


class BrowserUnavailable(Exception):
    """No browser could be started; the message says why and what to install or set."""


def abort_request(request: PlaywrightRequest) -> bool:
    """Whether the browser skips a subresource: images, fonts and media."""
    return request.resource_type in ABORTED_RESOURCE_TYPES


def missing_executable(config: Config) -> str | None:
    """Why the configured browser executable cannot run, or ``None`` (also when none is set:
    then Playwright's own browser is tried, and a failed launch says why)."""
    if config.cdp_url or config.connect_url:
        return None
    path = config.launch_options.get("executable_path")
    if not path:
        return None
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        return f"no browser at {path} (PLAYWRIGHT_LAUNCH_OPTIONS executable_path): {INSTALL_HINT}"
    return None


class PlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, started at the first page to render (see the module)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._start_lock = asyncio.Lock()
        self._started = False
        self._unavailable: str | None = None
        config = get_config(crawler)
        self.origin = config.site_origin
        self.hosts = config.editions.hosts
        if rules := host_resolver_rules(self.origin, self.hosts):
            self._resolve_to_origin(rules)
        self._closed_port: socket.socket | None = None
        # Where a page's navigation was redirected off the site, by the URL it started from.
        self._off_site_hops: dict[str, str] = {}

    async def _maybe_launch_in_thread(self) -> None:
        """Connected to ``engine_started``: start nothing yet."""

    def _engine_started(self) -> None:  # type: ignore[override]
        """As above, for Scrapy versions before 2.14."""

    def _resolve_to_origin(self, rules: str) -> None:
        """Chromium resolves every edition host to the origin (see the module)."""
        options = self.config.launch_options
        args = [str(a) for a in options.get("args", [])]
        if any(a.startswith("--host-resolver-rules") for a in args):
            logger.warning(
                "PLAYWRIGHT_LAUNCH_OPTIONS has its own --host-resolver-rules: the browser's"
                " requests through SITE_ORIGIN carry the edition hosts only if they send them"
                " to %s",
                self.origin,
            )
            return
        self.config.launch_options = {**options, "args": [*args, f"--host-resolver-rules={rules}"]}

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        await self._start()
        if self.origin:
            # Through an origin the browser asks for the public host (resolved to the origin):
            # Chromium sends that host in Host, which no route may change.
            public = request_public_url(request, self.origin)
            headers = request.headers.copy()
            headers.pop("Host", None)
            request = request.replace(url=browser_url(public, self.origin), headers=headers)
        try:
            return await super()._download_request(request, spider)
        except PlaywrightError as exc:
            target = self._off_site_hops.pop(request.url, None)
            if target is None and not any(f in str(exc) for f in PROXY_FAILURES):
                raise
            # The page itself (on the site: only it bypasses the proxy) redirected off it.
            self.stats.inc_value("sputnik/redirect/off-site")
            raise OffSiteRedirect(
                f"{request.url} redirects the browser off the site, to {target or 'another host'}"
            ) from exc

    async def _start(self) -> None:
        if self._started:
            return
        async with self._start_lock:
            if self._unavailable is None and not self._started:
                self._unavailable = missing_executable(self.config)
                if self._unavailable is None:
                    try:
                        await self._launch()
                        await self._maybe_launch_browser()
                    except Exception as exc:
                        self._unavailable = f"the browser did not start ({exc}): {INSTALL_HINT}"
                if self._unavailable is not None:
                    logger.error(
                        "Cannot render pages that need a browser: %s. They become needs-js"
                        " rejects.",
                        self._unavailable,
                    )
                    self.stats.set_value("sputnik/render/browser-unavailable", 1)
                else:
                    self._started = True
            if self._unavailable is not None:
                raise BrowserUnavailable(self._unavailable)

    # -- staying on the site (see the module) ---------------------------------------------------

    def _blocked(self, resource_type: str, url: str) -> None:
        self.stats.inc_value("sputnik/browser/blocked")
        self.stats.inc_value(f"sputnik/browser/blocked/{resource_type}")
        logger.debug("Browser request off the site blocked: %s %s", resource_type, url)

    def _make_request_handler(self, *args: Any, **kwargs: Any) -> Any:
        """scrapy-playwright's page route, behind the host check."""
        handler = super()._make_request_handler(*args, **kwargs)

        async def request_handler(route: Route, request: PlaywrightRequest) -> None:
            if browser_may_request(request.url, self.origin, self.hosts):
                await handler(self._on_public_host(route), request)
            else:
                await self._abort(route)

        return request_handler

    async def _context_route(self, route: Route) -> None:
        """Requests of pages the handler did not open (popups) and of workers."""
        if browser_may_request(route.request.url, self.origin, self.hosts):
            await self._on_public_host(route).continue_()
        else:
            await self._abort(route)

    def _on_public_host(self, route: Route) -> Route:
        """A request a page makes to the origin's own URL goes to the same path on the page's
        public host instead (resolved to the origin all the same), so that it carries that
        host in ``Host`` too; any other request's route as it is."""
        request = route.request
        if not self.origin:
            return route
        try:
            host = urlsplit(request.frame.url).hostname
        except PlaywrightError:  # a worker's request: no frame
            return route
        if host not in self.hosts:
            return route
        public = requested_public_url(request.url, host, self.origin)
        if public == request.url:  # not on the origin
            return route
        return _Rerouted(route, browser_url(public, self.origin))  # type: ignore[return-value]

    async def _abort(self, route: Route) -> None:
        request = route.request
        self._blocked(request.resource_type, request.url)
        # "aborted" cancels a navigation and the page keeps what it has rendered; any other
        # error code puts Chromium's error page in its place.
        await route.abort("aborted" if request.is_navigation_request() else "blockedbyclient")

    async def _web_socket_route(self, ws: WebSocketRoute) -> None:
        if browser_may_request(ws.url, self.origin, self.hosts):
            ws.connect_to_server()
            return
        self._blocked("websocket", ws.url)
        await ws.close(code=1008, reason="off the site")

    def _request_failed(self, request: PlaywrightRequest) -> None:
        """A request no route saw (a redirect's hop) that failed at the closed proxy."""
        if request.failure not in PROXY_FAILURES:
            return
        self._blocked(request.resource_type, request.url)
        first = request
        while first.redirected_from is not None:
            first = first.redirected_from
        if first is not request and request.is_navigation_request() and _in_main_frame(request):
            self._off_site_hops[first.url] = request.url

    def _proxy(self) -> dict[str, str]:
        """The closed proxy: a loopback port this process holds bound and never listens on."""
        if self._closed_port is None:
            self._closed_port = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._closed_port.bind(("127.0.0.1", 0))
        port = self._closed_port.getsockname()[1]
        return {
            "server": f"http://127.0.0.1:{port}",
            "bypass": proxy_bypass(self.origin, self.hosts),
        }

    async def _create_browser_context(
        self, name: str, context_kwargs: dict | None, spider: Spider | None = None
    ) -> BrowserContextWrapper:
        kwargs = {"service_workers": "block", **(context_kwargs or {})}
        if "proxy" in kwargs:
            logger.warning(
                "Browser context %r has its own proxy: requests off the site that no route sees"
                " (redirect hops, preconnects) are not stopped by the closed proxy",
                name,
            )
        else:
            kwargs["proxy"] = self._proxy()
        wrapper = await super()._create_browser_context(name, kwargs, spider)
        context = wrapper.context
        await context.route("**", self._context_route)
        await context.route_web_socket("**", self._web_socket_route)
        context.on("requestfailed", self._request_failed)
        context.on("page", _close_popup)
        return wrapper

    async def _close(self) -> None:
        await super()._close()
        if self._closed_port is not None:
            self._closed_port.close()


class _Rerouted:
    """A route that continues to another URL of the same scheme (Playwright allows no other);
    otherwise the route itself."""

    def __init__(self, route: Route, url: str) -> None:
        self._route = route
        self._url = url

    async def continue_(self, **overrides: Any) -> None:
        await self._route.continue_(**{**overrides, "url": self._url})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._route, name)


def _in_main_frame(request: PlaywrightRequest) -> bool:
    try:
        return request.frame.parent_frame is None
    except PlaywrightError:  # a navigation whose frame does not exist yet (a popup's)
        return False


async def _close_popup(page: Page) -> None:
    if await page.opener() is not None:
        await page.close()
