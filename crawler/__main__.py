"""``python -m crawler COMMAND``: maintenance commands for the datasets.

- ``compact DATASET_URI [--rejects REJECTS_URI]``: merge each partition's files, keeping the
  latest version of each article, and of the rejects the latest of each URL not stored as an
  article (``crawler.compact``).
- ``migrate DATASET_URI [--rejects REJECTS_URI]``: move a dataset written before editions
  (``date=`` folders at its top) into ``edition=en/`` (``crawler.migrate``).
- ``report DATASET_URI [--rejects REJECTS_URI] --out report.html``: one self-contained HTML page of
  what the dataset holds and how its crawl jobs went (``crawler.report``).
- ``frontier-clean FRONTIER_URL --crawl ID [--force]``: remove a finished (or abandoned) crawl's
  keys from the shared frontier on Redis (``crawler.frontier``); refused while a worker of it is
  alive unless ``--force``. The password comes from ``SPUTNIK_REDIS_PASSWORD``.
"""

from __future__ import annotations

import sys

COMMANDS = ("compact", "migrate", "report", "frontier-clean")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        print(f"usage: python -m crawler {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        print(__doc__.split("\n\n", 1)[1].rstrip(), file=sys.stderr)
        return 2
    if args[0] == "report":
        from crawler import report

        return report.main(args[1:])
    if args[0] == "frontier-clean":
        from crawler import frontier

        return frontier.main(args[1:])
    if args[0] == "migrate":
        from crawler import migrate

        return migrate.main(args[1:])
    from crawler import compact

    return compact.main(args[1:])


if __name__ == "__main__":
    sys.exit(main())
