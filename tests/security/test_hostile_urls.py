"""Hostile URLs through the real fetcher: each is refused with a reason, and no forbidden address is contacted.

A sentinel server listens on 127.0.0.1 (and ::1); it must never see a connection. Every other
outbound connection urllib3 tries is recorded, so "refused before connecting" is checked too.
"""

from __future__ import annotations

import http.server
import ipaddress
import socket
import threading

import pytest
import urllib3.util.connection

from service import urlpolicy
from service.errors import JobFailed, RetryableFailure
from service.fetch import Fetcher, FetchLimits
from service.urlpolicy import UrlPolicy, UrlRefused

LIMITS = FetchLimits(max_bytes=1024 * 1024, total_timeout_s=5, stall_timeout_s=2)
PUBLIC_TEST_HOST = "127.0.0.3"  # a loopback alias the redirect tests' policy treats as public


class Sentinel:
    """Listening sockets on the forbidden loopback addresses; counts connections that reach them."""

    def __init__(self) -> None:
        self.sockets = []
        self.port = 0
        for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address, self.port))
            except OSError:
                sock.close()
                continue
            self.port = sock.getsockname()[1]
            sock.listen(16)
            sock.setblocking(False)
            self.sockets.append(sock)

    def connections(self) -> int:
        count = 0
        for sock in self.sockets:
            while True:
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    break
                conn.close()
                count += 1
        return count

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


@pytest.fixture()
def sentinel():
    guard = Sentinel()
    yield guard
    assert guard.connections() == 0, "a forbidden address was contacted"
    guard.close()


@pytest.fixture()
def attempts(monkeypatch):
    """Every address urllib3 tries to connect to (the real connect still happens)."""
    seen: list[str] = []
    real = urllib3.util.connection.create_connection

    def recording(address, *args, **kwargs):
        seen.append(address[0])
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", recording)
    monkeypatch.setattr("urllib3.connection.connection.create_connection", recording)
    return seen


