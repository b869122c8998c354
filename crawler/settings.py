"""Scrapy settings for the sputnik crawler.

Only settings that differ from Scrapy's defaults, plus the project's own. Override any of them
with ``scrapy crawl sputnik -s NAME=VALUE`` or scrapyd's ``setting=NAME=VALUE``.
"""

BOT_NAME = "crawler"

SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# `scrapy crawl` with one-line errors for bad settings and the project's exit codes.
COMMANDS_MODULE = "crawler.commands"

# Politeness for the live site; the tests and benchmarks on the mirror turn throttling off.
# Per public host: every request's download slot is its public host (crawler.urls.fetch), also
# through one SITE_ORIGIN, so concurrency and AutoThrottle's delay apply per edition host, and the
# downloader-aware queue hands out the host with the fewest downloads first: a slow edition never
# stalls the others. It needs CONCURRENT_REQUESTS_PER_IP = 0 (Scrapy's default).
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0  # seconds
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS_PER_DOMAIN = 4
CONCURRENT_REQUESTS_PER_IP = 0
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
# Scrapy's downloader, holding each slot to its concurrency (Scrapy 2.19 lets bursts past it).
DOWNLOADER = "crawler.downloader.SlotDownloader"
# robots.txt per public host (crawler.robots), fetched as any page of that host.
ROBOTSTXT_OBEY = True
# Through one origin, only the Host header tells two editions' pages at one path apart.
REQUEST_FINGERPRINTER_CLASS = "crawler.middlewares.HostFingerprinter"
USER_AGENT = "sputnik-crawler/0.1 (+https://github.com/example/sputnik-crawler; research crawler)"

# Retries: Scrapy's, with a wait that doubles and honours Retry-After (crawler.middlewares).
# Redirects: Scrapy's, followed only on the site; a chain that returns to its first URL is not
# dropped as a duplicate.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.SiteMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.ChainRedirectMiddleware": 600,
    # A canonical URL that is a 404: its old form, once (markup.md §4).
    "crawler.middlewares.OldFormMiddleware": 590,
    # After retries, redirects and decompression: it sees the page the spider would get.
    "crawler.render.RenderMiddleware": 540,
    # One robots.txt per public host, not one per origin (Scrapy's position).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.PublicRobotsTxtMiddleware": 100,
}
RETRY_AFTER_MAX_SECS = 300
RETRY_BACKOFF_BASE_SECS = 1.0
RETRY_BACKOFF_MAX_SECS = 60.0
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_TIMES = 3  # initial response + 3 retries = 4 requests

# Related-article hops from the seeds (seeds are depth 0); 0 would mean no limit.
DEPTH_LIMIT = 3
DEPTH_STATS_VERBOSE = True

# Bigger responses are refused as too-large rejects, before or while downloading and again after
# unzipping (gzip bombs): articles are ~120-250 KB, a month's sitemap ~1 MB.
DOWNLOAD_MAXSIZE = 4 * 1024 * 1024  # bytes
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024  # bytes: a warning in the log

# Cookies are not needed; without them tldextract never looks for its suffix list online.
COOKIES_ENABLED = False

EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "crawler.extensions.ProgressLogStats": 0,
    # After Scrapy's CoreStats has the finish reason; before the summary, which gives the verdict.
    "crawler.monitors.HealthMonitors": 900,
    "crawler.extensions.CrawlSummary": 1000,
}
LOG_LEVEL = "INFO"  # Scrapy's DEBUG prints every scraped item whole
LOGSTATS_INTERVAL = 60.0  # seconds between progress lines
STATS_FILE = ""  # a path: the final stats are written there as JSON

SPIDER_MIDDLEWARES = {
    # With JOBDIR: notes when a request's outcome is committed (engine side of every other).
    "crawler.journal.JournalMiddleware": 5,
    # The last net: an exception out of a callback becomes an extract-error reject.
    "crawler.errors.ErrorRejectMiddleware": 10,
    # Requests for articles the dataset already holds are dropped before they are scheduled.
    "crawler.state.SkipStoredMiddleware": 950,
}

# With JOBDIR: a journal of the requests scheduled and done (crawler.journal), so that a crawl
# killed with SIGKILL resumes too; without JOBDIR it is Scrapy's own scheduler.
SCHEDULER = "crawler.journal.JournalScheduler"

# A crawl frontier shared by many workers (crawler.frontier): "redis://host:port/db" puts the
# queue and the duplicate filter on Redis, under keys named by the spider argument crawl (default:
# the spider's name and a hash of its arguments). The password comes from the environment only:
# SPUTNIK_REDIS_PASSWORD. Empty: this process's own queue (crawler.journal).
FRONTIER_URL = ""
FRONTIER_HEARTBEAT_SECS = 5.0  # a worker's report of its requests in flight; expires after 3x
ADDONS = {"crawler.frontier.FrontierAddon": 0}  # with FRONTIER_URL: the scheduler on Redis

ITEM_PIPELINES = {
    "crawler.pipelines.normalize.NormalizePipeline": 100,
    "crawler.pipelines.validate.ValidatePipeline": 200,
    "crawler.pipelines.write.ParquetWriterPipeline": 900,
}

