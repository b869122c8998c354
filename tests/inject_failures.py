"""A Scrapy add-on for tests that makes the crawler's own code raise on marked pages.

Given to a real crawl with ``-s 'ADDONS={"tests.inject_failures.InjectFailures": 0}'``, it wraps,
in the crawl's process, the functions each stage calls, so that an exception comes from exactly
where a bug would raise one:

- extraction (``crawler.extract.html.extract``) on a page whose title is ``INJECT-extract``;
- normalization (the headline processor) for the headline ``INJECT-normalize``;
- validation (``crawler.pipelines.validate.reject_missing``) for the headline ``INJECT-validate``;
- the state lookup (``ArticleState.contains``) for article ``STATE_FAILS_ID``;
- a listing callback (``SputnikSpider.listed_urls``) for a listing at ``/world/``.

Each raises ``RuntimeError("injected <stage>")``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import crawler.normalize
import crawler.pipelines.validate
from crawler.extract import html
from crawler.spiders.sputnik import SputnikSpider
from crawler.state import ArticleState

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.settings import BaseSettings

MARK = "INJECT"
STATE_FAILS_ID = 1117838204
FAILING_LISTING = "/world/"


def _fail_when(test: Callable[..., bool], stage: str, original: Callable[..., Any]) -> Any:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if test(*args, **kwargs):
            raise RuntimeError(f"injected {stage}")
        return original(*args, **kwargs)

    return wrapper


def _title(page: Any, *_: Any) -> str:
    titles = html.TITLE(getattr(page, "selector", page).root)
    return titles[0].text_content().strip() if titles else ""


class InjectFailures:
    """Installs the failures when Scrapy loads the add-on; changes no setting."""

    def update_settings(self, settings: BaseSettings) -> None:
        html.extract = _fail_when(
            lambda page, *a: _title(page) == f"{MARK}-extract", "extract", html.extract
        )
        processors = crawler.normalize.PROCESSORS
        processors["headline"] = _fail_when(
            lambda value, **_: value == f"{MARK}-normalize", "normalize", processors["headline"]
        )
        validate = crawler.pipelines.validate
        validate.reject_missing = _fail_when(
            lambda item, *a, **k: item.headline == f"{MARK}-validate",
            "validate",
            validate.reject_missing,
        )
        ArticleState.contains = _fail_when(  # type: ignore[method-assign]
            lambda state, edition, article: article == STATE_FAILS_ID,
            "state",
            ArticleState.contains,
        )
        SputnikSpider.listed_urls = _fail_when(  # type: ignore[method-assign]
            lambda spider, response: response.url.endswith(FAILING_LISTING),
            "listing",
            SputnikSpider.listed_urls,
        )
