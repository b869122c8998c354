"""``python -m crawler report DATASET_URI [--rejects REJECTS_URI] --out report.html``: what a
dataset holds and how its crawls went, as one self-contained HTML page.

The page opens offline: charts are matplotlib figures inlined as SVG (Agg backend, text kept as
text), tables are plain HTML, the only style sheet is inline; nothing is fetched. It shows:

- articles and rejects per edition (``edition=`` folders), with their first and last day;
- articles per day, by section (is the crawl keeping up?);
- field coverage per day, the share of rows with each field non-empty (a markup change shows as a
  drop);
- layouts per day (which extractor read the rows; empty for files written before ``layout``);
- rejects per day, by reason (from ``--rejects``);
- top tags, authors and sections;
- crawl jobs: rows per ``job_id`` and each job's health verdict, from
  ``<DATASET_URI>/_health/<job_id>.json`` (written at the end of every crawl);
- dataset size and files per partition (many files per partition: run ``compact``).

Only the columns it needs are read (never ``body``), through :func:`crawler.dataset.open_dataset`,
so files older than a column read with it empty; numbers come from DuckDB over those Arrow tables.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.fs as pafs

from crawler.dataset import dataset_files, dataset_schema, open_dataset, resolve_uri
from crawler.items import ArticleItem, RejectItem

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import duckdb

logger = logging.getLogger(__name__)

HEALTH_FOLDER = "_health"
# Fields whose share of non-empty rows the coverage chart draws (``body`` stands as word_count).
COVERAGE_FIELDS = (
    "headline",
    "published_at",
    "description",
    "section",
    "tags",
    "authors",
    "image_url",
    "modified_at",
    "word_count",
)
ARTICLE_COLUMNS = ("edition", "date", "job_id", "fetched_at", "layout", *COVERAGE_FIELDS)
REJECT_COLUMNS = ("edition", "date", "job_id", "reason")
LIST_FIELDS = frozenset({"tags", "authors"})
TEXT_FIELDS = frozenset({"headline", "description", "section", "image_url"})
TOP_N = 15  # rows in the top tags/authors/sections tables
STACK_MAX = 8  # series in a stacked chart; the rest is "other"
NO_LAYOUT = "(not recorded)"  # rows written before the layout column existed
VERDICT_COLOURS = {"healthy": "#2e7d32", "failed": "#c62828", "no record": "#9e9e9e"}
MIN_SLOTS = 12  # bar positions a chart of jobs or partitions has room for, at least
FIGURE_SIZE = (9.0, 3.2)  # inches; 100 px each in the browser


@dataclass
class Health:
    """A job's health record, as far as it could be read."""

    job_id: str
    healthy: bool | None
    started_at: str | None = None
    finished_at: str | None = None
    finish_reason: str | None = None
    failures: str = ""


def read_table(uri: str, item_class: type, columns: Sequence[str]) -> pa.Table:
    """Those columns of a dataset; an empty table when it has no files (or no folder)."""
    filesystem, root = resolve_uri(uri)
    if not dataset_files(filesystem, root):
        return dataset_schema(item_class).empty_table().select(list(columns))
    return open_dataset(uri, item_class).to_table(columns=list(columns))


def partition_files(uri: str) -> list[tuple[str, int, int]]:
    """``(partition, files, bytes)`` for each partition folder of a dataset, sorted."""
    filesystem, root = resolve_uri(uri)
    files = dataset_files(filesystem, root)
    sizes: dict[str, list[int]] = {}
    infos = filesystem.get_file_info([f"{root}/{name}" for name in files])
    for name, info in zip(files, infos, strict=True):
        partition = name.rsplit("/", 1)[0] if "/" in name else "(root)"
        entry = sizes.setdefault(partition, [0, 0])
        entry[0] += 1
        entry[1] += info.size or 0
    return [(partition, n, size) for partition, (n, size) in sorted(sizes.items())]


def read_health(uri: str) -> dict[str, Health]:
    """The health records under ``<uri>/_health/``, by job id; unreadable ones say so."""
    filesystem, root = resolve_uri(uri)
    selector = pafs.FileSelector(f"{root}/{HEALTH_FOLDER}", allow_not_found=True)
    records: dict[str, Health] = {}
    for info in filesystem.get_file_info(selector):
        name = info.base_name
        if info.type != pafs.FileType.File or not name.endswith(".json") or name.startswith("."):
            continue  # a record being written is a temp name
        job_id = name.removesuffix(".json")
        try:
            with filesystem.open_input_stream(info.path) as stream:
                record = json.loads(stream.read())
            failures = "; ".join(
                f"{failure.get('monitor', '?')}: {failure.get('reason', '?')}"
                for failure in record.get("failures") or []
            )
            healthy = record["healthy"]
            if not isinstance(healthy, bool):
                raise TypeError("healthy is not true or false")
            records[job_id] = Health(
                job_id=str(record.get("job_id") or job_id),
                healthy=healthy,
                started_at=record.get("started_at"),
                finished_at=record.get("finished_at"),
                finish_reason=record.get("finish_reason"),
                failures=failures,
            )
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            logger.warning("Cannot read the health record %s: %s", info.path, exc)
            records[job_id] = Health(job_id=job_id, healthy=None, failures=f"unreadable: {exc}")
    return records


