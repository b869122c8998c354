"""Sputnik's editions, as data: which hosts are which edition, in which language.

An edition is one site on Sputnik's engine (markup.md §5): one current host with its own feeds,
sitemaps and article ids (ids are unique only within an edition), the hosts it had before
(articles linked on a former host are the current host's), its language, and the time zone a
time written without an offset is read in. The table ships with the crawler as
``crawler/editions.json`` (package data, so a scrapyd egg carries it) and is read with
``pkgutil.get_data``. Hosts move when domains are sanctioned or seized: the ``EDITIONS_FILE``
setting replaces the table with another JSON file of the same shape, and ``EDITIONS`` (a JSON
object of code to fields) changes or adds editions on top of it, without touching code::

    scrapy crawl sputnik -a editions=ar \\
        -s 'EDITIONS={"ar": {"host": "sarabic.news", "former_hosts": ["sarabic.ae"]}}'

A host answers for its edition with or without ``www.``.
"""

from __future__ import annotations

import json
import pkgutil
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

DEFAULT_EDITION = "en"
ALL = "all"
CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z]{2,3})?$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
# A DNS name, lower-case, at least two labels: what a URL's hostname gives for the site's hosts.
HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
FIELDS = ("code", "host", "former_hosts", "language", "name", "time_zone")


class EditionsError(ValueError):
    """A table of editions that cannot be used; the message says where."""


