"""Hostile and broken clients at the gateway: refused cleanly (413, 408, 4xx), never a 5xx, never a hang.

The stack runs with a small body limit (64 KiB) and a 2 s client timeout so the test need not send
megabytes or wait long; the defaults are 10 MiB and 10 s. SQL injection is tried in every path
parameter and in the free-text fields of the JSON API; afterwards the databases are intact.
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.integration.support import portal, query
from tests.integration.test_gateway import PASSWORD, http, sign_in
from tools.drive import sample_application
from tools.stack import Stack

pytestmark = pytest.mark.integration

LIMIT = 64 * 1024
INJECTIONS = ("' OR '1'='1", "1; DROP TABLE applications; --", '" OR 1=1 --',
              "x' UNION SELECT password_hash FROM users --", "%' AND 1=CAST((SELECT version()) AS int) --")
HANG_GUARD = 30  # seconds a socket waits before the test calls it a hang


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with portal(tmp_path_factory.mktemp("stack-hostile"), PASSWORD, HTTP_MAX_BODY_BYTES=str(LIMIT),
                HTTP_CLIENT_TIMEOUT_SECONDS="2", LOG_FORMAT="json") as running:
        yield running
        assert running.processes["gateway"].poll() is None, running.log("gateway")


def raw_exchange(stack: Stack, *parts: bytes) -> tuple[int, bytes]:
    """Send ``parts`` on one connection and read the answer until the server closes it: (status, body)."""
    with socket.create_connection(("127.0.0.1", stack.web_port), timeout=HANG_GUARD) as sock:
        for part in parts:
            sock.sendall(part)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(stack: Stack) -> None:
    # declares 100 MB and sends none of it: the answer comes anyway, the upload is never waited for
    status, body = raw_exchange(stack, b"POST /api/applications HTTP/1.1\r\nHost: x\r\n"
                                       b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n")
    assert status == 413 and json.loads(body)["limit_bytes"] == LIMIT
    status, answer = http(stack, "POST", "/api/applications", raw=b"[" + b"1," * LIMIT + b"1]")
    assert status == 413 and answer["error"] == "request body too large"


def test_a_chunked_body_over_the_limit_is_refused_with_413(stack: Stack) -> None:
    chunk = b"x" * 8192
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(LIMIT // len(chunk) + 2)) + b"0\r\n\r\n"
    status, _ = raw_exchange(stack, b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                    b"Transfer-Encoding: chunked\r\n\r\n", chunks)
    assert status == 413


def test_a_client_too_slow_with_its_headers_or_its_body_gets_408(stack: Stack) -> None:
    status, _ = raw_exchange(stack, b"GET /api/items HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert status == 408
    status, body = raw_exchange(stack, b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                       b"Content-Length: 60\r\n\r\n", b'{"username": "cl')
    assert status == 408 and json.loads(body)["error"] == "request body too slow"


def test_slow_clients_do_not_hold_up_anyone_else(stack: Stack) -> None:
    idle = [socket.create_connection(("127.0.0.1", stack.web_port), timeout=HANG_GUARD) for _ in range(50)]
    try:
        for sock in idle:
            sock.sendall(b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        assert http(stack, "GET", "/api/items")[0] == 200
    finally:
        for sock in idle:
            sock.close()


def test_sql_injection_in_any_path_parameter_is_refused_and_harmless(stack: Stack) -> None:
    staff = sign_in(stack, "gs-reviewer")
    applications = query(stack, "intake", "SELECT count(*) FROM applications")[0][0]
    for attempt in INJECTIONS:
        quoted = urllib.parse.quote(attempt, safe="")
        for method, path in (("GET", f"/api/items/{quoted}"), ("GET", f"/api/applications/{quoted}/status?code=1"),
                             ("GET", f"/api/certificates/{quoted}?code=1"), ("GET", f"/api/cases/{quoted}"),
                             ("POST", f"/api/tasks/{quoted}/decision")):
            body = {"decision": "approve", "opinion": "同意"} if method == "POST" else None
            status, answer = http(stack, method, path, body, headers=staff)
            assert 400 <= status < 500, (path, status, answer)
        for page in (f"/items/{quoted}", f"/status?number={quoted}&code={quoted}"):
            status = page_status(stack, page)
            assert 200 <= status < 500, (page, status)
    assert query(stack, "intake", "SELECT count(*) FROM applications")[0][0] == applications
    assert query(stack, "gateway", "SELECT count(*) FROM users")[0][0] > 0


def test_sql_injection_in_sign_in_and_free_text_is_refused_or_kept_verbatim(stack: Stack) -> None:
    for attempt in INJECTIONS:
        status, _ = http(stack, "POST", "/api/session", {"username": attempt, "password": attempt})
        assert status == 401, attempt
        status, _ = http(stack, "POST", "/api/session", {"username": f"gs-reviewer{attempt}", "password": "x"})
        assert status == 401, attempt
    application = sample_application(4242)
    application["applicant"]["name"] = "测试'); DROP TABLE applications; --"
    status, receipt = http(stack, "POST", "/api/applications", application)
    assert status == 201, receipt
    [(name,)] = query(stack, "intake", "SELECT applicant_name FROM applications WHERE number = :n",
                      n=receipt["application_number"])
    assert name == application["applicant"]["name"]
    status, _ = http(stack, "POST", "/api/ratings", {"case_number": INJECTIONS[0], "code": INJECTIONS[1],
                                                     "score": 5, "comment": INJECTIONS[3]})
    assert 400 <= status < 500


def page_status(stack: Stack, path: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{stack.web_url}{path}", timeout=HANG_GUARD) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
