"""The three simulators (Zendesk, Cronofy and Google Calendar) in one child process, for
the Google benchmarks: ``zdcal sandbox`` serves Zendesk and Cronofy only, so this is its
twin with the runner's ``google=True``.

    python bench/google_sandbox.py --zendesk-port P --cronofy-port P --google-port P --scenario F
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zdcal.cli.sandbox import wait_for_signal
from zdcal.sandbox.runner import Sandbox
from zdcal.sandbox.scenario import load_scenario


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("zendesk", "cronofy", "google"):
        parser.add_argument(f"--{name}-port", type=int, required=True)
    parser.add_argument("--scenario", type=Path, required=True)
    args = parser.parse_args(argv)
    sandbox = Sandbox.create(
        load_scenario(args.scenario), zendesk_port=args.zendesk_port,
        cronofy_port=args.cronofy_port, google=True, google_port=args.google_port,
    )
    with sandbox:
        print("simulators up", flush=True)
        wait_for_signal()
    return 0


if __name__ == "__main__":
    sys.exit(main())
