import pytest
from pydantic import ValidationError

from app.accounts import passwords
from app.config import Settings


@pytest.mark.parametrize("key", ["", "changeme", "dev-insecure-key", "short-but-not-placeholder"])
def test_production_refuses_a_missing_or_placeholder_secret(key: str) -> None:
    with pytest.raises(ValidationError, match="ZERODRAFT_SECRET_KEY"):
        Settings(mode="production", secret_key=key)


def test_production_accepts_a_real_secret() -> None:
    settings = Settings(mode="production", secret_key="k" * 40, audit_key="a" * 40)
    assert settings.classification == "RESTRICTED"
    assert settings.time_zone == "Asia/Jakarta"


@pytest.mark.parametrize("key", ["", "dev-insecure-audit-key", "short", "k" * 40])
def test_production_refuses_a_missing_placeholder_or_shared_audit_key(key: str) -> None:
    with pytest.raises(ValidationError, match="ZERODRAFT_AUDIT_KEY"):
        Settings(mode="production", secret_key="k" * 40, audit_key=key)


def test_default_database_is_a_sqlite_file_in_the_data_folder(tmp_path: object) -> None:
    settings = Settings(data_dir=tmp_path, database_url="")  # type: ignore[arg-type]
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/zerodraft.sqlite3"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZERODRAFT_CLASSIFICATION", "CONFIDENTIAL")
    monkeypatch.setenv("ZERODRAFT_TIME_ZONE", "Asia/Bangkok")
    settings = Settings()
    assert (settings.classification, settings.time_zone) == ("CONFIDENTIAL", "Asia/Bangkok")


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(time_zone="Mars/Olympus")


def test_production_refuses_the_test_suites_password_hashing() -> None:
    with pytest.raises(ValidationError, match="PASSWORD_HASHING=minimal is for tests"):
        Settings(
            mode="production", secret_key="k" * 40, audit_key="a" * 40, password_hashing="minimal"
        )


def test_each_hash_records_its_cost_so_either_profile_verifies_the_other() -> None:
    try:
        passwords.use("minimal")
        cheap = passwords.hash_password("correct horse battery")
        passwords.use("argon2id")
        full = passwords.hash_password("correct horse battery")
        assert "m=8,t=1,p=1" in cheap and "m=8,t=1,p=1" not in full
        assert passwords.verify_password(cheap, "correct horse battery")
        passwords.use("minimal")
        assert passwords.verify_password(full, "correct horse battery")
        assert not passwords.verify_password(full, "wrong horse battery")
    finally:
        passwords.use("minimal")  # what the suite's settings choose (tests/conftest.py)
