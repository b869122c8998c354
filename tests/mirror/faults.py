"""Faults the mirror injects on top of the pages it serves, chosen by a spec given at start.

A spec is a list of rules separated by ``;``, each ``KIND[=VALUE][@GLOB][%PERCENT][xCOUNT]``:

``GLOB``
    An :mod:`fnmatch` pattern matched against the request target (path and query, as sent);
    default ``*``. A glob starting with ``//`` is matched against ``//<host><target>``, the host
    from the ``Host`` header in lower case without its port, so a rule can hit one edition of a
    multi-edition mirror: ``slow=2@//sarabic.ae/*``.
``PERCENT``
    Hits only a fixed share of the targets the glob matches, chosen by a hash of the rule and the
    target, so the same targets are hit on every run; default 100.
``COUNT``
    Hits only the first ``COUNT`` requests of each target; later requests are served normally,
    so retries succeed. Default: every request.

A target is handled by the first rule whose glob and percent select it; once that rule's count is
spent the page is served normally (later rules are not tried). A trailing ``xN`` or ``%N`` is
always read as COUNT or PERCENT: write ``[x]`` or ``[%]`` in a glob that ends that way.

Kinds:

``status=CODE``
    That status (400-599, e.g. 404, 410, 500, 503) with a small HTML error page.
``429=SECS``
    ``429 Too Many Requests`` with ``Retry-After: SECS``.
``slow=SECS``
    Waits ``SECS`` (a float) before sending the normal response.
``drop``
    Closes the connection without sending anything.
``truncate``
    Sends the headers with the full ``Content-Length``, then half of the body, then closes.
``redirect=N``
    A chain of ``N`` 302 redirects: the target, then ``/__redirect__/<k>/<target>`` for
    k = 1 … N-1, and back to the target, which is then served normally (not faulted again).
``loop``
    Redirects between the target and ``/__loop__/<target>`` forever.
``ctype=MEDIATYPE``
    The normal body under a wrong ``Content-Type`` header, e.g. ``ctype=application/octet-stream``.
``gzip``
    The body gzip-compressed with ``Content-Encoding: gzip``, whatever the client accepts.
``cp1251``
    The page re-encoded in windows-1251 (characters outside it as ``&#NNN;``), its
    ``<meta charset="utf-8">`` replaced by the ``http-equiv`` form naming windows-1251, and the
    header sent as a bare ``text/html``, so the meta tag is the only declaration.

Example: ``status=404@/2024010[1-3]/*;slow=0.5@*/amp/*%20;drop@/20240105/*x1``.

:class:`Faults` decides per request (it counts, so it has state); the page transformations are
plain functions for the server to call.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatchcase

from tests.mirror.pages import Page

REDIRECT_PREFIX = "/__redirect__/"
LOOP_PREFIX = "/__loop__"

KINDS = frozenset(
    ("status", "429", "slow", "drop", "truncate", "redirect", "loop", "ctype", "gzip", "cp1251")
)
VALUE_KINDS = frozenset(("status", "429", "slow", "redirect", "ctype"))
# Kinds whose response does not need the rendered page.
NO_PAGE_KINDS = frozenset(("status", "429", "drop", "redirect", "loop"))

_COUNT = re.compile(r"x(\d+)$")
_PERCENT = re.compile(r"%(\d+(?:\.\d+)?)$")
_UTF8_META = re.compile(rb"""<meta\s+charset=["']?utf-8["']?\s*/?>""", re.IGNORECASE)
_CP1251_META = b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'


@dataclass(frozen=True, slots=True)
class Rule:
    """One parsed rule; ``text`` is the rule as written, which also seeds its percent hash."""

    text: str
    kind: str
    value: str = ""
    glob: str = "*"
    percent: float = 100.0
    count: int | None = None

    def selects(self, target: str) -> bool:
        """Whether this rule's glob and percent pick ``target`` (its count aside)."""
        return fnmatchcase(target, self.glob) and in_share(self.text, target, self.percent)

    @property
    def seconds(self) -> float:
        """The value of ``slow`` and ``429`` as a number."""
        return float(self.value)


@dataclass(frozen=True, slots=True)
class Action:
    """What to do with one request: the rule's kind and value, and where to redirect."""

    kind: str
    value: str = ""
    location: str = ""

    @property
    def needs_page(self) -> bool:
        return self.kind not in NO_PAGE_KINDS


def in_share(key: str, target: str, percent: float) -> bool:
    """Whether ``target`` falls in the ``percent`` share for ``key``; stable across runs."""
    if percent >= 100:
        return True
    # A keyed hash, not hash(): str hashes change per process.
    digest = hashlib.blake2b(f"{key}\0{target}".encode(), digest_size=8).digest()
    return int.from_bytes(digest) < percent / 100 * 2**64


def parse(spec: str) -> list[Rule]:
    """The rules of ``spec``; empty rules (``a;;b``, a trailing ``;``) are ignored.

    :param spec: rules as described in the module docstring
    :raises ValueError: naming the first bad rule and what is wrong with it
    """
    return [parse_rule(text) for text in (t.strip() for t in spec.split(";")) if text]


def parse_rule(text: str) -> Rule:
    """One rule, ``KIND[=VALUE][@GLOB][%PERCENT][xCOUNT]``."""
    try:
        return _parse_rule(text)
    except ValueError as exc:
        raise ValueError(f"bad fault rule {text!r}: {exc}") from None


def _parse_rule(text: str) -> Rule:
    rest, count = _strip_suffix(text, _COUNT)
    rest, percent = _strip_suffix(rest, _PERCENT)
    head, at, glob = rest.partition("@")
    kind, eq, value = head.partition("=")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(sorted(KINDS))}")
    if kind in VALUE_KINDS and not value:
        raise ValueError(f"{kind} needs a value ({kind}=...)")
    if kind not in VALUE_KINDS and eq:
        raise ValueError(f"{kind} takes no value")
    _check_value(kind, value)
    if at and not glob:
        raise ValueError("empty glob after @")
    share = 100.0 if percent is None else float(percent)
    if not 0 <= share <= 100:
        raise ValueError(f"percent must be 0-100, got {percent}")
    if count is not None and int(count) < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    return Rule(text, kind, value, glob or "*", share, None if count is None else int(count))


