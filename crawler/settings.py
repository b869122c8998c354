"""Scrapy settings for the sputnik crawler.

Only settings that differ from Scrapy's defaults, plus the project's own
(``SITE_ORIGIN``, ``DATASET_URI``, ``REJECTS_URI``). Override any of them with
``scrapy crawl -s NAME=VALUE`` or scrapyd's ``setting=NAME=VALUE``.
"""

BOT_NAME = "crawler"

SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Politeness
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0  # seconds
CONCURRENT_REQUESTS_PER_DOMAIN = 4
ROBOTSTXT_OBEY = True
USER_AGENT = "sputnik-crawler/0.1 (+https://github.com/example/sputnik-crawler; research crawler)"

# Output
FEED_EXPORT_ENCODING = "utf-8"

# Project: where to crawl and where to write
DATASET_URI = "data/articles"
REJECTS_URI = "data/rejects"
SITE_ORIGIN = "https://sputnikglobe.com"

# Misc
TELNETCONSOLE_ENABLED = False
