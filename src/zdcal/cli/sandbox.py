"""``zdcal sandbox``: the simulated Zendesk, Cronofy, Google Calendar and Microsoft Graph, for
demos, tests and tools."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from zdcal.sandbox.runner import Sandbox
from zdcal.sandbox.scenario import Scenario, load_scenario
from zdcal.sandbox.zendesk.errors import ZendeskApiError


def seed_refusal(exc: ZendeskApiError) -> str:
    """Why the Zendesk simulator refused a scenario's seed, in its own field messages."""
    details = exc.body.get("details")
    if isinstance(details, dict):
        reasons = [
            str(entry.get("description", name))
            for name, entries in details.items()
            for entry in (entries if isinstance(entries, list) else [])
            if isinstance(entry, dict)
        ]
        if reasons:
            return "; ".join(reasons)
    return str(exc.body.get("description") or exc.body.get("error") or exc.body)


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


@click.command("sandbox")
@click.option("--zendesk-port", type=int, default=8101, show_default=True)
@click.option("--cronofy-port", type=int, default=8102, show_default=True)
@click.option("--google-port", type=int, default=8103, show_default=True)
@click.option("--microsoft-port", type=int, default=8104, show_default=True)
@click.option(
    "--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML/JSON scenario to seed the simulators (docs/sandbox.md).",
)
def sandbox_command(
    zendesk_port: int, cronofy_port: int, google_port: int, microsoft_port: int,
    scenario: Path | None,
) -> None:
    """Run the Zendesk, Cronofy, Google Calendar and Microsoft Graph simulators on 127.0.0.1
    until stopped (Ctrl+C).

    The control API of each is under /_sandbox (see docs/sandbox.md).
    """
    loaded = load_scenario(scenario) if scenario else Scenario()
    try:
        sandbox = Sandbox.create(loaded, zendesk_port=zendesk_port, cronofy_port=cronofy_port,
                                 google=True, google_port=google_port,
                                 microsoft=True, microsoft_port=microsoft_port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on the port: {exc.strerror}") from exc
    except ZendeskApiError as exc:
        # The seed is loaded like API creates, so a bad one fails with an API error.
        raise click.ClickException(
            f"the scenario's zendesk section was refused: {seed_refusal(exc)}"
        ) from exc
    with sandbox:
        click.echo(f"Zendesk simulator: {sandbox.zendesk.base_url}  (control: /_sandbox)")
        click.echo(f"Zendesk agent page: {sandbox.zendesk.base_url}/agent/tasks")
        click.echo(f"Cronofy simulator: {sandbox.cronofy.base_url}  (control: /_sandbox)")
        if sandbox.google is not None:
            click.echo(f"Google Calendar simulator: {sandbox.google.base_url}  "
                       "(control: /_sandbox)")
        if sandbox.microsoft is not None:
            click.echo(f"Microsoft Graph simulator: {sandbox.microsoft.base_url}  "
                       "(control: /_sandbox)")
        click.echo("Press Ctrl+C to stop.")
        wait_for_signal()
