"""A real SMTP server on loopback (aiosmtpd) for the email integration's tests."""
import secrets

from support.server import free_port


class MailServer:
    """Takes AUTH with one user name and password (`username`, `password`) and keeps every
    message it accepts in `messages` (aiosmtpd envelopes)."""

    def __init__(self, username="mailer", password=None):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        server = self
        self.messages = []
        self.username = username
        self.password = password or "mail-" + secrets.token_hex(8)

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):
                server.messages.append(envelope)
                return "250 OK"

        def authenticate(smtp, session, envelope, mechanism, auth_data):
            ok = auth_data.login == server.username.encode() and auth_data.password == server.password.encode()
            return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

        self.port = free_port()  # aiosmtpd 1.4 cannot listen on port 0: start() connects to its own port
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, authenticator=authenticate,
                                     auth_require_tls=False)
        self.controller.start()

    def integration(self, password=None):
        """The body that registers it as an email integration (POST /api/v1/integrations)."""
        return {"name": "mail " + secrets.token_hex(4), "type": "email",
                "config": {"smtp_url": f"smtp://127.0.0.1:{self.port}",
                           "from": "Digital Enterprise <de@example.com>", "starttls": "optional"},
                "credentials": {"username": self.username, "password": password or self.password}}

    def close(self):
        self.controller.stop()
