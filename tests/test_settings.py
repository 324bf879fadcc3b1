from __future__ import annotations

import pytest

from zdcal.settings import Settings, cronofy_hosts


def test_cronofy_hosts_follow_the_data_center() -> None:
    assert cronofy_hosts("us") == ("https://api.cronofy.com", "https://app.cronofy.com")
    assert cronofy_hosts("de") == ("https://api-de.cronofy.com", "https://app-de.cronofy.com")
    with pytest.raises(ValueError, match="unknown Cronofy data center"):
        cronofy_hosts("mars")


def test_settings_read_environment_and_derive_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZDCAL_CRONOFY_DATA_CENTER", "uk")
    monkeypatch.setenv("ZDCAL_DATA_DIR", "/tmp/zdcal-x")
    settings = Settings(_env_file=None)
    assert settings.cronofy_api_url == "https://api-uk.cronofy.com"
    assert settings.database_url == "sqlite+aiosqlite:////tmp/zdcal-x/zdcal.db"
    monkeypatch.setenv("ZDCAL_CRONOFY_API_URL", "http://127.0.0.1:9/")
    assert Settings(_env_file=None).cronofy_api_url == "http://127.0.0.1:9"


def test_smtp_needs_a_sender_and_the_refusal_shows_no_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZDCAL_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("ZDCAL_SMTP_PASSWORD", "relay-password-1234")
    with pytest.raises(ValueError, match="ZDCAL_SMTP_FROM is required") as refused:
        Settings(_env_file=None)
    assert "relay-password-1234" not in str(refused.value)
    monkeypatch.setenv("ZDCAL_SMTP_FROM", "zdcal@example.com")
    monkeypatch.setenv("ZDCAL_SMTP_SECURITY", "ssl")
    settings = Settings(_env_file=None)
    assert settings.smtp_configured
    assert settings.smtp_port == 465
    assert not Settings(_env_file=None, smtp_host="").smtp_configured
