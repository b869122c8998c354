"""``robots.txt`` per public host, also when every host is fetched through one ``SITE_ORIGIN``.

Scrapy's ``RobotsTxtMiddleware`` keys its parsers by the request's netloc and fetches
``<scheme>://<netloc>/robots.txt``: through one origin, every edition would share the origin's
one ``robots.txt``. ``PublicRobotsTxtMiddleware`` (replacing it, same settings:
``ROBOTSTXT_OBEY``, ``ROBOTSTXT_PARSER``, ``ROBOTSTXT_USER_AGENT``) keys them by the public host
a request is for (its ``Host`` header through an origin, else its URL's; scheme and port too),
fetches ``https://<public host>/robots.txt`` as the crawl fetches any page
(``crawler.urls.fetch``: through the origin with that ``Host``, in that host's download slot),
and checks the request's public URL against it. Scrapy's stats (``robotstxt/*``) are kept.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from crawler.config import get_config
from crawler.middlewares import request_public_url
from crawler.urls import fetch

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)


class PublicRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's ``RobotsTxtMiddleware``, one ``robots.txt`` per public host (see the module)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.origin = get_config(crawler).site_origin

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return
        if request.url.startswith(("data:", "file:")):
            return
        public = request_public_url(request, self.origin)
        parser = await self.robot_parser(request)
        # Scrapy's check, on the public URL (the one the robots.txt rules are written for).
        self.process_request_2(parser, request.replace(url=public))

    async def robot_parser(self, request: Request) -> RobotParser | None:
        public = urlsplit(request_public_url(request, self.origin))
        key = f"{public.scheme}://{public.netloc}"
        if key not in self._parsers:
            self._parsers[key] = Deferred()
            target = fetch(f"{key}/robots.txt", self.origin)
            robots_request = Request(
                target.url,
                headers=target.headers,
                priority=self.DOWNLOAD_PRIORITY,
                meta={**target.meta, "dont_obey_robotstxt": True},
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots_request)
                await self._parse_robots(response, key, request)
            except Exception as exc:
                if not isinstance(exc, IgnoreRequest):
                    logger.error(
                        "Error downloading %s: %s",
                        robots_request,
                        exc,
                        exc_info=True,
                        extra={"spider": self.crawler.spider},
                    )
                self._robots_error(exc, key)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[key]
        if isinstance(parser, Deferred):
            # One Deferred per waiter: awaited from several coroutines, one Deferred hands the
            # parser to the first only and None to the rest, which then skip robots.txt (Scrapy
            # 2.19's own middleware does that since scrapy/scrapy#6802). Many requests wait at
            # once when a crawl starts from many seeds, or a frontier worker from a full queue.
            waiter: Deferred[RobotParser | None] = Deferred()
            parser.addBoth(_pass_on, waiter)
            return await maybe_deferred_to_future(waiter)
        return parser


def _pass_on(result: Any, waiter: Deferred[Any]) -> Any:
    """Give ``result`` to ``waiter``, and keep it for the next callback."""
    waiter.callback(result)
    return result
