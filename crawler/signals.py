"""The project's own signals (sent with ``crawler.signals.send_catch_log``)."""

flush_requested = object()
"""Write what is buffered now (no arguments). The shared frontier (``crawler.frontier``) sends it
when the crawl is quiet but this worker still holds leases on requests whose rows are buffered:
the other workers wait for those leases, so they must not wait for ``DATASET_FLUSH_SECS``."""
