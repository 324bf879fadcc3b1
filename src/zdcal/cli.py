"""The zdcal command line."""

from __future__ import annotations

import click

from zdcal import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zdcal")
def main() -> None:
    """zdcal keeps Zendesk task tickets in each assigned agent's calendar."""
