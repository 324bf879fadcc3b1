"""The README's first command, run from a fresh clone, serves the demo."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from zdcal_testing import free_port, wait_until_ready

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_opens_with_the_run_and_test_commands() -> None:
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["python3 dev.py run", "python3 dev.py test"]
    assert "python3 dev.py test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_run_command_from_a_fresh_clone_serves_the_demo(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    clone = tmp_path / "zdcal"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    ports = [str(free_port()) for _ in range(5)]
    process = subprocess.Popen(
        ["python3", "dev.py", "run", "demo", "--port", ports[0],
         "--zendesk-port", ports[1], "--cronofy-port", ports[2], "--google-port", ports[3],
         "--microsoft-port", ports[4]],
        cwd=clone, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 900  # first run installs the environment
        url = None
        output = []
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            found = re.search(r"open (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        assert url == f"http://127.0.0.1:{ports[0]}", "".join(output[-30:])
        # The first run installs quietly: pip's warnings and build logs stay out of sight.
        assert [line for line in output if "warning" in line.lower()] == []
        # The URL is printed as the server starts: give it a moment to listen.
        wait_until_ready(url, process)
        response = httpx.get(url, timeout=10)
        assert response.status_code == 200
        assert "zdcal" in response.text
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    # SIGTERM stops the demo through its cleanup: the Radicale it started is gone too.
    radicale = subprocess.run(["pgrep", "-f", f"{clone}.*radicale"], capture_output=True)
    assert radicale.stdout == b"", "the demo left its Radicale running"
