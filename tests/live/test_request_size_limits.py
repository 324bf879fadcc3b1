"""Anonymous requests too large for zdcal are refused before they are held in memory: page
forms over their cap (declared or chunked), forms with too many fields, endless headers.
Measured on a real ``zdcal serve`` process: its peak RSS (``VmHWM``) while several such
requests arrive at once."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from served_process import ZdcalServeProcess, memory_kib, reset_peak_memory, served_process

MIB = 1024 * 1024
FIELD = b"x" * (512 * 1024)  # under Starlette's own 1 MB per-field limit
FIELDS_PER_BODY = 48  # 24 MiB a request
ALLOWED_GROWTH_KIB = 24 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZdcalServeProcess]:
    with served_process(tmp_path_factory.mktemp("served")) as served:
        yield served


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[ZdcalServeProcess]:
    """A process of its own: memory freed by an earlier test would hide new growth."""
    with served_process(tmp_path) as served:
        yield served


def _form_body() -> Iterator[bytes]:
    for number in range(FIELDS_PER_BODY):
        yield b"f%d=" % number + FIELD + b"&"
    yield b"csrf_token=forged"


def _post_declared(url: str) -> int:
    body = b"".join(_form_body())
    return httpx.post(url, content=body, timeout=60, headers={
        "content-type": "application/x-www-form-urlencoded"}).status_code


def _post_chunked(url: str) -> int:
    # A generator body goes out with Transfer-Encoding: chunked and no Content-Length.
    return httpx.post(url, content=_form_body(), timeout=60, headers={
        "content-type": "application/x-www-form-urlencoded"}).status_code


def _endless_header(url: str) -> int:
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ")
            for _ in range(FIELDS_PER_BODY):
                sock.sendall(FIELD)
            sock.sendall(b"\r\n\r\n")
        except OSError:
            return 0  # closed on us: refused while sending
        answer = sock.recv(64)
    return int(answer.split()[1]) if answer else 0


def _at_once(send: Callable[[str], int], url: str, clients: int = 3) -> list[int]:
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda: statuses.append(send(url)))
               for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _growth_kib(served: ZdcalServeProcess, attack: Callable[[], list[int]]
                ) -> tuple[int, list[int]]:
    time.sleep(0.2)
    before = memory_kib(served.pid, "VmRSS")
    reset_peak_memory(served.pid)
    statuses = attack()
    return memory_kib(served.pid, "VmHWM") - before, statuses


@pytest.mark.parametrize("send", [_post_declared, _post_chunked], ids=["declared", "chunked"])
def test_oversized_forms_are_refused_before_they_fill_memory(
    fresh: ZdcalServeProcess, send: Callable[[str], int]
) -> None:
    growth, statuses = _growth_kib(fresh, lambda: _at_once(send, f"{fresh.base_url}/signout"))
    assert growth < ALLOWED_GROWTH_KIB, f"server grew by {growth // 1024} MiB"
    assert statuses == [413, 413, 413]
    assert httpx.get(f"{fresh.base_url}/healthz").status_code == 200


def test_endless_headers_are_refused_before_they_fill_memory(fresh: ZdcalServeProcess) -> None:
    growth, statuses = _growth_kib(fresh, lambda: _at_once(_endless_header, fresh.base_url))
    assert growth < ALLOWED_GROWTH_KIB, f"server grew by {growth // 1024} MiB"
    assert all(status in (431, 0) for status in statuses), statuses


def test_a_form_with_too_many_fields_is_refused_unparsed(served: ZdcalServeProcess) -> None:
    many = "&".join(f"f{n}=1" for n in range(200)) + "&csrf_token=forged"
    answer = httpx.post(f"{served.base_url}/signout", content=many, headers={
        "content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400
    assert "text/html" in answer.headers["content-type"]


def test_a_file_posted_to_a_page_is_refused(served: ZdcalServeProcess) -> None:
    answer = httpx.post(f"{served.base_url}/signout", data={"csrf_token": "forged"},
                        files={"upload": ("a.txt", b"hello")})
    assert answer.status_code == 400


def test_a_small_forged_form_still_meets_the_csrf_check(served: ZdcalServeProcess) -> None:
    answer = httpx.post(f"{served.base_url}/signout", data={"csrf_token": "forged"})
    assert answer.status_code == 403