def _strip_suffix(text: str, pattern: re.Pattern[str]) -> tuple[str, str | None]:
    match = pattern.search(text)
    return (text[: match.start()], match.group(1)) if match else (text, None)


def _check_value(kind: str, value: str) -> None:
    if kind == "status" and not (value.isdigit() and 400 <= int(value) <= 599):
        raise ValueError(f"status must be a code from 400 to 599, got {value!r}")
    if kind == "429" and not value.isdigit():
        raise ValueError(f"429 needs whole seconds for Retry-After, got {value!r}")
    if kind == "slow":
        try:
            seconds = float(value)
        except ValueError:
            raise ValueError(f"slow needs seconds, got {value!r}") from None
        if not 0 <= seconds < 3600:
            raise ValueError(f"slow seconds must be 0 to 3600, got {value!r}")
    if kind == "redirect" and not (value.isdigit() and int(value) >= 1):
        raise ValueError(f"redirect needs a hop count of at least 1, got {value!r}")
    if kind == "ctype" and ("/" not in value or any(c.isspace() for c in value)):
        raise ValueError(f"ctype needs a media type such as text/plain, got {value!r}")


class Faults:
    """Per-request decisions for a list of rules; counts requests for ``xCOUNT``."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self._seen: Counter[tuple[int, str]] = Counter()
        # Targets whose redirect chain has ended: their next request is served normally.
        self._passes: Counter[tuple[int, str]] = Counter()

    @classmethod
    def from_spec(cls, spec: str | None) -> Faults:
        return cls(parse(spec or ""))

    def __bool__(self) -> bool:
        return bool(self.rules)

    def decide(self, target: str, host: str = "") -> Action | None:
        """The fault for one request to ``target`` (``host``: its ``Host`` header), or ``None``
        to serve it normally."""
        host = _host_name(host)
        if target.startswith(REDIRECT_PREFIX):
            return self._redirect_hop(target, host)
        if target.startswith(LOOP_PREFIX + "/"):
            return Action("loop", location=target.removeprefix(LOOP_PREFIX))
        found = self._match(target, host)
        if found is None:
            return None
        number, rule = found
        key = (number, target)
        if self._passes[key]:
            self._passes[key] -= 1
            return None
        self._seen[key] += 1
        if rule.count is not None and self._seen[key] > rule.count:
            return None
        return self._action(number, rule, target)

    def _match(self, target: str, host: str = "") -> tuple[int, Rule] | None:
        for number, rule in enumerate(self.rules):
            if rule.selects(f"//{host}{target}" if rule.glob.startswith("//") else target):
                return number, rule
        return None

    def _action(self, number: int, rule: Rule, target: str) -> Action:
        if rule.kind == "redirect":
            return self._hop(number, target, 1, int(rule.value))
        if rule.kind == "loop":
            return Action("loop", location=LOOP_PREFIX + target)
        return Action(rule.kind, rule.value)

    def _redirect_hop(self, target: str, host: str = "") -> Action:
        """A request to ``/__redirect__/<k>/<target>``: on to hop k+1, or back to the target."""
        k, _, rest = target.removeprefix(REDIRECT_PREFIX).partition("/")
        original = "/" + rest
        found = self._match(original, host)
        hops = int(found[1].value) if found and found[1].kind == "redirect" else 0
        number = found[0] if found else -1
        step = int(k) + 1 if k.isdigit() else hops
        return self._hop(number, original, step, hops)

    def _hop(self, number: int, target: str, step: int, hops: int) -> Action:
        """The redirect that makes hop ``step`` of ``hops``; the last one returns to ``target``."""
        if step < hops:
            return Action("redirect", location=f"{REDIRECT_PREFIX}{step}{target}")
        if number >= 0:
            self._passes[(number, target)] += 1
        return Action("redirect", location=target)


def _host_name(host: str) -> str:
    """``WWW.Example.com:8080`` -> ``www.example.com`` (an IPv6 literal keeps its brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


# -- responses ----------------------------------------------------------------------------------


def error_page(status: int, headers: tuple[tuple[str, str], ...] = ()) -> Page:
    """A small HTML page for an injected error status."""
    body = (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{status}</title></head>'
        f"<body><h1>{status}</h1><p>Injected by the mirror.</p></body></html>\n"
    )
    return Page(status, body.encode(), headers=headers)


def redirect_page(location: str) -> Page:
    return Page(302, b"", headers=(("Location", location),))


def as_gzip(page: Page) -> Page:
    # mtime=0 keeps the bytes the same on every run.
    body = gzip.compress(page.body, compresslevel=1, mtime=0)
    return Page(page.status, body, page.content_type, (*page.headers, ("Content-Encoding", "gzip")))


def as_cp1251(page: Page) -> Page:
    """The page in windows-1251, declared only by a meta tag (see the module docstring)."""
    html = _UTF8_META.sub(_CP1251_META, page.body, count=1)
    body = html.decode("utf-8").encode("cp1251", errors="xmlcharrefreplace")
    return Page(page.status, body, "text/html", page.headers)


def with_content_type(page: Page, media_type: str) -> Page:
    return Page(page.status, page.body, media_type, page.headers)


def respond(action: Action, page: Page | None) -> Page:
    """The page to send for ``action``; ``page`` is the normal one (``None`` if not needed).

    ``slow``, ``drop`` and ``truncate`` are about timing and the connection: the page is
    returned unchanged and the server does the rest.
    """
    kind = action.kind
    if kind == "status":
        return error_page(int(action.value))
    if kind == "429":
        return error_page(429, (("Retry-After", action.value),))
    if kind in ("redirect", "loop"):
        return redirect_page(action.location)
    assert page is not None, f"{kind} needs the rendered page"
    if kind == "ctype":
        return with_content_type(page, action.value)
    if kind == "gzip":
        return as_gzip(page)
    if kind == "cp1251":
        return as_cp1251(page)
    return page
