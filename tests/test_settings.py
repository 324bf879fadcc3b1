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
