"""``DOWNLOADER``: Scrapy's downloader, holding each slot to its concurrency.

Scrapy 2.19's ``Downloader._process_queue`` hands a slot's queued requests to tasks
(``_schedule_coro``) and counts a request as transferring only once its task runs: requests
that reach one slot in one burst (start requests, a listing's links, with the asyncio reactor)
are all sent at once, whatever ``CONCURRENT_REQUESTS_PER_DOMAIN`` says (seen: 7 at once for a
limit of 2). Politeness per public host (``crawler.urls.fetch``: the slot is the public host)
rests on that limit, so this downloader counts a request as transferring when it takes it from
the queue. The method is Scrapy's own otherwise (a private one: ``tests/test_hosts.py``
measures the concurrency per host a server sees, and fails if an upgrade breaks this).
"""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING

from scrapy.core.downloader import Downloader
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot


class SlotDownloader(Downloader):
    """Scrapy's ``Downloader``; a slot never transfers more than its concurrency (see the
    module)."""

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            # Counted now, not when the task starts: the loop's next turn must see it.
            slot.transferring.add(request)
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:  # one at a time when requests are spaced
                self._process_queue(slot)
                break
