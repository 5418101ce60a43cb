"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a free port of its own.

It keeps every message it accepts (parsed, with helpers for the text and HTML parts and the
links in them), and can be made to misbehave as real servers do: refuse a recipient (550 for
good, 451 for now), refuse a message at DATA, go down and come back on the same port, and
require STARTTLS and a log-in (with a self-signed certificate that the test trusts through
SSL_CERT_FILE).

    def test_x(mail_server: MailServer, settings: Settings) -> None:
        smtp = mail_server.settings_for(settings)   # the app's settings, sending here
        ...
        (message,) = mail_server.to("member.ph@asean.test")
        message.text, message.html, message.links()

The `mail_server` fixture is registered for every test by tests/conftest.py.
"""

import datetime as dt
import ipaddress
import re
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from app.config import Settings
from tests.helpers import free_port

HOST = "127.0.0.1"
_LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Received:
    """One message as the server accepted it."""

    sender: str
    recipients: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return None if value is None else str(value)

    def _part(self, subtype: str) -> str | None:
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None or part.get_content_subtype() != subtype:
            return None
        content: str = part.get_content()  # type: ignore[attr-defined]
        return content.replace("\r\n", "\n")  # lines end in CRLF on the wire

    @property
    def text(self) -> str:
        found = self._part("plain")
        assert found is not None, "the message has no text/plain part"
        return found

    @property
    def html(self) -> str | None:
        return self._part("html")

    def links(self) -> list[str]:
        """The addresses in the plain-text part, in order."""
        return [url.rstrip(".,;:)") for url in _LINK.findall(self.text)]

    def link_to(self, path: str) -> str:
        """The first link in the text whose path starts with `path`."""
        found = [url for url in self.links() if path in url]
        assert found, f"no link to {path} in:\n{self.text}"
        return found[0]


class _Handler:
    def __init__(self, server: "MailServer") -> None:
        self.server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.server.refusals.get(address.lower())
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.data_refusal is not None:
            return self.server.data_refusal
        raw = bytes(envelope.original_content or envelope.content)
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.server.lock:
            self.server.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed)
            )
        return "250 Message accepted for delivery"


@dataclass
class MailServer:
    """An SMTP server under the test's control."""

    tls_dir: Path | None = None  # set: STARTTLS with a self-signed certificate made there
    login: tuple[str, str] | None = None  # set: AUTH required, with this user and password
    smtputf8: bool = True  # False: no internationalised (non-ASCII) addresses taken
    port: int = field(default_factory=free_port)
    messages: list[Received] = field(default_factory=list)
    refusals: dict[str, str] = field(default_factory=dict)
    data_refusal: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    cert_file: Path | None = None
    _key_file: Path | None = None
    _controller: Controller | None = None

    def __post_init__(self) -> None:
        if self.tls_dir is not None:
            self.cert_file, self._key_file = _self_signed(self.tls_dir)

    # --- Running -----------------------------------------------------------------------------

    def start(self) -> None:
        """Listen (again) on the server's port."""
        assert self._controller is None, "already running"
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": self.smtputf8}
        if self.cert_file is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            assert self._key_file is not None
            context.load_cert_chain(self.cert_file, self._key_file)
            kwargs |= {"tls_context": context, "require_starttls": True}
        if self.login is not None:
            kwargs |= {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": self.cert_file is not None,
            }
        deadline = time.monotonic() + 5
        while True:
            controller = Controller(_Handler(self), hostname=HOST, port=self.port, **kwargs)
            try:
                controller.start()
                break
            except (OSError, RuntimeError):
                # The port may still be held a moment after a stop.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._controller = controller

    def stop(self) -> None:
        """Go down: connections to the port are refused until start()."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self.login is not None
        ok = (
            isinstance(auth_data, LoginPassword)
            and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            == self.login
        )
        return AuthResult(success=ok, handled=False)

    # --- Misbehaving -------------------------------------------------------------------------

    def refuse(
        self, address: str, code: int = 550, text: str = "5.1.1 Mailbox unavailable"
    ) -> None:
        """Refuse mail to `address` at RCPT: 5xx for good, 4xx for now."""
        self.refusals[address.lower()] = f"{code} {text}"

    def accept(self, address: str) -> None:
        self.refusals.pop(address.lower(), None)

    def refuse_data(self, code: int = 554, text: str = "5.6.0 Message refused") -> None:
        """Refuse every message at DATA (as a content filter would)."""
        self.data_refusal = f"{code} {text}"

    # --- Reading what arrived ----------------------------------------------------------------

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [
                m for m in self.messages if address.lower() in (r.lower() for r in m.recipients)
            ]

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        """Wait until `count` messages arrived in all (for a worker running elsewhere)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} message(s) arrived, not {count}")

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def settings_for(self, settings: Settings, **more: Any) -> Settings:
        """`settings`, sending mail to this server."""
        smtp: dict[str, Any] = {
            "smtp_host": HOST,
            "smtp_port": self.port,
            "smtp_starttls": self.cert_file is not None,
            "smtp_timeout_seconds": 5,
        }
        if self.login is not None:
            smtp |= {"smtp_username": self.login[0], "smtp_password": self.login[1]}
        return settings.model_copy(update=smtp | more)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files in `folder`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A plain SMTP server (no TLS, no log-in) that accepts everything until told otherwise."""
    server = MailServer()
    server.start()
    yield server
    server.stop()
