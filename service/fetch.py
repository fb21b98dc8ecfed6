"""The one fetcher for untrusted input: streams a URL or an ``s3://`` object to a local file.

Every hop is checked by :class:`~service.urlpolicy.UrlPolicy`; the connection goes to the address
that was checked (no second DNS lookup), so DNS rebinding cannot redirect it. Size is capped while
streaming (``Content-Length`` is not trusted), and both the stall time and the total time are
bounded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import certifi
import urllib3
from botocore.exceptions import BotoCoreError, ClientError

from service.errors import JobFailed, RetryableFailure
from service.urlpolicy import HttpTarget, S3Location, UrlPolicy, UrlRefused

MAX_REDIRECTS = 3
CHUNK_BYTES = 1024 * 1024
STALL_TIMEOUT_S = 20.0
CONNECT_TIMEOUT_S = 10.0
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_USER_AGENT = "green-screen-remover/1.0"


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    total_timeout_s: float
    stall_timeout_s: float = STALL_TIMEOUT_S


def human_bytes(count: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= size:
            value = count / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{count} bytes"


class _Budget:
    """Tracks size and total time while bytes stream in."""

    def __init__(self, limits: FetchLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.total_timeout_s
        self.received = 0

    def add(self, count: int) -> None:
        self.received += count
        if self.received > self.limits.max_bytes:
            raise JobFailed(f"input larger than {human_bytes(self.limits.max_bytes)}")
        if time.monotonic() > self.deadline:
            raise RetryableFailure(f"download timed out after {self.limits.total_timeout_s:.0f} s")


def _write_stream(chunks: Iterator[bytes], destination: Path, budget: _Budget) -> int:
    with destination.open("wb") as handle:
        for chunk in chunks:
            budget.add(len(chunk))
            handle.write(chunk)
    return budget.received


class Fetcher:
    """Downloads job inputs. ``s3`` is the S3 client used for ``s3://`` inputs."""

    def __init__(self, policy: UrlPolicy, s3: Any, limits: FetchLimits) -> None:
        self._policy = policy
        self._s3 = s3
        self._limits = limits

    def fetch(self, url: str, destination: Path) -> int:
        """Stream ``url`` into ``destination``; return the byte count.

        Raises:
            JobFailed: the URL is refused or the input can never be fetched (404, too large).
            RetryableFailure: a network problem another attempt may not have.
        """
        target = self._policy.check_syntax(url)
        budget = _Budget(self._limits)
        if isinstance(target, S3Location):
            return self._fetch_s3(target, destination, budget)
        return self._fetch_http(target, destination, budget)

    def _fetch_s3(self, location: S3Location, destination: Path, budget: _Budget) -> int:
        try:
            response = self._s3.get_object(Bucket=location.bucket, Key=location.key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in {"NoSuchKey", "404", "NotFound"}:
                raise JobFailed(f"input object {location.uri} does not exist") from None
            if code in {"AccessDenied", "403"}:
                raise JobFailed(f"the service may not read {location.uri}") from None
            raise RetryableFailure(f"S3 error reading {location.uri}: {code}") from None
        if response.get("ContentLength", 0) > self._limits.max_bytes:
            raise JobFailed(f"input larger than {human_bytes(self._limits.max_bytes)}")
        body = response["Body"]
        try:
            return _write_stream(body.iter_chunks(CHUNK_BYTES), destination, budget)
        except (BotoCoreError, urllib3.exceptions.HTTPError, OSError) as exc:
            raise RetryableFailure(f"reading {location.uri} failed: {exc}") from None
        finally:
            body.close()

    def _fetch_http(self, target: HttpTarget, destination: Path, budget: _Budget) -> int:
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._open(target, budget)
            try:
                if response.status in _REDIRECT_STATUSES:
                    location = response.headers.get("Location")
                    if not location:
                        raise JobFailed(f"input URL redirected (HTTP {response.status}) without a Location")
                    next_target = self._policy.check_syntax(urljoin(target.url, location))
                    if isinstance(next_target, S3Location):
                        raise UrlRefused("redirects to s3:// URLs are not followed")
                    target = next_target
                    continue
                self._raise_for_status(response.status, target)
                return self._stream_body(response, destination, budget)
            finally:
                response.release_conn()
        raise JobFailed(f"input URL redirected more than {MAX_REDIRECTS} times")

    def _open(self, target: HttpTarget, budget: _Budget) -> Any:
        address = self._policy.resolve(target)
        remaining = max(1.0, budget.deadline - time.monotonic())
        timeout = urllib3.Timeout(
            connect=min(CONNECT_TIMEOUT_S, remaining), read=min(self._limits.stall_timeout_s, remaining)
        )
        pool_args: dict[str, Any] = {"host": str(address), "port": target.port, "timeout": timeout, "retries": False}
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                **pool_args,
                server_hostname=target.host,
                assert_hostname=target.host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=certifi.where(),
            )
        else:
            pool = urllib3.HTTPConnectionPool(**pool_args)
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        try:
            return pool.urlopen(
                "GET",
                target.path_and_query,
                headers={"Host": host_header, "User-Agent": _USER_AGENT, "Accept-Encoding": "identity"},
                redirect=False,
                preload_content=False,
                assert_same_host=False,
            )
        except urllib3.exceptions.TimeoutError:
            raise RetryableFailure(f"connecting to {target.host} timed out") from None
        except urllib3.exceptions.SSLError as exc:
            raise JobFailed(f"TLS error talking to {target.host}: {exc}") from None
        except urllib3.exceptions.HTTPError as exc:
            raise RetryableFailure(f"cannot connect to {target.host}: {_short(exc)}") from None

    @staticmethod
    def _raise_for_status(status: int, target: HttpTarget) -> None:
        if status == 200:
            return
        if status in {408, 425, 429} or status >= 500:
            raise RetryableFailure(f"input URL returned HTTP {status}")
        raise JobFailed(f"input URL returned HTTP {status} (expected 200 with the video)")

    def _stream_body(self, response: Any, destination: Path, budget: _Budget) -> int:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self._limits.max_bytes:
            raise JobFailed(f"input larger than {human_bytes(self._limits.max_bytes)}")
        try:
            return _write_stream(response.stream(CHUNK_BYTES, decode_content=False), destination, budget)
        except urllib3.exceptions.ReadTimeoutError:
            raise RetryableFailure(f"download stalled for more than {self._limits.stall_timeout_s:.0f} s") from None
        except urllib3.exceptions.ProtocolError as exc:
            raise RetryableFailure(f"download interrupted: {_short(exc)}") from None


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "..."
