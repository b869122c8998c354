"""The mirror's HTTP layer: methods, keep-alive, pipelining, bad requests, stats."""

from __future__ import annotations

import http.client
import urllib.request
from urllib.parse import urlsplit

from tests.mirror.process import Mirror


def responses(data: bytes) -> list[tuple[int, bytes]]:
    """Status and body of each response in ``data``, framed by Content-Length."""
    found = []
    while data:
        head, _, data = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        fields = dict(line.lower().split(b": ", 1) for line in lines[1:])
        length = int(fields[b"content-length"])
        found.append((int(lines[0].split()[1]), data[:length]))
        data = data[length:]
    return found


def test_get_robots(mirror: Mirror):
    with urllib.request.urlopen(mirror.url + "/robots.txt", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Server"] == "mirror"
        assert response.headers["Date"].endswith(" GMT")
        assert b"User-agent" in response.read()


def test_head_has_length_but_no_body(mirror: Mirror):
    answer = mirror.exchange(b"HEAD /robots.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"\r\nContent-Length: " in head
    assert body == b""


def test_keep_alive_and_pipelining(mirror: Mirror):
    requests = b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n" * 3
    requests += b"GET /no/such/page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = mirror.exchange(requests)
    assert [status for status, _ in responses(answer)] == [200, 200, 200, 404]


def test_http10_closes_by_default(mirror: Mirror):
    answer = mirror.exchange(b"GET /robots.txt HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert b"\r\nConnection: close\r\n" in answer


def test_other_methods_are_405(mirror: Mirror):
    parts = urlsplit(mirror.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("POST", "/robots.txt", body=b"x=1")
    response = connection.getresponse()
    response.read()
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"
    connection.request("GET", "/robots.txt")  # the body was skipped; the connection still works
    assert connection.getresponse().status == 200
    connection.close()


def test_malformed_request_line_is_400(mirror: Mirror):
    answer = mirror.exchange(b"this is not http\r\n\r\nGET /robots.txt HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert [status for status, _ in responses(answer)] == [400]


def test_stats(mirror: Mirror):
    before = mirror.stats()
    urllib.request.urlopen(mirror.url + "/robots.txt?stats", timeout=10).close()
    after = mirror.stats()
    assert after["requests"] == before["requests"] + 1
    assert after["paths"]["/robots.txt?stats"] == before["paths"].get("/robots.txt?stats", 0) + 1
