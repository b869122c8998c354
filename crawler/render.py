"""Pages that need a browser: which ones, and their second request, through Chromium.

Settings:

- ``RENDER_JS``: ``auto`` (default) renders only the pages that need it; ``always`` renders every
  article page from the first request; ``never`` renders nothing. Anything else stops the crawl.
- ``RENDER_TIMEOUT_SECS`` (10): how long a rendered page may take, after it has loaded, to become
  complete (``READY``); then it is taken as it is.

The browser is scrapy-playwright's (``crawler.browser``; ``PLAYWRIGHT_*`` settings).

``needs_browser(response)`` says why a page fetched without a browser needs one, as a reason
token, or ``None``:

- ``shell``: an article URL whose HTML has no article evidence at all
  (``crawler.extract.evidence``: no article JSON-LD or microdata, no ``og:type=article``,
  ``article:*`` or ``pubdate`` meta, no markup of a known template, no ``<h1>`` with a
  publication time) and is built by script: a ``<noscript>``, an empty mount element (``#app``,
  ``#root``, ``#__next``), or next to no text but scripts, as anti-bot front ends and
  single-page shells serve. A server-rendered article with many scripts (likes, ads, lazy
  images: the earlier template's, markup.md §4) is never a shell.
- ``related``: an article whose related-articles block the site fills after load: a
  ``div.article__related`` that still has its ``data-url``.
- ``load-more``: a listing asked for more pages (``LISTING_MORE_PAGES``) whose "load more"
  button has no address (``div.list__more`` without ``data-url``): only a click loads them.

``RenderMiddleware`` (a downloader middleware) sends such a page once more, through the browser,
before the spider sees it, as redirects are followed: the spider gets the rendered page, at the
same depth. A rendered page is never sent again (``meta["render"]``), even when still incomplete
(counted). A rendered page bigger than ``DOWNLOAD_MAXSIZE`` is refused (``RenderedTooLarge``),
as Scrapy refuses a download: the browser is no download handler Scrapy limits. Without a
browser (``RENDER_JS=never``, or Chromium missing) the page reaches the spider with
``meta["needs_js"]`` set to the reason, and the spider records a ``needs-js`` reject; the log
says why once, at the first such page. With ``always`` and no browser, pages are fetched
without one and judged as with ``auto``.

Stats: ``sputnik/render/requested`` and ``sputnik/render/requested/<reason>`` (``always`` is a
reason too), ``sputnik/render/rendered``, ``sputnik/render/incomplete/<reason>``,
``sputnik/render/needs-js`` and ``sputnik/render/needs-js/<reason>``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lxml import etree
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from scrapy_playwright.page import PageMethod

from crawler.browser import BrowserUnavailable
from crawler.config import get_config
from crawler.extract import Page
from crawler.extract.evidence import evidence

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Self

    from playwright.async_api import Page
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.statscollectors import StatsCollector

    from crawler.config import Config

logger = logging.getLogger(__name__)

SHELL_TEXT_CHARS = 200  # a page with scripts and less visible text than this is a shell

# A rendered article is complete once its markup (either template's) or article metas are there
# and no related block is pending.
READY = (
    "() => !!document.querySelector('div.article, h1.article__title, div.b-article__text,"
    ' meta[name=pubdate], meta[property^="article:"],'
    ' meta[property="og:type"][content=article]\')'
    " && !document.querySelector('div.article__related[data-url]')"
)
LIST_ITEM = "div.list__item"
MORE_BUTTON = "div.list__more:not([data-url])"

_NOSCRIPT = etree.XPath("//noscript")
_EMPTY_MOUNT = etree.XPath(
    "//*[@id='app' or @id='root' or @id='__next'][not(*)][not(normalize-space())]"
)
_SCRIPT = etree.XPath("//script")
_TEXT = etree.XPath("//body//text()[not(ancestor::script or ancestor::style)]")
_PENDING_RELATED = etree.XPath(
    "//div[@data-url][contains(concat(' ', normalize-space(@class), ' '), ' article__related ')]"
)
_SCRIPT_ONLY_MORE = etree.XPath(
    "//div[not(@data-url)][contains(concat(' ', normalize-space(@class), ' '), ' list__more ')]"
)


def needs_browser(response: Response, meta: Mapping[str, Any]) -> str | None:
    """Why a page fetched without a browser needs one: ``shell``, ``related``, ``load-more``;
    ``None`` when it does not (or is not an HTML page the spider reads).

    :param response: the downloaded page
    :param meta: its request's ``meta``, which says what was asked for: ``public_url`` for an
        article, ``listing`` and ``listing_more`` for a listing
    """
    if not isinstance(response, TextResponse) or response.status != 200:
        return None
    try:
        page = Page.of(response.selector.root, meta.get("public_url"))
    except (AttributeError, ValueError):
        return None
    if not page.is_html:  # not an HTML document (an XML feed, an empty body)
        return None
    root = page.root
    if meta.get("listing"):
        if meta.get("listing_more", 0) > 0 and _SCRIPT_ONLY_MORE(root):
            return "load-more"
        return None
    if "public_url" not in meta:
        return None
    if evidence(page) is None:  # at an article URL: an <h1> with a time counts too
        return "shell" if is_script_built(root) else None
    # The byte search spares most pages the walk over the whole tree.
    if b"article__related" in response.body and _PENDING_RELATED(root):
        return "related"
    return None


def is_script_built(root: Any) -> bool:
    """Whether a page without article evidence is a shell a script fills in."""
    if _NOSCRIPT(root) or _EMPTY_MOUNT(root):
        return True
    if not _SCRIPT(root):
        return False
    return len("".join(_TEXT(root)).strip()) < SHELL_TEXT_CHARS


async def settle(page: Page, expression: str, timeout_ms: float) -> bool:
    """Wait until ``expression`` is true on the page; ``False`` if it is not in time."""
    try:
        await page.wait_for_function(expression, timeout=timeout_ms)
    except Exception:  # a timeout, or a page that navigated away: take it as it is
        return False
    return True


async def load_more(page: Page, clicks: int, timeout_ms: float) -> int:
    """Click "load more" up to ``clicks`` times, each time until new items appear; how many
    times it worked (fewer when the button goes or nothing comes)."""
    done = 0
    for _ in range(clicks):
        button = await page.query_selector(MORE_BUTTON)
        if button is None:
            break
        count = len(await page.query_selector_all(LIST_ITEM))
        try:
            await button.click(timeout=timeout_ms)
            await page.wait_for_function(
                f"() => document.querySelectorAll({LIST_ITEM!r}).length > {count}",
                timeout=timeout_ms,
            )
        except Exception:
            break
        done += 1
    return done


class RenderedTooLarge(IgnoreRequest):
    """A rendered page bigger than ``DOWNLOAD_MAXSIZE``: the spider's ``too-large`` reject."""