@dataclass(frozen=True)
class Edition:
    """One edition of the table (``crawler/editions.json``)."""

    code: str
    """The edition's code, the ``edition`` column: ``en``, ``en-af``, ``es``, ``ru-by``..."""
    host: str
    """Its current host, the ``site`` column: ``sputnikglobe.com``."""
    language: str
    """Its language, the ``language`` of a page that does not say (BCP 47 primary subtag)."""
    name: str
    """The house name it signs with: ``Sputnik International``."""
    former_hosts: tuple[str, ...] = ()
    """Hosts it was on before: their article URLs are the current host's."""
    time_zone: str = "UTC"
    """The IANA zone a time written without an offset is read in."""

    @property
    def origin(self) -> str:
        """``https://<host>``, the public origin of every URL in the data."""
        return f"https://{self.host}"

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host that answers for the edition: current and former, with and without
        ``www.``; the current host first."""
        names = (self.host, *self.former_hosts)
        return tuple(dict.fromkeys(h for name in names for h in (name, f"www.{name}")))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class EditionTable:
    """The editions, in the table's order, looked up by code or by any of their hosts."""

    editions: tuple[Edition, ...]
    _by_code: dict[str, Edition] = field(init=False, repr=False, compare=False)
    _by_host: dict[str, Edition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_code: dict[str, Edition] = {}
        by_host: dict[str, Edition] = {}
        for edition in self.editions:
            if edition.code in by_code:
                raise EditionsError(f"edition {edition.code!r} is in the table twice")
            by_code[edition.code] = edition
            for host in edition.hosts:
                if host in by_host:
                    raise EditionsError(
                        f"host {host!r} is in two editions: {by_host[host].code!r} and"
                        f" {edition.code!r}"
                    )
                by_host[host] = edition
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_by_host", by_host)

    def __iter__(self) -> Iterator[Edition]:
        return iter(self.editions)

    def __len__(self) -> int:
        return len(self.editions)

    def __getitem__(self, code: str) -> Edition:
        return self._by_code[code]

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    @property
    def hosts(self) -> frozenset[str]:
        """Every host of every edition."""
        return frozenset(self._by_host)

    def by_host(self, host: str | None) -> Edition | None:
        """The edition a host answers for (any case, a trailing dot allowed), or ``None``."""
        return self._by_host.get((host or "").lower().rstrip("."))

    def select(self, spec: str | None) -> tuple[Edition, ...]:
        """The editions a ``-a editions=`` argument names: codes joined by commas, or ``all``;
        ``None`` or empty: the default edition (``en``).

        :raises EditionsError: for a code not in the table, naming the known ones
        """
        codes = [c.strip().lower() for c in (spec or "").split(",") if c.strip()]
        if not codes:
            codes = [DEFAULT_EDITION]
        if ALL in codes:
            return self.editions
        unknown = [c for c in codes if c not in self._by_code]
        if unknown:
            raise EditionsError(
                f"unknown edition {unknown[0]!r}; known: {', '.join(self._by_code)} (or all)"
            )
        return tuple(self._by_code[c] for c in dict.fromkeys(codes))

    def updated(self, changes: Mapping[str, Any], source: str = "EDITIONS") -> EditionTable:
        """The table with ``changes`` (code to fields, as in the JSON file) applied: a known
        code's given fields replace its own, a new code is added at the end.

        :raises EditionsError: naming ``source`` and the edition
        """
        if not isinstance(changes, dict):
            raise EditionsError(f"{source} must be a JSON object of edition code to fields")
        editions = {e.code: e for e in self.editions}
        for code, fields in changes.items():
            where = f"{source}[{code!r}]"
            if not isinstance(fields, dict):
                raise EditionsError(f"{where} must be an object of fields")
            if code in editions:
                editions[code] = _edition({**_as_dict(editions[code]), **fields}, where)
            else:
                editions[code] = _edition({"code": code, **fields}, where)
            if editions[code].code != code:
                raise EditionsError(f"{where}: code cannot be changed")
        return _table(editions.values(), source)


def load_table(data: bytes | str, source: str) -> EditionTable:
    """A table from JSON text: ``{"editions": [{"code": ..., "host": ...}, ...]}``.

    :raises EditionsError: naming ``source``, the edition and the field
    """
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise EditionsError(f"{source} is not JSON: {exc}") from None
    rows = document.get("editions") if isinstance(document, dict) else None
    if not isinstance(rows, list) or not rows:
        raise EditionsError(f'{source} must be a JSON object with a non-empty "editions" list')
    editions = []
    for number, row in enumerate(rows):
        code = row.get("code") if isinstance(row, dict) else None
        editions.append(_edition(row, f"{source}, edition {code or number}"))
    return _table(editions, source)


@cache
def packaged_table() -> EditionTable:
    """The table shipped with the crawler, ``crawler/editions.json``."""
    data = pkgutil.get_data("crawler", "editions.json")
    assert data is not None  # a package on disk or in an egg always gives its data
    return load_table(data, "crawler/editions.json")


def _table(editions: Iterable[Edition], source: str) -> EditionTable:
    try:
        return EditionTable(tuple(editions))
    except EditionsError as exc:
        raise EditionsError(f"{source}: {exc}") from None


def _as_dict(edition: Edition) -> dict[str, Any]:
    return {name: getattr(edition, name) for name in FIELDS}


def _edition(row: Any, where: str) -> Edition:
    """One edition from its JSON fields, every field checked."""
    if not isinstance(row, dict):
        raise EditionsError(f"{where} must be an object")
    unknown = sorted(set(row) - set(FIELDS))
    if unknown:
        raise EditionsError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})")
    for name in ("code", "host", "language", "name"):
        if not isinstance(row.get(name), str) or not row[name].strip():
            raise EditionsError(f"{where}: {name!r} must be a non-empty string")
    code, host, language = row["code"].strip(), row["host"].strip(), row["language"].strip()
    if not CODE.match(code):
        raise EditionsError(f"{where}: code must look like en, en-af or ru-by, got {code!r}")
    if not LANGUAGE.match(language):
        raise EditionsError(f"{where}: language must be an ISO 639 code, got {language!r}")
    former = row.get("former_hosts", [])
    if not isinstance(former, list | tuple) or not all(isinstance(h, str) for h in former):
        raise EditionsError(f"{where}: former_hosts must be a list of host names")
    hosts = [h.strip() for h in (host, *former)]
    for name in hosts:
        if not HOST.match(name) or name.startswith("www."):
            raise EditionsError(
                f"{where}: {name!r} is not a lower-case host name without www. (e.g. sarabic.ae)"
            )
    time_zone = row.get("time_zone", "UTC")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, TypeError, ValueError):
        raise EditionsError(f"{where}: time_zone must be an IANA zone, got {time_zone!r}") from None
    return Edition(
        code=code,
        host=hosts[0],
        language=language,
        name=row["name"].strip(),
        former_hosts=tuple(dict.fromkeys(h for h in hosts[1:] if h != hosts[0])),
        time_zone=time_zone,
    )
