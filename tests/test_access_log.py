"""One-time links and unsubscribe links never reach the server's access log in full."""

import logging

from app.web.access_log import RedactSecrets, redact


def test_credentials_in_paths_are_redacted_and_other_paths_kept() -> None:
    token = "Zx" * 22
    assert redact(f"/invitation/{token}") == "/invitation/[redacted]"
    assert redact(f"/password/reset/{token}?next=/x") == "/password/reset/[redacted]?next=/x"
    assert redact(f"/mail/unsubscribe/12.{token}") == "/mail/unsubscribe/[redacted]"
    assert redact("/password/forgot") == "/password/forgot"
    assert redact("/indicators/FC-CD-01") == "/indicators/FC-CD-01"


def test_the_access_log_record_shows_the_redacted_path() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/invitation/secret-token-value-0123456789", "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /invitation/[redacted] HTTP/1.1" 200'


def test_the_app_installs_the_filter_on_uvicorns_access_log(app: object) -> None:
    filters = logging.getLogger("uvicorn.access").filters
    assert any(isinstance(f, RedactSecrets) for f in filters)