class RenderMiddleware:
    """Sends pages that need a browser through it once (see the module)."""

    def __init__(self, config: Config, stats: StatsCollector) -> None:
        self.mode = config.render_js
        self.timeout_ms = config.render_timeout_secs * 1000
        self.max_size = config.download_maxsize
        self.stats = stats
        self.unavailable: str | None = None  # why there is no browser, once known
        self.warned = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(get_config(crawler), crawler.stats)

    def process_request(self, request: Request) -> None:
        meta = request.meta
        if (
            self.mode == "always"
            and self.unavailable is None
            and "public_url" in meta
            and not meta.get("listing")
            and "render" not in meta
        ):
            meta.update(self.browser_meta("always", request))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        rendered = request.meta.get("render")
        reason = needs_browser(response, request.meta)
        if rendered:
            self.stats.inc_value("sputnik/render/rendered")
            max_size = request.meta.get("download_maxsize", self.max_size)
            if max_size and len(response.body) > max_size:
                raise RenderedTooLarge(
                    f"the rendered page is {len(response.body)} bytes, more than"
                    f" DOWNLOAD_MAXSIZE ({max_size} bytes)"
                )
            if reason:
                self.stats.inc_value(f"sputnik/render/incomplete/{reason}")
            return response
        if reason is None:
            return response
        if self.mode == "never" or self.unavailable is not None:
            return self.without_browser(request, response, reason)
        meta = {**request.meta, **self.browser_meta(reason, request)}
        return request.replace(meta=meta, dont_filter=True)

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        """A rendering request that found no browser: fetched again without one."""
        if not isinstance(exception, BrowserUnavailable) or not request.meta.get("render"):
            return None
        self.unavailable = str(exception)
        meta = {k: v for k, v in request.meta.items() if not k.startswith("playwright")}
        del meta["render"]
        return request.replace(meta=meta, dont_filter=True)

    def browser_meta(self, reason: str, request: Request) -> dict[str, Any]:
        """The ``meta`` that sends ``request`` through the browser, counted."""
        self.stats.inc_value("sputnik/render/requested")
        self.stats.inc_value(f"sputnik/render/requested/{reason}")
        if reason == "load-more":
            methods = [PageMethod(load_more, request.meta["listing_more"], self.timeout_ms)]
        else:
            methods = [PageMethod(settle, READY, self.timeout_ms)]
        return {
            "render": reason,
            "playwright": True,
            "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
            "playwright_page_methods": methods,
        }

    def without_browser(self, request: Request, response: Response, reason: str) -> Response:
        """The page as fetched, marked for a ``needs-js`` reject; the first one is logged."""
        self.stats.inc_value("sputnik/render/needs-js")
        self.stats.inc_value(f"sputnik/render/needs-js/{reason}")
        if not self.warned and self.unavailable is None:
            self.warned = True
            logger.warning(
                "%s needs a browser (%s) but RENDER_JS=never: it and every later such page"
                " become needs-js rejects",
                request.meta.get("public_url", request.url),
                reason,
            )
        request.meta["needs_js"] = reason
        return response


NEEDS_JS_DETAILS = {
    "shell": "The page is built by script: no article markup without a browser.",
    "related": "Its related articles are loaded by script: without a browser they are missing.",
    "load-more": "Its further items load only by script: without a browser, only the first page.",
}


def needs_js_detail(reason: str) -> str:
    """The reject detail for a page that needed a browser for ``reason`` and had none."""
    return NEEDS_JS_DETAILS.get(reason, f"The page needs a browser ({reason}).") + (
        " Set RENDER_JS=auto with Chromium installed."
    )
