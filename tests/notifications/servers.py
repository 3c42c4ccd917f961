"""Loopback servers for the notification tests: a real SMTP server (aiosmtpd) and a fake of
Slack's Web API (http.server), both on 127.0.0.1 — no test talks to the internet."""

from __future__ import annotations

import email
import json
import logging
import socket
import threading
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SinkHandler:
    """Keeps every accepted message; refuses RCPT for addresses in `refuse` with their reply,
    and every MAIL FROM with `mail_reply` when it is set (a relay refusing us)."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.refuse: dict[str, str] = {}
        self.mail_reply: str | None = None
        self.lock = threading.Lock()

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.mail_reply is not None:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # Parsed later, in the test: the sink must keep up with several workers.
        with self.lock:
            self.raw.append(envelope.original_content or b"")
        return "250 Message accepted for delivery"


class SmtpSink:
    """With `password`, the relay offers AUTH (without TLS, on loopback) and accepts only that
    password, for any user."""

    def __init__(self, password: str | None = None) -> None:
        # aiosmtpd logs every SMTP command at INFO: thousands of lines slow the sink down.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.handler = SinkHandler()
        self.port = free_port()
        auth: dict[str, Any] = {}
        if password is not None:

            def authenticator(
                server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
            ) -> AuthResult:
                ok = isinstance(data, LoginPassword) and data.password == password.encode()
                # handled=False: aiosmtpd answers the refusal itself (535).
                return AuthResult(success=ok, handled=False)

            auth = {"authenticator": authenticator, "auth_require_tls": False}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **auth)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def count(self) -> int:
        with self.handler.lock:
            return len(self.handler.raw)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            raw = list(self.handler.raw)
        return [email.message_from_bytes(r, policy=policy.default) for r in raw]


class FakeSlack:
    """Answers the few Web API methods Twoway calls and records every call."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.users = dict(users or {})  # email → Slack user id
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail: dict[str, str] = {}  # method → error code
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                url = urlparse(self.path)
                args: dict[str, Any] = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if raw:
                    if "json" in (self.headers.get("Content-Type") or ""):
                        args.update(json.loads(raw))
                    else:
                        args.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
                method = url.path.rsplit("/", 1)[-1]
                fake.calls.append((method, args))
                body = json.dumps(fake.respond(method, args)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _answer
            do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def respond(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method in self.fail:
            return {"ok": False, "error": self.fail[method]}
        if method == "users.lookupByEmail":
            user = self.users.get(str(args.get("email")))
            if user is None:
                return {"ok": False, "error": "users_not_found"}
            return {"ok": True, "user": {"id": user}}
        if method == "conversations.open":
            users = str(args.get("users", "")).split(",")
            prefix = "G" if len(users) > 1 else "D"
            return {"ok": True, "channel": {"id": prefix + "".join(sorted(users))}}
        if method == "chat.postMessage":
            return {"ok": True, "channel": args.get("channel"), "ts": "1700000000.000100"}
        if method == "oauth.v2.access":
            return {
                "ok": True,
                "access_token": "xoxb-fake-token",
                "bot_user_id": "UBOT",
                "team": {"id": "T0ACME", "name": "Acme Slack"},
            }
        return {"ok": True}

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [args for m, args in self.calls if m == method]

    def __enter__(self) -> FakeSlack:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class SilentServer:
    """Accepts connections and never says a word: a relay that stalls."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
