"""What the mail looks like on the wire, as a mail program reads the raw bytes (not as Python's
parser decodes them again): the one-click unsubscribe headers stay plain URLs."""

from email import message_from_bytes, policy

from app.config import Settings
from app.db import Database
from app.mail import worker
from app.mail.digest import list_headers
from app.mail.outbox import enqueue
from tests.helpers import Clock
from tests.mailserver import MailServer

# A production address: the unsubscribe URL is then longer than a 78-character header line.
BASE = "https://zerodraft.asean-secretariat.example.org"


def test_list_unsubscribe_goes_out_as_a_plain_url_not_encoded_words(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    """RFC 2369/8058: the header holds the URL in angle brackets. Python folds a long header
    without spaces into RFC 2047 encoded words (=?utf-8?q?=3Chttps=3A//...?=), which mail
    programs do not decode in this header: Gmail and others then offer no unsubscribe."""
    smtp = mail_server.settings_for(settings, base_url=BASE)
    headers = list_headers(smtp, 12345)
    url = headers["List-Unsubscribe"]
    assert len(f"List-Unsubscribe: {url}") > 78
    with database.transaction() as s:
        enqueue(
            s,
            to="maria@asean.test",
            subject="Your daily zerodraft digest: 3 new notifications",
            text="Dear Maria,\n",
            html="<p>Dear Maria,</p>",
            kind="digest",
            headers=headers,
            now=clock.now,
        )
    assert worker.deliver_due(database, smtp, clock).sent == 1
    (got,) = mail_server.messages
    raw_headers = got.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "List-Unsubscribe: =?" not in raw_headers
    assert f"\r\nList-Unsubscribe: {url}\r\n" in raw_headers
    assert "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw_headers
    # Other headers are still folded as before, and the message still parses the same.
    parsed = message_from_bytes(got.raw, policy=policy.default)
    assert parsed["List-Unsubscribe"] == url
    assert all(len(line) <= 998 for line in raw_headers.split("\r\n"))


def test_a_long_subject_is_still_folded_to_short_lines(settings: Settings, clock: Clock) -> None:
    subject = "Round DWG-FC/Rev.1 " + "very long words " * 10
    claimed = worker.Claimed(
        id=1,
        attempts=1,
        to="maria@asean.test",
        subject=subject,
        text="Dear Maria,\n",
        html=None,
        headers=list_headers(settings.model_copy(update={"base_url": BASE}), 7),
        created_at=clock.now,
    )
    raw = bytes(worker.build(claimed, settings))
    head = raw.split(b"\n\n", 1)[0].decode("ascii")
    subject_lines = head.split("Subject: ", 1)[1].split("\nDate:", 1)[0].split("\n")
    assert len(subject_lines) > 1 and all(len(line) <= 78 for line in subject_lines)
