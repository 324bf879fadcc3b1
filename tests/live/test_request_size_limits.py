"""Anonymous requests too large for zdcal are refused before they are held in memory: page
forms over their cap (declared or chunked), forms with too many fields.
Measured on a real ``zdcal serve`` process: its peak RSS (``VmHWM``) while several such
requests arrive at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from served_process import ServedProcess

MIB = 1024 * 1024
FIELD = b"x" * (512 * 1024)  # under Starlette's own 1 MB per-field limit
FIELDS_PER_BODY = 48  # 24 MiB a request
ALLOWED_GROWTH_KIB = 24 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    with ServedProcess(tmp_path_factory.mktemp("served")) as served:
        yield served


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[ServedProcess]:
    """A process of its own: memory freed by an earlier test would hide new growth."""
    with ServedProcess(tmp_path) as served:
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


def _at_once(send: Callable[[str], int], url: str, clients: int = 3) -> list[int]:
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda: statuses.append(send(url)))
               for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _growth_kib(served: ServedProcess, attack: Callable[[], list[int]]) -> tuple[int, list[int]]:
    time.sleep(0.2)
    before = served.memory_kib("VmRSS")
    served.reset_peak_memory()
    statuses = attack()
    return served.memory_kib("VmHWM") - before, statuses


@pytest.mark.parametrize("send", [_post_declared, _post_chunked], ids=["declared", "chunked"])
def test_oversized_forms_are_refused_before_they_fill_memory(
    fresh: ServedProcess, send: Callable[[str], int]
) -> None:
    growth, statuses = _growth_kib(fresh, lambda: _at_once(send, f"{fresh.url}/signout"))
    assert growth < ALLOWED_GROWTH_KIB, f"server grew by {growth // 1024} MiB"
    assert statuses == [413, 413, 413]
    assert httpx.get(f"{fresh.url}/healthz").status_code == 200


def test_a_form_with_too_many_fields_is_refused_unparsed(served: ServedProcess) -> None:
    many = "&".join(f"f{n}=1" for n in range(200)) + "&csrf_token=forged"
    answer = httpx.post(f"{served.url}/signout", content=many, headers={
        "content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400
    assert "text/html" in answer.headers["content-type"]


def test_a_file_posted_to_a_page_is_refused(served: ServedProcess) -> None:
    answer = httpx.post(f"{served.url}/signout", data={"csrf_token": "forged"},
                        files={"upload": ("a.txt", b"hello")})
    assert answer.status_code == 400


def test_a_small_forged_form_still_meets_the_csrf_check(served: ServedProcess) -> None:
    answer = httpx.post(f"{served.url}/signout", data={"csrf_token": "forged"})
    assert answer.status_code == 403
