"""Real local peers for notification tests: an SMTP server (aiosmtpd, with AUTH) and a webhook
receiver (a small threaded HTTP server). Both run in the test process, on free ports."""

import json
import threading
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.support import free_port

SMTP_USER, SMTP_PASSWORD = "notifier", "smtp-s3cret-pw"
HOOK_TOKEN = "hook-t0ken-9f8e7d"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 that accepts AUTH PLAIN/LOGIN over plain text (local tests only)."""

    def __init__(self):
        self.messages: list = []
        self.port = free_port()
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"

    def url(self, to="seller@example.com") -> str:
        return (
            f"mailto://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{self.port}"
            f"?from=autoorder@example.com&to={to}"
        )

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(m["Subject"]))) for m in self.messages]

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


class WebhookReceiver:
    """Records every POST (path and JSON body); answers 200."""

    def __init__(self):
        self.posts: list = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.posts.append((self.path, json.loads(body or b"{}")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_port}/hooks/{HOOK_TOKEN}"

    def titles(self) -> list[str]:
        return [body.get("title") for _path, body in self.posts]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def down_url() -> str:
    """A webhook on a port nothing listens on (a target that is down)."""
    return f"json://127.0.0.1:{free_port()}/hooks/down-t0ken-1234"