def non_empty(field: str) -> str:
    """A DuckDB expression: 1.0 when the row's ``field`` holds something, else 0.0."""
    if field in LIST_FIELDS:
        test = f"len(coalesce({field}, [])) > 0"
    elif field in TEXT_FIELDS:
        test = f"nullif(trim({field}), '') IS NOT NULL"
    else:
        test = f"{field} IS NOT NULL"
    return f"CASE WHEN {test} THEN 1.0 ELSE 0.0 END"


def pivot(rows: Iterable[tuple[Any, Any, int | float]]) -> tuple[list[Any], dict[Any, list[Any]]]:
    """``(x, series, value)`` rows into the sorted x values and one list per series (0 if none)."""
    data = list(rows)
    xs = sorted({x for x, _, _ in data})
    index = {x: i for i, x in enumerate(xs)}
    series: dict[Any, list[Any]] = {}
    for x, name, value in data:
        series.setdefault(name, [0] * len(xs))[index[x]] = value
    return xs, series


def keep_largest(series: dict[str, list[Any]], limit: int = STACK_MAX) -> dict[str, list[Any]]:
    """The ``limit - 1`` largest series and the sum of the rest as ``other``."""
    if len(series) <= limit:
        return dict(sorted(series.items(), key=lambda kv: -sum(kv[1])))
    ranked = sorted(series.items(), key=lambda kv: -sum(kv[1]))
    kept = dict(ranked[: limit - 1])
    kept["other"] = [
        sum(values) for values in zip(*(v for _, v in ranked[limit - 1 :]), strict=True)
    ]
    return kept


