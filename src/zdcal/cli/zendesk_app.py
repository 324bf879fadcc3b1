"""``zdcal zendesk-app build``: the zip a Zendesk admin uploads as a private app.

The app is server-side: its two locations (the ticket sidebar, and the agent's settings
in the left navigation bar, ``nav_bar``, whose full-height page holds the settings forms
where ``top_bar``'s small popover would not) are zdcal's own pages, loaded with signed
URLs. Location URLs are written with ``ZDCAL_PUBLIC_URL`` at build time: Zendesk's
manifest reference documents no ``{{setting.*}}`` placeholder in them, so none is
relied on. The installation parameter ``zdcal_url`` still names that URL; zdcal checks
it to know the installation is meant for it (see docs/zendesk-app.md).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from importlib import resources
from pathlib import Path
from typing import Any

import click

from zdcal import __version__
from zdcal.cli.base import settings

PARAMETER = "zdcal_url"
SIDEBAR_PATH = "/zendesk-app/sidebar"
SETTINGS_PATH = "/zendesk-app/settings"
LOGO_SIZES = {"assets/logo.png": 320, "assets/logo-small.png": 128}
"""Image sizes of Zendesk's app scaffold (see /work/shared/api/zendesk-apps.md)."""
ICON_NAV_BAR = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 18 18" width="18"
 height="18">
<g stroke="currentColor" stroke-width="1.5">
<rect x="2" y="3" width="14" height="13" rx="2" fill="none"/>
<path d="M2 7h14M6 1.5v3M12 1.5v3"/></g>
<path d="M6 11l2 2 4-4" fill="none" stroke="currentColor" stroke-width="1.5"/>
</svg>
"""


def manifest(public_url: str) -> dict[str, Any]:
    """The app's manifest.json for a zdcal reachable at ``public_url``."""
    base = public_url.rstrip("/")
    return {
        "name": "zdcal",
        "author": {"name": "zdcal", "email": "zdcal@localhost", "url": base},
        "defaultLocale": "en",
        "private": True,
        "version": __version__,
        "frameworkVersion": "2.0",
        "signedUrls": True,
        "location": {
            "support": {
                "ticket_sidebar": {"url": base + SIDEBAR_PATH, "flexible": True},
                "nav_bar": {"url": base + SETTINGS_PATH},
            }
        },
        "parameters": [
            {"name": PARAMETER, "type": "url", "required": True, "default": base},
        ],
    }


TRANSLATIONS: dict[str, Any] = {
    "app": {
        "name": "zdcal",
        "short_description": "Your Zendesk tasks in your calendar.",
        "long_description": "Shows whether the open task is on its assignee's calendar, "
        "and lets each agent choose their calendar and how task events look.",
        "installation_instructions": "Set zdcal URL to the address of your zdcal server "
        "(its ZDCAL_PUBLIC_URL).",
        "parameters": {PARAMETER: {"label": "zdcal URL",
                                   "helpText": "The address of your zdcal server."}},
    }
}


def _png(size: int) -> bytes:
    """A square logo: a white calendar sheet on zdcal's green (stdlib only)."""
    green, white = b"\x1f\x6f\x3f", b"\xff\xff\xff"
    margin, header = size // 5, size // 3
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")  # filter: none
        for x in range(size):
            inside = margin <= x < size - margin and margin <= y < size - margin
            row += white if inside and y >= header else green
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header_data = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header_data)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def package_files(public_url: str) -> dict[str, bytes]:
    """Every file of the app package, by its path in the zip."""
    sdk = resources.files("zdcal.web").joinpath("static/zaf")
    files = {
        "manifest.json": json.dumps(manifest(public_url), indent=2).encode() + b"\n",
        "translations/en.json": json.dumps(TRANSLATIONS, indent=2).encode() + b"\n",
        "assets/icon_nav_bar.svg": ICON_NAV_BAR.encode(),
        "assets/zaf_sdk.js": sdk.joinpath("zaf_sdk.js").read_bytes(),
        "assets/ZAF_SDK_LICENSE": sdk.joinpath("LICENSE").read_bytes(),
    }
    files.update({path: _png(size) for path, size in LOGO_SIZES.items()})
    return files


def build_zip(public_url: str) -> bytes:
    """The app package as zip bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(package_files(public_url).items()):
            archive.writestr(path, data)
    return buffer.getvalue()


@click.group("zendesk-app")
def zendesk_app() -> None:
    """Build the Zendesk app (ticket sidebar and agent settings) for this zdcal."""


@zendesk_app.command("build")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("zdcal-zendesk-app.zip"), show_default=True,
              help="Where to write the zip.")
def build(out: Path) -> None:
    """Write the app's zip, to upload in Zendesk's Admin Center as a private app."""
    public_url = settings().public_url
    if not public_url.startswith("https://"):
        click.echo(f"note: ZDCAL_PUBLIC_URL is {public_url}; Zendesk loads apps over "
                   "https only.", err=True)
    out.write_bytes(build_zip(public_url))
    click.echo(f"wrote {out} for {public_url}")