# Output: Hive-partitioned Parquet datasets (crawler.pipelines.write).
DATASET_FLUSH_ROWS = 1000  # rows buffered before files are written (memory vs. file size)
DATASET_FLUSH_SECS = 60.0  # and at most this long, so a killed crawl loses little; 0: no limit
# Incremental crawls (crawler.state): what the dataset holds, in a SQLite file beside it.
DATASET_STATE_ENABLED = True
DATASET_STATE_PATH = ""  # "": <DATASET_URI>/_state/articles.sqlite; unused with FRONTIER_URL
DATASET_STATE_TIMEOUT_SECS = 120.0  # a flush waits this long for another job's write lock
# With FRONTIER_URL the state and its write lock are on Redis (crawler.shared_state). The lock's
# lease, renewed between partitions: far above one partition's upload (seconds), so only a
# stalled or cut-off holder loses it; below DATASET_STATE_TIMEOUT_SECS, so that the lock of a
# killed holder expires before a waiting flush gives up.
DATASET_LOCK_LEASE_SECS = 60.0
DATASET_URI = "data/articles"
REJECTS_URI = "data/rejects"
# Datasets on object storage (s3://bucket/prefix: crawler.dataset.s3_filesystem). Keys only from
# the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never here: Scrapy logs settings.
S3_ENDPOINT_URL = ""  # http(s)://host[:port] of an S3-compatible server; "": AWS_ENDPOINT_URL, AWS
S3_REGION = ""  # "": AWS_REGION from the environment, else the AWS SDK's default

# Health checks (crawler.monitors, on Spidermon): run at the end of a crawl and every period;
# a failed one makes `scrapy crawl` exit with 3. Shares are fractions of the pages.
HEALTH_FILE = ""  # a path: the monitors' verdict is written there as JSON
MONITOR_COVERAGE_MIN = {
    # The mirror lacks 1 % of headlines and dates by design, and has authors on 60 % of its
    # articles; a field gone from a tenth of the pages fails.
    "headline": 0.95,
    "published_at": 0.95,
    "body": 0.95,
    "description": 0.92,
    "section": 0.92,
    "tags": 0.92,
    "authors": 0.45,
}
MONITOR_ERRORS_ENABLED = True
MONITOR_ERRORS_MAX = 0  # ERROR log lines
MONITOR_LAYOUTS = ["current"]  # an archive crawl: current,earlier,generic
MONITOR_MARKUP_DRIFT_ENABLED = True
MONITOR_MIN_PAGES = 100  # share thresholds apply from this many pages on
MONITOR_NOTHING_WRITTEN_ENABLED = True
MONITOR_OTHER_LAYOUTS_MAX = 0.05
MONITOR_PERIOD_SECS = 600.0  # 0: only when the crawl ends
MONITOR_REJECTS_ENABLED = True
MONITOR_REJECTS_MAX = {
    "not-article": 0.1,
    "needs-js": 0.1,
    "http-4xx": 0.1,
    "http-5xx": 0.05,
    "download-error": 0.05,
}
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["crawler.monitors.HealthMonitorSuite"]

# Where the site's pages are fetched from. Empty: each edition from its own public host. An
# origin (the mirror, a caching proxy, an archive server): every edition's requests go there, the
# public host in the Host header. The data always keeps each edition's public https:// URLs.
SITE_ORIGIN = ""

# The editions table (crawler/editions.py): EDITIONS_FILE, a JSON file replacing the packaged
# crawler/editions.json; EDITIONS, a JSON object of edition code to the fields to change or add,
# e.g. {"ar": {"host": "sarabic.news", "former_hosts": ["sarabic.ae"]}}.
EDITIONS_FILE = ""
EDITIONS: dict[str, dict[str, object]] = {}

# Further "load more" pages of an HTML listing seed (sections, tag pages) after its first.
LISTING_MORE_PAGES = 0

# Pages that need a browser (crawler.render): auto renders only those, always every article,
# never none. The browser (crawler.browser, scrapy-playwright) starts at the first such page.
RENDER_JS = "auto"
RENDER_TIMEOUT_SECS = 10.0  # after load, for a script-built page to become complete
DOWNLOAD_HANDLERS = {
    "http": "crawler.browser.PlaywrightHandler",
    "https": "crawler.browser.PlaywrightHandler",
}
PLAYWRIGHT_ABORT_REQUEST = "crawler.browser.abort_request"  # no images, fonts or media
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # milliseconds
# Debian's chromium package; Playwright's own browser download is not needed.
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "headless": True,
    "args": [
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ],
}
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4  # pages open at once

# Consoles that run code sent to them over loopback: off; turn one on for a debugging session
# only (-s REMOTE_CONTROL_ENABLED=True, -s TELNETCONSOLE_ENABLED=True).
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Health notifications (crawler.notify): sent only when a health monitor fails. A webhook gets a
# JSON POST with a Slack-compatible body ({"text": ...}); e-mail goes through an SMTP server.
# Secrets come from the environment, never from settings (Scrapy logs overridden settings):
# SPUTNIK_HEALTH_WEBHOOK_URL (a Slack URL holds a token; used when HEALTH_WEBHOOK_URL is empty)
# and SPUTNIK_SMTP_PASSWORD (with HEALTH_SMTP_USER).
HEALTH_WEBHOOK_URL = ""  # "": no webhook (unless SPUTNIK_HEALTH_WEBHOOK_URL is set)
HEALTH_WEBHOOK_TIMEOUT_SECS = 10.0
HEALTH_EMAIL_FROM = "sputnik-crawler@localhost"
HEALTH_EMAIL_TO = []  # addresses; empty: no e-mail
HEALTH_SMTP_HOST = "localhost"
HEALTH_SMTP_PORT = 25
HEALTH_SMTP_STARTTLS = False
HEALTH_SMTP_TIMEOUT_SECS = 10.0
HEALTH_SMTP_USER = ""  # "": no login
