"""The Zendesk app's package, checked against the manifest rules Zendesk's validator
applies (see /work/shared/api/zendesk-apps.md), and the ``zdcal zendesk-app build``
command that writes it."""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from zdcal.cli import main
from zdcal.cli.zendesk_app import LOGO_SIZES, PARAMETER, build_zip
from zdcal.store import generate_key

PUBLIC_URL = "https://zdcal.example.com"
LOCATIONS = {"ticket_sidebar", "new_ticket_sidebar", "ticket_editor", "user_sidebar",
             "organization_sidebar", "nav_bar", "top_bar", "system_top_bar", "background",
             "modal"}
BOOLEAN_KEYS = {"private", "signedUrls", "singleInstall", "requirementsOnly",
                "marketingOnly"}
PARAMETER_TYPES = {"text", "checkbox", "url", "number", "multiline", "hidden", "oauth"}


def unpack(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def booleans_are_booleans(value: Any, path: str = "") -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in BOOLEAN_KEYS | {"flexible", "autoLoad", "autoHide", "signed",
                                      "required", "secure"}:
                assert isinstance(inner, bool), f"{path}.{key} must be a JSON boolean"
            booleans_are_booleans(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for inner in value:
            booleans_are_booleans(inner, path)


def test_the_package_follows_zendesks_manifest_rules() -> None:
    files = unpack(build_zip(PUBLIC_URL))
    manifest = json.loads(files["manifest.json"])
    for key in ("author", "defaultLocale", "location", "frameworkVersion"):
        assert key in manifest
    assert {"name", "email"} <= manifest["author"].keys()
    assert manifest["frameworkVersion"] == "2.0"
    assert manifest["signedUrls"] is True
    assert manifest["private"] is True
    booleans_are_booleans(manifest)
    support = manifest["location"]["support"]
    assert set(support) == {"ticket_sidebar", "nav_bar"}
    assert set(support) <= LOCATIONS
    assert support["ticket_sidebar"]["url"] == PUBLIC_URL + "/zendesk-app/sidebar"
    assert support["nav_bar"]["url"] == PUBLIC_URL + "/zendesk-app/settings"
    for parameter in manifest["parameters"]:
        assert parameter["type"] in PARAMETER_TYPES
        assert not (parameter["type"] == "hidden" and parameter.get("required"))
    translations = [n for n in files if n.startswith("translations/")]
    assert all(re.fullmatch(r"translations/[a-z]{2}(-[A-Z]{2})?\.json", n) for n in translations)
    english = json.loads(files[f"translations/{manifest['defaultLocale']}.json"])["app"]
    for key in ("name", "short_description", "long_description",
                "installation_instructions"):
        assert english[key]
    for parameter in manifest["parameters"]:
        assert english["parameters"][parameter["name"]]["label"]
    for path, size in LOGO_SIZES.items():
        assert png_size(files[path]) == (size, size)
    assert files["assets/icon_nav_bar.svg"].startswith(b"<svg")
    assert b"Apache License" in files["assets/ZAF_SDK_LICENSE"]
    assert b"ZAFClient" in files["assets/zaf_sdk.js"]
    assert {p["name"] for p in manifest["parameters"]} == {PARAMETER}


def test_the_build_command_writes_the_zip_for_the_public_url(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    result = CliRunner().invoke(
        main, ["zendesk-app", "build", "--out", str(out)],
        env={"ZDCAL_PUBLIC_URL": PUBLIC_URL, "ZDCAL_DATA_DIR": str(tmp_path),
             "ZDCAL_SECRET_KEY": generate_key()},
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads(unpack(out.read_bytes())["manifest.json"])
    assert manifest["location"]["support"]["ticket_sidebar"]["url"].startswith(PUBLIC_URL)
    assert manifest["parameters"][0]["default"] == PUBLIC_URL
