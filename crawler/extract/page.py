"""One downloaded page as every source reads it: parsed once, its shared parts read once.

A ``Page`` holds the lxml root of the whole document (the response's one parse, parsel's
``response.selector.root``), the page's canonical public URL, the crawl's editions table (its
related links are resolved on the page's own edition), and, read on first use and kept on
the page itself (never in a module): the ``<head>`` metas and the decoded JSON-LD objects. A
source that needs its own index of the tree keeps it on the page too (``Page.memo``), so the
next source, or the article test, finds it done. Nothing outlives the page.
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from lxml.html import HtmlElement

    from crawler.editions import EditionTable

T = TypeVar("T")

# Scripts are sometimes wrapped in an HTML comment or CDATA, or carry "//" comment lines.
_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$")
_COMMENT_LINES = re.compile(r"^\s*//[^\n]*$", re.M)


class Page:
    """A parsed page and its public URL; see the module.

    :param root: the lxml root element of the whole document
    :param url: the page's canonical public URL (the base of relative links), if known
    :param editions: the crawl's editions table (``Config.editions``); ``None``: the packaged one
    """

    def __init__(
        self, root: HtmlElement, url: str | None = None, editions: EditionTable | None = None
    ) -> None:
        self.root = root
        self.url = url
        self.editions = editions
        self._memo: dict[str, Any] = {}

    @classmethod
    def of(cls, page: Any, url: str | None = None, editions: EditionTable | None = None) -> Page:
        """A ``Page`` from a ``Page`` (itself), a response, a parsel ``Selector`` or a root;
        ``url`` and ``editions`` fill what a given ``Page`` lacks."""
        if isinstance(page, Page):
            if url is not None and page.url is None:
                page.url = url
            if editions is not None and page.editions is None:
                page.editions = editions
            return page
        root = getattr(getattr(page, "selector", page), "root", page)
        return cls(root, url, editions)

    def memo(self, key: str, compute: Callable[[Page], T]) -> T:
        """``compute(self)``, computed once per page and kept under ``key``."""
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._memo[key] = compute(self)
            return value

    def known(self, key: str) -> Any:
        """What ``memo`` keeps under ``key``, or ``None`` when it was not computed yet."""
        return self._memo.get(key)

    @cached_property
    def is_html(self) -> bool:
        """Whether the root is an element tree (an empty body or a feed parses otherwise)."""
        return hasattr(self.root, "iter") and isinstance(getattr(self.root, "tag", None), str)

    @cached_property
    def meta(self) -> dict[str, str]:
        """``<meta>`` contents by ``property``/``name`` (lower-case, first wins), and the
        canonical link as ``link:canonical``; only the ``<head>``'s own children."""
        out: dict[str, str] = {}
        head = self.root.find("head") if self.is_html else None
        for element in head if head is not None else ():
            if element.tag == "meta":
                key = element.get("property") or element.get("name")
                content = element.get("content")
                if key and content and content.strip():
                    out.setdefault(key.strip().lower(), content.strip())
            elif element.tag == "link" and "canonical" in (element.get("rel") or "").lower():
                href = (element.get("href") or "").strip()
                if href:
                    out.setdefault("link:canonical", href)
        return out

    @cached_property
    def jsonld(self) -> list[Any]:
        """The decoded value of every ``application/ld+json`` script that is valid JSON.

        A script wrapped in a comment or CDATA is unwrapped (as extruct does); one that is not
        JSON, or is nested deeper than the decoder goes, is skipped.
        """
        out: list[Any] = []
        if not self.is_html:
            return out
        for script in self.root.iter("script"):  # faster than an XPath on a 200 KB page
            kind = (script.get("type") or "").strip().lower()
            if not kind.startswith("application/ld+json"):
                continue
            text = "".join(script.itertext())
            try:
                out.append(json.loads(text, strict=False))
            except RecursionError:
                continue  # nested too deep to decode: as broken
            except ValueError:
                unwrapped = _COMMENT_LINES.sub("", _WRAPPER.sub("", text))
                if unwrapped == text:
                    continue  # nothing to strip: the JSON itself is broken
                try:
                    out.append(json.loads(unwrapped, strict=False))
                except (ValueError, RecursionError):
                    continue
        return out