def figure_svg(fig: Any) -> str:
    """A matplotlib figure as an inline ``<svg>`` element (no XML prolog, no metadata)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",)  # Debian fonts-wqy-zenhei


def new_axes() -> tuple[Any, Any]:
    """A figure and axes in the report's size and style."""
    import matplotlib

    matplotlib.use("Agg")  # no GUI; the report is made on servers
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    # WenQuanYi Zen Hei has one weight, 500: matplotlib warns on every "normal" text it finds
    # it for, which is what we want it to do.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    cjk = []
    for path in CJK_FONT_FILES:  # by path: matplotlib's font cache may predate the package
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            cjk.append(font_manager.FontProperties(fname=path).get_name())
    matplotlib.rcParams.update(
        {
            # Tags and sections of the Chinese and Japanese editions: matplotlib falls back
            # glyph by glyph to a CJK font when one is installed (scripts/system-packages.txt).
            "font.family": ["DejaVu Sans", *cjk],
            "svg.fonttype": "none",  # text stays text: smaller, selectable
            "svg.hashsalt": "crawler-report",  # stable ids from run to run
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=FIGURE_SIZE)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts; percentages too
    return fig, ax


def stacked_bars(days: Sequence[date], series: dict[str, list[Any]], ylabel: str) -> str:
    """Stacked bars, one stack per day on a time axis (missing days show as gaps), as SVG."""
    fig, ax = new_axes()
    bottom = [0.0] * len(days)
    for name, values in series.items():
        ax.bar(days, values, bottom=bottom, label=str(name), width=0.8, linewidth=0)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel(ylabel)
    date_axis(ax, days)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return figure_svg(fig)


def lines(days: Sequence[date], series: dict[str, list[Any]], ylabel: str) -> str:
    """One line per series (percentages) over days, as SVG."""
    fig, ax = new_axes()
    for name, values in series.items():
        ax.plot(days, values, marker="o", markersize=3, linewidth=1.2, label=str(name))
    ax.set_ylabel(ylabel)
    ax.set_ylim(-3, 103)
    date_axis(ax, days)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return figure_svg(fig)


def date_axis(ax: Any, days: Sequence[date]) -> None:
    """Concise date ticks; a few days of margin so that one day is not one huge bar."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if days:
        first, last = min(days), max(days)
        margin = max(timedelta(days=3), (last - first) / 40)
        ax.set_xlim(first - margin - timedelta(days=0.5), last + margin + timedelta(days=0.5))


def tidy_x(ax: Any, labels: Sequence[str]) -> None:
    """At most ~20 readable tick labels, rotated."""
    step = max(1, len(labels) // 20)
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xlim(-0.8, max(len(labels), MIN_SLOTS) - 0.2)  # one bar is not the whole width
    ax.set_xticklabels(labels[::step], rotation=45, ha="right", fontsize=7)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], css: str = "") -> str:
    """A plain HTML table, every cell escaped; numbers right-aligned."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for value in row:
            kind = ' class="n"' if isinstance(value, int | float) else ""
            text = "" if value is None else str(value)
            cells.append(f"<td{kind}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    attrs = f' class="{css}"' if css else ""
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def section(anchor: str, title: str, purpose: str, content: str) -> str:
    """One titled block of the report with its one-line "what this is for"."""
    return (
        f'<section id="{anchor}"><h2>{html.escape(title)}</h2>'
        f'<p class="why">{html.escape(purpose)}</p>{content}</section>'
    )


def empty(what: str) -> str:
    return f'<p class="empty">{html.escape(what)}</p>'


def human_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"  # pragma: no cover


class Report:
    """The numbers and charts of one dataset (and its rejects)."""

    def __init__(self, dataset_uri: str, rejects_uri: str | None = None) -> None:
        import duckdb

        self.dataset_uri = dataset_uri
        self.rejects_uri = rejects_uri
        self.con: duckdb.DuckDBPyConnection = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.register("articles", read_table(dataset_uri, ArticleItem, ARTICLE_COLUMNS))
        self.con.register(
            "rejects",
            read_table(rejects_uri, RejectItem, REJECT_COLUMNS)
            if rejects_uri
            else dataset_schema(RejectItem).empty_table().select(list(REJECT_COLUMNS)),
        )
        self.articles = self.scalar("SELECT count(*) FROM articles")
        self.rejects = self.scalar("SELECT count(*) FROM rejects")

    def scalar(self, sql: str) -> Any:
        row = self.con.execute(sql).fetchone()
        return row[0] if row else None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def editions(self) -> str:
        rows = self.rows(
            "WITH a AS (SELECT edition, count(*) AS n, min(date) AS first, max(date) AS last"
            " FROM articles GROUP BY edition),"
            " r AS (SELECT edition, count(*) AS n FROM rejects GROUP BY edition)"
            " SELECT coalesce(a.edition, r.edition), coalesce(a.n, 0), coalesce(r.n, 0),"
            " a.first, a.last FROM a FULL OUTER JOIN r ON a.edition = r.edition"
            " ORDER BY 2 DESC, 1"
        )
        if not rows:
            return empty("No articles or rejects in the dataset.")
        headers = ("edition", "articles", "rejects", "first day", "last day")
        return table(headers, rows, "editions")

    def per_day(self) -> str:
        rows = self.rows(
            "SELECT date, coalesce(nullif(trim(section), ''), '(none)'), count(*)"
            " FROM articles GROUP BY ALL"
        )
        if not rows:
            return empty("No articles in the dataset.")
        xs, series = pivot(rows)
        totals = self.rows("SELECT date, count(*) FROM articles GROUP BY date ORDER BY date")
        return stacked_bars(xs, keep_largest(series), "articles") + details(
            "Articles per day", table(("day", "articles"), totals, "per-day")
        )

    def coverage(self) -> str:
        if not self.articles:
            return empty("No articles in the dataset.")
        columns = ", ".join(f"100 * avg({non_empty(f)}) AS {f}" for f in COVERAGE_FIELDS)
        rows = self.rows(f"SELECT date, {columns} FROM articles GROUP BY date ORDER BY date")
        xs = [row[0] for row in rows]
        series = {f: [row[i + 1] for row in rows] for i, f in enumerate(COVERAGE_FIELDS)}
        overall = self.rows(f"SELECT {columns} FROM articles")[0]
        summary = table(
            ("field", "rows with it (%)"),
            [(f, round(value, 1)) for f, value in zip(COVERAGE_FIELDS, overall, strict=True)],
            "coverage",
        )
        return lines(xs, series, "rows with the field (%)") + details("Over the dataset", summary)

    def layouts(self) -> str:
        rows = self.rows(
            f"SELECT date, coalesce(layout, '{NO_LAYOUT}'), count(*) FROM articles GROUP BY ALL"
        )
        if not rows:
            return empty("No articles in the dataset.")
        xs, series = pivot(rows)
        totals = self.rows(
            f"SELECT coalesce(layout, '{NO_LAYOUT}') AS layout, count(*) AS n FROM articles"
            " GROUP BY ALL ORDER BY n DESC, layout"
        )
        return stacked_bars(xs, keep_largest(series), "articles") + table(
            ("layout", "articles"), totals, "layouts"
        )

    def rejects_per_day(self) -> str:
        if not self.rejects_uri:
            return empty("No rejects dataset given (--rejects).")
        rows = self.rows("SELECT date, reason, count(*) FROM rejects GROUP BY ALL")
        if not rows:
            return empty("No rejects.")
        xs, series = pivot(rows)
        totals = self.rows(
            "SELECT reason, count(*) AS n FROM rejects GROUP BY reason ORDER BY n DESC, reason"
        )
        return stacked_bars(xs, keep_largest(series), "rejects") + table(
            ("reason", "rejects"), totals, "reasons"
        )

    def top(self) -> str:
        if not self.articles:
            return empty("No articles in the dataset.")
        parts = []
        for title, expr in (
            ("tags", "unnest(tags)"),
            ("authors", "unnest(authors)"),
            ("sections", "nullif(trim(section), '')"),
        ):
            rows = self.rows(
                f"SELECT value, count(*) AS n FROM (SELECT {expr} AS value FROM articles)"
                f" WHERE value IS NOT NULL GROUP BY value ORDER BY n DESC, value LIMIT {TOP_N}"
            )
            parts.append(
                f'<div class="top"><h3>Top {title}</h3>'
                + (
                    table((title[:-1], "articles"), rows, f"top-{title}")
                    if rows
                    else empty("None.")
                )
                + "</div>"
            )
        return '<div class="tops">' + "".join(parts) + "</div>"

    def jobs(self) -> str:
        counts: dict[str, list[Any]] = {}
        for job, n, first in self.rows(
            "SELECT coalesce(job_id, '(none)'), count(*), min(fetched_at) FROM articles GROUP BY 1"
        ):
            counts[job] = [n, 0, first]
        for job, n in self.rows(
            "SELECT coalesce(job_id, '(none)'), count(*) FROM rejects GROUP BY 1"
        ):
            counts.setdefault(job, [0, 0, None])[1] = n
        health = read_health(self.dataset_uri)
        for job in health:
            counts.setdefault(job, [0, 0, None])
        if not counts:
            return empty("No crawl jobs: no rows and no health records.")

        def started(job: str) -> str:
            record = health.get(job)
            if record and record.started_at:
                return str(record.started_at)
            first = counts[job][2]
            if isinstance(first, datetime):
                return first.astimezone(UTC).isoformat(timespec="seconds")
            return ""

        order = sorted(counts, key=lambda job: (started(job), job))
        verdicts = [verdict(health.get(job)) for job in order]
        fig, ax = new_axes()
        labels = [job[:24] for job in order]
        articles = [counts[job][0] for job in order]
        rejects = [counts[job][1] for job in order]
        colours = [VERDICT_COLOURS[v] for v in verdicts]
        ax.bar(range(len(order)), articles, color=colours, width=0.8)
        ax.bar(
            range(len(order)),
            rejects,
            bottom=articles,
            color=colours,
            alpha=0.35,
            width=0.8,
            hatch="//",
        )
        ax.set_ylabel("rows (solid: articles, hatched: rejects)")
        tidy_x(ax, labels)
        from matplotlib.patches import Patch

        handles = [Patch(color=c, label=v) for v, c in VERDICT_COLOURS.items()]
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        rows = []
        for job, v in zip(order, verdicts, strict=True):
            record = health.get(job)
            rows.append(
                (
                    job,
                    started(job),
                    record.finished_at if record else None,
                    record.finish_reason if record else None,
                    counts[job][0],
                    counts[job][1],
                    v,
                    record.failures if record else None,
                )
            )
        headers = (
            "job",
            "started",
            "finished",
            "finish reason",
            "articles",
            "rejects",
            "health",
            "failures",
        )
        return figure_svg(fig) + table(headers, rows, "jobs")

    def storage(self) -> str:
        parts = []
        for label, uri in (("articles", self.dataset_uri), ("rejects", self.rejects_uri)):
            if not uri:
                continue
            partitions = partition_files(uri)
            if not partitions:
                parts.append(empty(f"The {label} dataset has no files."))
                continue
            files = sum(n for _, n, _ in partitions)
            size = sum(s for _, _, s in partitions)
            crowded = [p for p in partitions if p[1] > 1]
            hint = (
                f" {len(crowded)} partitions hold more than one file:"
                f" <code>python -m crawler compact {html.escape(self.dataset_uri)}"
                + (f" --rejects {html.escape(self.rejects_uri)}" if self.rejects_uri else "")
                + "</code> merges them."
                if crowded
                else " One file per partition: nothing to compact."
            )
            parts.append(
                f'<h3>{label.capitalize()}</h3><p class="size">{human_bytes(size)} in {files}'
                f" files, {len(partitions)} partitions.{hint}</p>"
            )
            fig, ax = new_axes()
            names = [short_partition(p[0]) for p in partitions]
            ax.bar(range(len(names)), [p[1] for p in partitions], color="#5c6bc0", width=0.8)
            ax.set_ylabel("files")
            tidy_x(ax, names)
            parts.append(figure_svg(fig))
            parts.append(
                details(
                    f"Files per {label} partition",
                    table(
                        ("partition", "files", "bytes"),
                        partitions,
                        f"partitions-{label}",
                    ),
                )
            )
        return "".join(parts)

    def html(self) -> str:
        """The whole page."""
        blocks = [
            section(
                "editions",
                "Editions",
                "Articles and rejects of each edition (its edition= folder): an edition with"
                " rejects and no articles is blocked or has changed its pages.",
                self.editions(),
            ),
            section(
                "articles-per-day",
                "Articles per day, by section",
                "How many articles each publication day holds: gaps or a sudden fall mean the"
                " crawl is missing days.",
                self.per_day(),
            ),
            section(
                "coverage",
                "Field coverage per day",
                "Share of rows with each field non-empty: a drop on some day means the site's"
                " markup changed and a field is no longer found.",
                self.coverage(),
            ),
            section(
                "layouts",
                "Layouts per day",
                "Which page layout each row was read from (current, earlier, generic): a shift"
                " away from 'current' means the site changed its pages.",
                self.layouts(),
            ),
            section(
                "rejects",
                "Rejects per day, by reason",
                "Pages fetched but not stored, and why: a new or growing reason is the first"
                " sign of blocking or markup changes.",
                self.rejects_per_day(),
            ),
            section(
                "top",
                "Top tags, authors and sections",
                "What the dataset is about and who wrote it.",
                self.top(),
            ),
            section(
                "jobs",
                "Crawl jobs",
                "Rows each crawl job wrote and its health verdict (from _health/): red jobs"
                " failed a monitor, see their failures and log.",
                self.jobs(),
            ),
            section(
                "storage",
                "Dataset size and files per partition",
                "Many small files per partition slow readers down: compact them.",
                self.storage(),
            ),
        ]
        title = f"Crawl report: {self.dataset_uri}"
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>"
            f'<p class="summary">{self.articles} articles, {self.rejects} rejects'
            f"{'' if self.rejects_uri else ' (no rejects dataset given)'}. Generated"
            f" {generated}.</p>" + "".join(blocks) + "</body></html>\n"
        )


def short_partition(partition: str) -> str:
    """A chart label for a partition folder: ``en 2024-04-10`` for
    ``edition=en/date=2024-04-10``."""
    return " ".join(part.partition("=")[2] or part for part in partition.split("/"))


def verdict(record: Health | None) -> str:
    if record is None or record.healthy is None:
        return "no record"
    return "healthy" if record.healthy else "failed"


def details(summary: str, content: str) -> str:
    return f"<details><summary>{html.escape(summary)}</summary>{content}</details>"


STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin:1.6em 0 .2em}h3{font-size:1em;margin:.8em 0 .3em}
p.why{color:#555;margin:0 0 .5em}p.empty{color:#777;font-style:italic}
svg{max-width:100%;height:auto}
table{border-collapse:collapse;margin:.4em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:2px 8px;text-align:left}td.n{text-align:right}
th{background:#f3f3f3}.tops{display:flex;gap:2em;flex-wrap:wrap}
code{background:#f3f3f3;padding:0 3px}
"""


def write_report(dataset_uri: str, out: str, rejects_uri: str | None = None) -> str:
    """Write the report of a dataset to ``out``; return the path written."""
    page = Report(dataset_uri, rejects_uri).html()
    with open(out, "w", encoding="utf-8") as stream:
        stream.write(page)
    return out


def main(argv: list[str] | None = None) -> int:
    """The ``report`` command; its exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m crawler report",
        description="Write one self-contained HTML report of a dataset and its crawl jobs.",
    )
    parser.add_argument("dataset_uri", metavar="DATASET_URI")
    parser.add_argument("--rejects", metavar="REJECTS_URI", help="the rejects dataset")
    parser.add_argument("--out", required=True, help="the HTML file to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    path = write_report(args.dataset_uri, args.out, args.rejects)
    print(f"Report written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
