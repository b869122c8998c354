"""Failed health checks are sent to a webhook and by e-mail; delivery failures never break a crawl.

Each test runs a real ``scrapy runspider tests/notify_spider.py`` subprocess whose Spidermon suite
has the project's actions (``crawler.notify.FAILED_ACTIONS``) as its failed actions, against a
webhook receiver (``tests/hostile.py``) and an SMTP server (``tests/smtp_sink.py``) in this
process: no mock objects.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.config import ConfigError
from tests.crawl import config_of
from tests.hostile import HostileServer, Reply, SeenRequest
from tests.smtp_sink import SmtpSink

REPO = Path(__file__).resolve().parents[1]
FAILING = "tests.notify_spider.FailingSuite"
PASSING = "tests.notify_spider.PassingSuite"


def run_spider(
    tmp_path: Path, suite: str, *settings: str, env: dict[str, str] | None = None
) -> tuple[int, dict, str]:
    """Run the quiet spider with ``suite`` at close: exit code, final stats, log."""
    stats_file = tmp_path / "stats.json"
    command = [sys.executable, "-m", "scrapy", "runspider", "tests/notify_spider.py"]
    command += ["-a", "job_id=job-42", "-s", f"SPIDERMON_SPIDER_CLOSE_MONITORS={suite}"]
    command += ["-s", f"STATS_FILE={stats_file}", "-s", f"DATASET_URI={tmp_path / 'articles'}"]
    command += ["-s", f"REJECTS_URI={tmp_path / 'rejects'}"]
    for setting in settings:
        command += ["-s", setting]
    done = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    return done.returncode, stats, done.stderr


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_failed_monitors_are_posted_to_the_webhook_and_mailed(tmp_path: Path) -> None:
    with HostileServer() as hook, SmtpSink() as smtp:
        hook.route("/hooks/T000/B000/secret", Reply(200, {"Content-Type": "text/plain"}, b"ok"))
        code, stats, log = run_spider(
            tmp_path,
            FAILING,
            "HEALTH_SMTP_HOST=127.0.0.1",
            f"HEALTH_SMTP_PORT={smtp.port}",
            "HEALTH_EMAIL_TO=ops@example.org,oncall@example.org",
            "HEALTH_EMAIL_FROM=crawler@example.org",
            # The URL holds a token: from the environment, not a logged setting.
            env={"SPUTNIK_HEALTH_WEBHOOK_URL": hook.url + "/hooks/T000/B000/secret"},
        )
        posts = [r for r in hook.requests if r.method == "POST"]
        mails = list(smtp.messages)
    assert code == 0, log
    assert stats["finish_reason"] == "finished"
    assert len(posts) == 1, log
    assert posts[0].headers["Content-Type"] == "application/json"
    body = json.loads(posts[0].body)
    assert list(body) == ["text"]  # a Slack incoming-webhook body
    text = body["text"]
    assert "quiet" in text and "job-42" in text
    assert "Nothing written/articles written: site unreachable" in text
    assert "Errors/error log lines" not in text  # it passed
    assert "secret" not in log  # the token is never logged

    assert len(mails) == 1, log
    mail = mails[0]
    assert "Nothing written/articles written" in mail["Subject"] and "job-42" in mail["Subject"]
    assert mail["From"] == "crawler@example.org"
    assert mail["To"] == "ops@example.org, oncall@example.org"
    assert smtp.envelopes[0][1] == ["ops@example.org", "oncall@example.org"]
    assert "Nothing written/articles written: site unreachable" in mail.get_content()
    assert stats["sputnik/notify/sent/webhook"] == 1 and stats["sputnik/notify/sent/email"] == 1


def test_a_passing_suite_sends_nothing(tmp_path: Path) -> None:
    with HostileServer() as hook, SmtpSink() as smtp:
        code, stats, log = run_spider(
            tmp_path,
            PASSING,
            f"HEALTH_WEBHOOK_URL={hook.url}/hook",
            "HEALTH_SMTP_HOST=127.0.0.1",
            f"HEALTH_SMTP_PORT={smtp.port}",
            "HEALTH_EMAIL_TO=ops@example.org",
        )
        assert hook.requests == [] and smtp.messages == []
    assert code == 0, log
    assert not [k for k in stats if k.startswith("sputnik/notify/")]


def test_unconfigured_channels_are_skipped(tmp_path: Path) -> None:
    code, stats, log = run_spider(tmp_path, FAILING)
    assert code == 0, log
    assert "WebhookAction... SKIPPED (HEALTH_WEBHOOK_URL not set)" in log
    assert "EmailAction... SKIPPED (HEALTH_EMAIL_TO not set)" in log
    assert not [k for k in stats if k.startswith("sputnik/notify/")]


def slow(request: SeenRequest) -> Reply:
    time.sleep(3)
    return Reply(200, body=b"late")


@pytest.mark.parametrize("fault", ["refused", "http-500", "timeout"])
def test_an_undeliverable_notification_is_a_warning_and_the_crawl_closes(
    tmp_path: Path, fault: str
) -> None:
    with HostileServer() as hook:
        hook.route("/500", Reply(500, body=b"boom"))
        hook.route("/slow", slow)
        url = {
            "refused": f"http://127.0.0.1:{free_port()}/hook",
            "http-500": hook.url + "/500",
            "timeout": hook.url + "/slow",
        }[fault]
        started = time.monotonic()
        code, stats, log = run_spider(
            tmp_path,
            FAILING,
            f"HEALTH_WEBHOOK_URL={url}",
            "HEALTH_WEBHOOK_TIMEOUT_SECS=0.5",
            # The mail server is down too.
            "HEALTH_SMTP_HOST=127.0.0.1",
            f"HEALTH_SMTP_PORT={free_port()}",
            "HEALTH_EMAIL_TO=ops@example.org",
        )
        elapsed = time.monotonic() - started
    assert code == 0, log
    assert stats["finish_reason"] == "finished"
    assert "WARNING: Health webhook not delivered: webhook at 127.0.0.1:" in log
    assert {"http-500": "HTTP 500", "timeout": "timed out", "refused": "refused"}[fault] in log
    assert "WARNING: Health email not delivered: e-mail through 127.0.0.1:" in log
    assert stats["sputnik/notify/failed/webhook"] == 1
    assert stats["sputnik/notify/failed/email"] == 1
    # Spidermon saw the actions finish: no action error (whose traceback would be an ERROR line).
    assert "WebhookAction... OK" in log and "EmailAction... OK" in log
    assert elapsed < 20


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HEALTH_WEBHOOK_URL", "ftp://127.0.0.1/hook"),
        ("HEALTH_WEBHOOK_URL", "hooks.example.org/x"),
        ("HEALTH_WEBHOOK_TIMEOUT_SECS", "0"),
        ("HEALTH_SMTP_PORT", "0"),
        ("HEALTH_SMTP_PORT", "70000"),
        ("HEALTH_SMTP_STARTTLS", "maybe"),
        ("HEALTH_SMTP_TIMEOUT_SECS", "never"),
        ("HEALTH_EMAIL_TO", "ops"),
    ],
)
def test_a_bad_notification_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        config_of({name: value})


def test_mail_needs_a_sender_and_a_server() -> None:
    with pytest.raises(ConfigError, match="HEALTH_EMAIL_FROM"):
        config_of({"HEALTH_EMAIL_TO": "ops@example.org", "HEALTH_EMAIL_FROM": ""})


def test_secrets_come_from_the_environment_and_stay_out_of_reprs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPUTNIK_HEALTH_WEBHOOK_URL", "https://hooks.example.org/T1/B2/token")
    monkeypatch.setenv("SPUTNIK_SMTP_PASSWORD", "hunter2")
    notify = config_of({}).notify
    assert notify.webhook_url == "https://hooks.example.org/T1/B2/token"
    assert notify.smtp_password == "hunter2"
    assert "token" not in repr(notify) and "hunter2" not in repr(notify)
    # A setting wins over the environment; a bad URL from the environment is named, not shown.
    assert config_of({"HEALTH_WEBHOOK_URL": "http://127.0.0.1/h"}).notify.webhook_url.endswith("/h")
    monkeypatch.setenv("SPUTNIK_HEALTH_WEBHOOK_URL", "not-a-url-token")
    with pytest.raises(ConfigError, match="SPUTNIK_HEALTH_WEBHOOK_URL") as error:
        config_of({})
    assert "token" not in str(error.value)
