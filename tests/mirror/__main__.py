"""The mirror's command line.

Examples:

    python -u -m tests.mirror serve --port 0 --articles 300 --faults 'status=404@/20240101/*'
    python -m tests.mirror manifest --articles 300 --out manifest.jsonl
    python -m tests.mirror manifest --articles 300 --published 250   # the site earlier
    python -m tests.mirror manifest --articles 300 --archive 200     # and 2019-2020
    python -m tests.mirror page /robots.txt --articles 300
    python -m tests.mirror page /world/ --js-lists       # as a browser would first get it
    python -u -m tests.mirror serve --editions en,es,ar,zh,ja   # the Host header chooses
    python -m tests.mirror manifest --editions en,es --articles 300   # both editions' articles
    python -m tests.mirror page /robots.txt --editions en,zh --edition zh
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from tests.mirror import server
from tests.mirror.sites import Editions

if TYPE_CHECKING:
    from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mirror",
        description="An offline mirror of sputnikglobe.com, generated from a seeded model.",
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the site over HTTP",
        description="Serve the site over HTTP; the base URL is the first line on stdout.",
    )
    server.add_arguments(serve)
    serve.set_defaults(func=server.run)

    manifest = commands.add_parser("manifest", help="write the site's articles as JSON Lines")
    _site_arguments(manifest)
    manifest.add_argument("--out", metavar="FILE", help="output file (default: stdout)")
    manifest.set_defaults(func=_manifest)

    page = commands.add_parser("page", help="print one rendered page's body")
    page.add_argument("target", metavar="PATH", help="request target, e.g. /robots.txt")
    _site_arguments(page)
    page.add_argument(
        "--js-shells", type=int, default=0, metavar="PERCENT", help="as for serve (%(default)s)"
    )
    page.add_argument("--js-lists", action="store_true", help="as for serve")
    page.add_argument(
        "--edition", metavar="CODE", help="the edition to render (default: the first)"
    )
    page.set_defaults(func=_page)
    return parser


def _site_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--articles",
        type=int,
        default=server.DEFAULT_ARTICLES,
        help="articles in the site (%(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1, help="site seed (%(default)s)")
    parser.add_argument(
        "--editions",
        type=server._editions,
        default=("en",),
        metavar="CODES",
        help="editions, e.g. en,es,ar (en)",
    )
    parser.add_argument(
        "--archive", type=int, default=0, metavar="M", help="archive articles (%(default)s)"
    )
    parser.add_argument(
        "--published",
        type=int,
        metavar="K",
        help="only the first K articles in publication order are out (default: all)",
    )


def _manifest(args: argparse.Namespace) -> int:
    from tests.mirror import manifest  # only this command needs it

    served = Editions(args.editions, args.articles, args.seed, args.published, args.archive)
    sites = [served[code] for code in served.codes]
    if args.out is None:
        count = sum(manifest.write(site, sys.stdout) for site in sites)
    else:
        with open(args.out, "w", encoding="utf-8", newline="\n") as out:
            count = sum(manifest.write(site, out) for site in sites)
    print(f"{count} articles", file=sys.stderr)
    return 0


def _page(args: argparse.Namespace) -> int:
    from tests.mirror import pages, render_js

    served = Editions(args.editions, args.articles, args.seed, args.published, args.archive)
    if args.edition is not None and args.edition not in served.codes:
        raise SystemExit(f"--edition {args.edition} is not among --editions")
    site = served[args.edition] if args.edition else served.first
    page = pages.render(site, args.target, render_js.Options(args.js_shells, args.js_lists))
    print(f"{page.status} {page.content_type} {len(page.body)} bytes", file=sys.stderr)
    sys.stdout.buffer.write(page.body)
    sys.stdout.flush()
    return 0 if page.status < 400 else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        # The reader went away (``| head``): no traceback, and none again when stdout closes.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
