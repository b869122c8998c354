"""Tell someone when a crawl's health checks fail: a webhook POST and an e-mail.

Both are Spidermon actions for a ``MonitorSuite``'s ``monitors_failed_actions`` (see
:data:`FAILED_ACTIONS`), so they run only when a monitor failed. They read what failed from the
monitor results Spidermon passes them and say it in plain words: the spider, the job, each failed
monitor and its reason.

- :class:`WebhookAction` POSTs ``{"text": "..."}`` as JSON, the body of a Slack incoming webhook
  (Mattermost, Rocket.Chat, Google Chat and Teams workflows take the same), to
  ``HEALTH_WEBHOOK_URL`` or the ``SPUTNIK_HEALTH_WEBHOOK_URL`` environment variable.
- :class:`EmailAction` sends a plain-text mail to ``HEALTH_EMAIL_TO`` through
  ``HEALTH_SMTP_HOST``:``HEALTH_SMTP_PORT`` (``HEALTH_SMTP_STARTTLS``, ``HEALTH_SMTP_USER``, the
  password from ``SPUTNIK_SMTP_PASSWORD``). Spidermon's own ``SendSmtpEmail`` refuses to start
  without an SMTP user and password (a local relay has none), needs ``premailer`` (not installed)
  and hands the mail to Scrapy's asynchronous ``MailSender``, dropping its Deferred while the
  crawl closes; this one sends with ``smtplib`` before the close goes on.

A notification that cannot be delivered (refused, an HTTP error, a timeout) is logged at WARNING
and counted in ``sputnik/notify/failed/<channel>`` (else ``sputnik/notify/sent/<channel>``); it
never breaks the crawl's close. A channel not configured is skipped (Spidermon logs SKIPPED).
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from spidermon.core.actions import Action
from spidermon.exceptions import SkipAction

from crawler.config import get_config

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.config import NotifyConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    """One failed monitor: its name and why, in plain words."""

    monitor: str
    reason: str


def failures(result: Any) -> list[Failure]:
    """The failed (or crashed) monitors of a Spidermon ``MonitorResult``, in run order."""
    found = []
    for item in result.monitors_failed_results:
        reason = item.reason
        if not reason:  # an exception in the monitor: its last traceback line
            lines = (item.error or "").strip().splitlines()
            reason = lines[-1] if lines else "failed"
        found.append(Failure(item.monitor.name, str(reason).strip()))
    return found


def summary(spider: str, job_id: str | None, failed: list[Failure]) -> tuple[str, str]:
    """A one-line subject and a text listing each failed monitor and its reason."""
    job = f"job {job_id}" if job_id else "a job"
    names = ", ".join(f.monitor for f in failed) or "a monitor"
    subject = f"[{spider}] {job} failed its health checks: {names}"
    lines = [f"Crawl {spider!r}, {job}: {len(failed)} health check(s) failed."]
    lines += [f"- {f.monitor}: {f.reason}" for f in failed]
    return subject, "\n".join(lines)


class _NotifyAction(Action):
    """Shared by both channels: the crawler's notify config and the failure summary."""

    channel = ""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__()
        self.crawler = crawler
        self.config: NotifyConfig = get_config(crawler).notify

    @classmethod
    def from_crawler_kwargs(cls, crawler: Crawler) -> dict[str, Any]:
        return {"crawler": crawler}

    def message(self) -> tuple[str, str]:
        spider = self.data.get("spider") if self.data else None
        name = getattr(spider, "name", None) or "crawl"
        return summary(name, getattr(spider, "job_id", None), failures(self.result))

    def run_action(self) -> None:
        if self.data and self.data.get("periodic"):
            # The checks every MONITOR_PERIOD_SECS only log: a crawl notifies once, at its end.
            raise SkipAction("periodic health check")
        try:
            self.send(*self.message())
        except SkipAction:
            raise
        except Exception as exc:  # delivery is best effort: the crawl's close goes on
            logger.warning("Health %s not delivered: %s", self.channel, exc)
            self.crawler.stats.inc_value(f"sputnik/notify/failed/{self.channel}")
        else:
            self.crawler.stats.inc_value(f"sputnik/notify/sent/{self.channel}")

    def send(self, subject: str, text: str) -> None:
        raise NotImplementedError


class WebhookAction(_NotifyAction):
    """POSTs ``{"text": ...}`` (a Slack incoming-webhook body) to the health webhook."""

    channel = "webhook"

    def send(self, subject: str, text: str) -> None:
        url = self.config.webhook_url
        if not url:
            raise SkipAction("HEALTH_WEBHOOK_URL not set")
        body = json.dumps({"text": text}).encode()
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        # The URL's path and query may hold a token (Slack's do): log only its host.
        where = urlsplit(url).netloc
        try:
            with urllib.request.urlopen(request, timeout=self.config.webhook_timeout_secs) as r:
                r.read()
        except urllib.error.HTTPError as exc:
            raise OSError(f"webhook at {where} answered HTTP {exc.code}") from None
        except OSError as exc:
            reason = getattr(exc, "reason", exc)
            raise OSError(f"webhook at {where}: {reason}") from None
        logger.info("Health webhook sent to %s", where)


class EmailAction(_NotifyAction):
    """Mails the failure summary to ``HEALTH_EMAIL_TO`` through the health SMTP server."""

    channel = "email"

    def send(self, subject: str, text: str) -> None:
        config = self.config
        if not config.email_to:
            raise SkipAction("HEALTH_EMAIL_TO not set")
        mail = EmailMessage()
        mail["Subject"] = subject
        mail["From"] = config.email_from
        mail["To"] = ", ".join(config.email_to)
        mail.set_content(text)
        where = f"{config.smtp_host}:{config.smtp_port}"
        try:
            with smtplib.SMTP(
                config.smtp_host, config.smtp_port, timeout=config.smtp_timeout_secs
            ) as smtp:
                if config.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())  # verifies the cert
                if config.smtp_user:
                    smtp.login(config.smtp_user, config.smtp_password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise OSError(f"e-mail through {where}: {exc}") from None
        logger.info("Health e-mail sent to %s through %s", mail["To"], where)


FAILED_ACTIONS: list[type[Action]] = [WebhookAction, EmailAction]
"""What a health ``MonitorSuite`` puts in ``monitors_failed_actions`` (Spidermon wants classes)."""
