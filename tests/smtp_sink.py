"""A minimal SMTP server on loopback for the notification tests: it keeps every mail it gets.

Python 3.12 drops ``smtpd`` and ``aiosmtpd`` is not a dependency, so this speaks just enough SMTP
(EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH) for ``smtplib`` to deliver.

    with SmtpSink() as smtp:
        ...  # send to 127.0.0.1:smtp.port
        message = smtp.messages[0]  # an email.message.Message
"""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage


class SmtpSink:
    """Accepts every mail on 127.0.0.1 (port 0: a free one) and keeps it in ``messages``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TOs)
        self._lock = threading.Lock()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[socketserver.StreamRequestHandler]:
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 sink ESMTP")
                sender, recipients = "", []
                while line := self.rfile.readline():
                    verb = line[:4].decode("ascii", "replace").upper()
                    argument = line[line.find(b":") + 1 :].strip().decode() if b":" in line else ""
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 sink")
                    elif verb == "MAIL":
                        sender, recipients = argument.strip("<>"), []
                        self.reply("250 ok")
                    elif verb == "RCPT":
                        recipients.append(argument.strip("<>"))
                        self.reply("250 ok")
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        self.receive(sender, recipients)
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 ok")
                    else:
                        self.reply("502 not implemented")

            def receive(self, sender: str, recipients: list[str]) -> None:
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)  # dot-unstuffing
                message = message_from_bytes(b"".join(lines), policy=policy.default)
                with sink._lock:
                    sink.envelopes.append((sender, recipients))
                    sink.messages.append(message)  # type: ignore[arg-type]

        return Handler
