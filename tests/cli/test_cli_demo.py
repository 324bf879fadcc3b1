"""``zdcal demo`` as a real process: the steps it prints lead to pages that work."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from zdcal_testing import free_port, stop_process


def test_the_demo_prints_the_simulated_zendesk_agent_page(clean_environment: Path) -> None:
    port, zendesk_port, cronofy_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZDCAL_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "zdcal.cli", "demo", "--port", str(port),
         "--zendesk-port", str(zendesk_port), "--cronofy-port", str(cronofy_port),
         "--data-dir", str(clean_environment / "demo")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=env | {"PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        printed: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any("Ctrl+C" in line for line in printed):
            line = process.stdout.readline()
            if not line:
                break
            printed.append(line)
        output = "".join(printed)
        agent_page = f"http://127.0.0.1:{zendesk_port}/agent/tasks"
        assert agent_page in output, output
        tasks = httpx.get(agent_page, timeout=10)
        assert tasks.status_code == 200
        assert "Call Acme back about the renewal" in tasks.text  # the demo's sample tasks
    finally:
        stop_process(process)
