"""Following a request until everything it gave is settled: the request journal's (``JOBDIR``
resumes, ``crawler.journal``) and the shared frontier's leases (``crawler.frontier``).

A request is *done* once its callback or errback has given all it will (*exhausted*) and each
output is *settled*: a request it yielded enqueued (or dropped as a duplicate), an item dropped,
or its row (or reject) committed to the datasets by the writer
(``crawler.pipelines.write.Receipt``). An :class:`OutcomeTracker` counts this per request,
under the number its scheduler put in ``request.meta[tracker.key]``, and calls its ``done``:
the journal marks the request done, the frontier releases its lease.

- The scheduler calls :meth:`OutcomeTracker.follow` when a request leaves it and wraps its
  errback in :class:`TrackedErrback` (a download failure reaches the errback without passing
  the spider middlewares);
- :class:`OutcomeMiddleware` (spider middleware, engine side of the others) counts what the
  callback gives, and settles items when they are dropped or their rows committed;
- the scheduler settles the parent of each request it is given (``tracker.parent_key``).
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.http import Response
from scrapy.utils.misc import arg_to_iter
from twisted.python.failure import Failure

from crawler.pipelines.write import RECEIPT

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator
    from typing import Self

    from scrapy.crawler import Crawler


@dataclass
class _Open:
    """A request being processed: outputs not settled yet, and whether more may come."""

    outputs: int = 0
    exhausted: bool = False
    claimed: bool = False  # its errback is counting the outputs (see TrackedErrback)


class OutcomeTracker(ABC):
    """Counts the outputs of the requests being processed; ``done`` once each is settled.

    ``key`` names the request's number in ``request.meta``; ``parent_key`` is set on the
    requests a callback yields, until the scheduler settles it.
    """

    key: str
    parent_key: str

    def __init__(self) -> None:
        self._open: dict[int, _Open] = {}

    @abstractmethod
    def done(self, number: int) -> None:
        """Request ``number`` is done (everything it gave is settled). Implementations drop
        its bookkeeping (``self._open.pop(number, None)``)."""

    def follow(self, number: int) -> _Open:
        """The bookkeeping of a request leaving the scheduler (kept if it is a re-request)."""
        return self._open.setdefault(number, _Open())

    def forget(self, number: int) -> None:
        """Stop following ``number`` without calling ``done``."""
        self._open.pop(number, None)

    def output(self, number: int, result: Any) -> None:
        if result is None or number not in self._open:
            return
        self._open[number].outputs += 1
        if isinstance(result, Request):
            result.meta[self.parent_key] = number

    def settle(self, number: int) -> None:
        """One output of request ``number`` is settled (enqueued, dropped, or committed)."""
        entry = self._open.get(number)
        if entry is not None:
            entry.outputs -= 1
            self._check(number, entry)

    def exhausted(self, number: int) -> None:
        """Request ``number`` gives no more outputs."""
        entry = self._open.get(number)
        if entry is not None:
            entry.exhausted = True
            self._check(number, entry)

    def _check(self, number: int, entry: _Open) -> None:
        if entry.exhausted and entry.outputs <= 0:
            self.done(number)

    def track(self, number: int, results: Iterable[Any]) -> Iterator[Any]:
        """``results`` (a callback's output), counted; exhausted when it ends or fails."""
        try:
            for result in results:
                self.output(number, result)
                yield result
        except Exception:  # a broken callback: done (GeneratorExit, a close, is not)
            self.exhausted(number)
            raise
        self.exhausted(number)

    async def track_async(self, number: int, results: AsyncIterator[Any]) -> AsyncIterator[Any]:
        try:
            async for result in results:
                self.output(number, result)
                yield result
        except Exception:
            self.exhausted(number)
            raise
        self.exhausted(number)

    def leaving(self, request: Request) -> None:
        """A request with number leaves the scheduler: follow it, wrap its errback."""
        number = request.meta[self.key]
        self.follow(number)
        if request.errback is not None and not isinstance(request.errback, TrackedErrback):
            request.errback = TrackedErrback(self, number, request.errback)

    def arriving(self, request: Request) -> int | None:
        """A request reaches the scheduler: unwrap its errback (a re-request of one being
        processed gets the spider's own back, which can be serialized); :returns: its parent's
        number, to settle once the request is enqueued or dropped."""
        if isinstance(request.errback, TrackedErrback):
            request.errback = request.errback.original
        return request.meta.pop(self.parent_key, None)


class TrackedErrback:
    """A request's errback while it is processed, counting what it gives.

    A download failure reaches the errback without passing the spider middlewares, so this
    wrapper, set when the request leaves the scheduler, does ``OutcomeMiddleware``'s counting
    for it. It is never serialized: the scheduler puts the spider's own back on enqueue.
    """

    def __init__(self, tracker: OutcomeTracker, number: int, original: Any) -> None:
        self.tracker = tracker
        self.number = number
        self.original = original

    def __call__(self, failure: Failure) -> Any:
        entry = self.tracker.follow(self.number)
        entry.claimed = True
        try:
            output = self.original(failure)
        except Exception:
            self.tracker.exhausted(self.number)
            raise
        if output is None or isinstance(output, Failure):
            self.tracker.exhausted(self.number)
            return output
        if inspect.iscoroutine(output):
            return self.tracker.track_async(self.number, _awaited(output))
        if inspect.isasyncgen(output):
            return self.tracker.track_async(self.number, output)
        return self.tracker.track(self.number, arg_to_iter(output))


class OutcomeMiddleware:
    """Counts what each followed request's callback gives and settles it (module docstring).

    Subclasses say where the crawl's tracker is (:meth:`tracker_of`).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(middleware.item_settled, signal=signals.item_dropped)
        crawler.signals.connect(middleware.item_settled, signal=signals.item_error)
        return middleware

    def tracker_of(self, crawler: Crawler) -> OutcomeTracker | None:
        """The crawl's tracker, once its scheduler made one (built after the middlewares)."""
        raise NotImplementedError

    def _followed(self, response: Response | Failure | None) -> tuple[OutcomeTracker, int] | None:
        tracker = self.tracker_of(self.crawler)
        if tracker is None or response is None:
            return None
        request = response.request if isinstance(response, Response) else None
        if isinstance(response, Failure):
            request = getattr(response, "request", None)
        number = request.meta.get(tracker.key) if request is not None else None
        return None if number is None else (tracker, number)

    def _counted(self, response: Response) -> tuple[OutcomeTracker, int] | None:
        followed = self._followed(response)
        if followed is None:
            return None
        entry = followed[0].follow(followed[1])
        return None if entry.claimed else followed

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        counted = self._counted(response)
        return result if counted is None else counted[0].track(counted[1], result)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        counted = self._counted(response)
        results = result if counted is None else counted[0].track_async(counted[1], result)
        async for item in results:
            yield item

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        if (followed := self._followed(response)) is not None:
            followed[0].exhausted(followed[1])

    def item_scraped(self, item: Any, response: Response | Failure | None) -> None:
        followed = self._followed(response)
        if followed is None:
            return
        tracker, number = followed
        receipt = getattr(item, RECEIPT, None)
        if receipt is None:
            tracker.settle(number)  # not an item the writer keeps
        else:
            receipt.when_settled(partial(tracker.settle, number))

    def item_settled(self, item: Any, response: Response | Failure | None) -> None:
        if (followed := self._followed(response)) is not None:
            followed[0].settle(followed[1])


async def _awaited(coroutine: Any) -> AsyncIterator[Any]:
    for result in arg_to_iter(await coroutine):
        yield result
