"""Reading Google's batch answers: the multipart body split on its boundary (the rest of
the backend reads them from the simulator; these are the shapes it does not send)."""

from __future__ import annotations

import pytest

from zdcal.calendars.google.batch import BatchFormatError, decode_batch


def part(content_id: str, status: str, body: bytes, *, newline: bytes = b"\r\n",
         extra: bytes = b"") -> bytes:
    n = newline
    return (b"Content-Type: application/http" + n + b"Content-ID: " + content_id.encode() + n
            + extra + n + b"HTTP/1.1 " + status.encode() + n
            + b"Content-Type: application/json; charset=UTF-8" + n + n + body + n)


def test_answers_come_back_in_the_order_the_calls_were_sent() -> None:
    body = (b"preamble to ignore\r\n--b_1\r\n" + part("<response-item1>", "404 Not Found", b"{}")
            + b"--b_1\r\n" + part("<response-item0>", "200 OK", b'{"id": "a"}')
            + b"--b_1--\r\nepilogue to ignore\r\n")

    answers = decode_batch("multipart/mixed; boundary=b_1", body, 2)

    assert [(a.status, a.json()) for a in answers] == [(200, {"id": "a"}), (404, {})]


def test_a_quoted_boundary_and_bare_newlines_are_read() -> None:
    body = (b"--odd\n" + part("<response-item0>", "204 No Content", b"", newline=b"\n")
            + b"--odd--\n")

    [answer] = decode_batch('multipart/mixed; boundary="odd"', body, 1)

    assert answer.status == 204
    assert answer.content == b""


def test_a_body_mentioning_the_boundary_mid_line_stays_whole() -> None:
    text = b'{"summary": "see --b_2 here"}'
    body = b"--b_2\r\n" + part("<response-item0>", "200 OK", text) + b"--b_2--\r\n"

    [answer] = decode_batch("multipart/mixed; boundary=b_2", body, 1)

    assert answer.json() == {"summary": "see --b_2 here"}


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("application/json", b"{}", "must be multipart/mixed"),
        ("multipart/mixed", b"--x--\r\n", "without a multipart boundary"),
        ("multipart/mixed; boundary=x",
         b"--x\r\n" + part("<response-item0>", "200 OK", b"{}") + b"--x--\r\n",
         "misses 1 of 2 calls"),
        ("multipart/mixed; boundary=x",
         b"--x\r\n" + part("<response-item0>", "200 OK", b"e30=",
                           extra=b"Content-Transfer-Encoding: base64\r\n") + b"--x--\r\n",
         "encoded as 'base64'"),
        ("multipart/mixed; boundary=x",
         b"--x\r\nContent-ID: <response-item0>\r\n\r\nnot http\r\n--x--\r\n",
         "without an HTTP status line"),
    ],
)
def test_an_unreadable_answer_is_a_format_error(
    content_type: str, body: bytes, message: str
) -> None:
    with pytest.raises(BatchFormatError, match=message):
        decode_batch(content_type, body, 2 if "misses" in message else 1)