def fake_dns(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(f"no such host {host}")
        return table[host]

    return resolve


DNS = {
    "localtest.example": ["127.0.0.1"],
    "metadata.example": ["169.254.169.254"],
    "private.example": ["10.1.2.3"],
    "mixed.example": ["93.184.216.34", "192.168.1.20"],
    "v6private.example": ["fd00::1"],
    "mapped.example": ["::ffff:127.0.0.1"],
}


def strict_fetcher(port: int) -> Fetcher:
    return Fetcher(UrlPolicy(input_bucket="in-bucket", resolver=fake_dns(DNS)), s3=None, limits=LIMITS)


DIRECT_CASES = [
    # (url template, expected words in the reason); {p} is the sentinel's port
    ("https://127.0.0.1:{p}/v.mp4", "loopback"),
    ("https://localhost:{p}/v.mp4", "cannot resolve"),
    ("https://2130706433:{p}/v.mp4", "loopback"),
    ("https://0177.0.0.1:{p}/v.mp4", "loopback"),
    ("https://0x7f000001:{p}/v.mp4", "loopback"),
    ("https://0x7f.0.0.1:{p}/v.mp4", "loopback"),
    ("https://127.1:{p}/v.mp4", "loopback"),
    ("https://127.0.1:{p}/v.mp4", "loopback"),
    ("https://[::1]:{p}/v.mp4", "loopback"),
    ("https://[0:0:0:0:0:0:0:1]:{p}/v.mp4", "loopback"),
    ("https://[::ffff:127.0.0.1]:{p}/v.mp4", "embeds 127.0.0.1"),
    ("https://[::ffff:7f00:1]:{p}/v.mp4", "embeds 127.0.0.1"),
    ("https://[::127.0.0.1]:{p}/v.mp4", "embeds 127.0.0.1"),
    ("https://0.0.0.0:{p}/v.mp4", "unspecified"),
    ("https://0:{p}/v.mp4", "unspecified"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://169.254.170.2/v2/credentials", "link-local"),
    ("https://2852039166/latest/meta-data/", "link-local"),
    ("https://[fd00:ec2::254]/latest/meta-data/", "private"),
    ("https://[::ffff:169.254.169.254]/", "embeds 169.254.169.254"),
    ("https://[64:ff9b::a9fe:a9fe]/", "embeds 169.254.169.254"),
    ("https://[2002:a9fe:a9fe::1]/", "embeds 169.254.169.254"),
    ("https://10.0.0.1/v.mp4", "private"),
    ("https://172.16.5.4/v.mp4", "private"),
    ("https://192.168.0.1/v.mp4", "private"),
    ("https://100.64.0.1/v.mp4", "not a public"),
    ("https://224.0.0.1/v.mp4", "multicast"),
    ("https://240.0.0.1/v.mp4", "reserved"),
    ("https://255.255.255.255/v.mp4", "reserved"),
    ("https://[fe80::1]/v.mp4", "link-local"),
    ("https://[fc00::1]/v.mp4", "private"),
    ("https://[ff02::1]/v.mp4", "multicast"),
    ("https://localtest.example:{p}/v.mp4", "loopback"),
    ("https://metadata.example/latest/meta-data/", "link-local"),
    ("https://private.example/v.mp4", "private"),
    ("https://mixed.example/v.mp4", "private"),
    ("https://v6private.example/v.mp4", "private"),
    ("https://mapped.example:{p}/v.mp4", "embeds 127.0.0.1"),
    ("http://93.184.216.34/v.mp4", "scheme 'http'"),
    ("file:///etc/passwd", "scheme 'file'"),
    ("file://localhost/etc/passwd", "scheme 'file'"),
    ("ftp://93.184.216.34/v.mp4", "scheme 'ftp'"),
    ("gopher://127.0.0.1:{p}/_GET", "scheme 'gopher'"),
    ("dict://127.0.0.1:{p}/", "scheme 'dict'"),
    ("data:video/mp4;base64,AAAA", "scheme 'data'"),
    ("concat:/etc/passwd|/etc/hosts", "scheme"),
    ("/etc/passwd", "scheme '(none)'"),
    ("https://user:pass@93.184.216.34/v.mp4", "user names or passwords"),
    ("https://example.com@127.0.0.1:{p}/v.mp4", "user names or passwords"),
    ("https://example.com%40127.0.0.1:{p}/v.mp4", "not a valid host"),
    ("https://127.0.0.1:{p}#@example.com/v.mp4", "loopback"),
    ("https://example.com\\@127.0.0.1:{p}/", "user names or passwords"),
    ("https://exa mple.com/v.mp4", "whitespace"),
    ("https://example.com/v.mp4\r\nHost: 127.0.0.1", "whitespace"),
    ("https://example.com/" + "a" * 2100, "longer than 2048"),
    ("https:///v.mp4", "no host"),
    ("https://example.com:99999/v.mp4", "not a valid URL"),
    ("s3://someone-else/v.mp4", "input bucket"),
    ("s3://in-bucket/", "object key"),
]


@pytest.mark.parametrize(("template", "reason"), DIRECT_CASES, ids=[c[0][:60] for c in DIRECT_CASES])
def test_forbidden_url_is_refused_without_connecting(template, reason, sentinel, attempts, tmp_path):
    url = template.format(p=sentinel.port or 9)
    with pytest.raises(UrlRefused) as refused:
        strict_fetcher(sentinel.port).fetch(url, tmp_path / "input")
    assert reason in refused.value.reason
    assert attempts == [], f"connected to {attempts} before refusing"
    assert not (tmp_path / "input").exists()


def test_the_table_is_big_enough():
    assert len(DIRECT_CASES) >= 40


class Redirector(http.server.BaseHTTPRequestHandler):
    """Answers /to?<url> with a 302 to <url>; /video with a tiny body."""

    def do_GET(self) -> None:
        if self.path.startswith("/to?"):
            self.send_response(302)
            self.send_header("Location", self.path[4:])
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(301)
            self.send_header("Location", "/loop")
            self.end_headers()
        else:
            body = b"x" * 100
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def redirector():
    try:
        server = http.server.ThreadingHTTPServer((PUBLIC_TEST_HOST, 0), Redirector)
    except OSError:
        pytest.skip("no 127.0.0.3 loopback alias on this machine")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{PUBLIC_TEST_HOST}:{server.server_port}"
    server.shutdown()


def treating_test_server_as_public() -> Fetcher:
    policy = UrlPolicy(
        allow_http=True,
        allowed_networks=(ipaddress.ip_network(f"{PUBLIC_TEST_HOST}/32"),),
        resolver=fake_dns(DNS),
    )
    return Fetcher(policy, s3=None, limits=LIMITS)


REDIRECT_TARGETS = [
    "http://127.0.0.1:{p}/secret",
    "http://2130706433:{p}/secret",
    "http://[::1]:{p}/secret",
    "http://[::ffff:127.0.0.1]:{p}/secret",
    "http://localtest.example:{p}/secret",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.170.2/v2/credentials",
    "http://10.0.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{p}/_x",
    "s3://in-bucket/secret",
]


@pytest.mark.parametrize("target", REDIRECT_TARGETS)
def test_redirect_to_a_forbidden_target_is_refused(target, redirector, sentinel, attempts, tmp_path):
    url = f"{redirector}/to?{target.format(p=sentinel.port)}"
    with pytest.raises(UrlRefused):
        treating_test_server_as_public().fetch(url, tmp_path / "input")
    assert set(attempts) == {PUBLIC_TEST_HOST}, f"connected to {attempts}"


def test_redirects_are_followed_a_few_times_then_refused(redirector, tmp_path):
    fetcher = treating_test_server_as_public()
    assert fetcher.fetch(f"{redirector}/to?/to?/video", tmp_path / "ok") == 100
    with pytest.raises(JobFailed, match="redirected more than 3 times"):
        fetcher.fetch(f"{redirector}/loop", tmp_path / "loop")


def test_dns_rebinding_cannot_switch_the_address_after_the_check(monkeypatch, sentinel, attempts, tmp_path):
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]])
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return next(answers)

    monkeypatch.setattr(urlpolicy, "resolve_host", rebinding)
    real_getaddrinfo = socket.getaddrinfo

    def numeric_only(host, *args, **kwargs):
        ipaddress.ip_address(host)  # raises for a name: a second DNS lookup would be a rebinding hole
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", numeric_only)
    fetcher = Fetcher(UrlPolicy(), s3=None, limits=FetchLimits(1024, total_timeout_s=3, stall_timeout_s=1))
    with pytest.raises(RetryableFailure):  # the checked public address is unreachable from here
        fetcher.fetch(f"https://rebind.example:{sentinel.port}/v.mp4", tmp_path / "input")
    assert lookups == ["rebind.example"], "resolved exactly once"
    assert attempts == ["93.184.216.34"], "connected to the address that was checked, nothing else"
