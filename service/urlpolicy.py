"""Which input URLs the service accepts: one policy, used at submit time and again by the fetcher.

In AWS only public ``https://`` hosts and the service's own input bucket (``s3://``) are allowed.
The local stack may widen this with ``FETCH_ALLOW_HTTP`` and ``FETCH_ALLOWED_NETWORKS`` (for the
loopback test server); nothing else can.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from service.errors import JobFailed

MAX_URL_LENGTH = 2048
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_S3_KEY_MAX_BYTES = 1024


class UrlRefused(JobFailed):
    """The URL is not one the service will fetch; ``reason`` says why."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class HttpTarget:
    url: str
    scheme: str
    host: str
    port: int
    path_and_query: str


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0:  # IPv4-compatible ::a.b.c.d (deprecated but still routed by some stacks)
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_reason(address: IpAddress) -> str | None:
    """Why ``address`` must not be contacted, or ``None`` when it is public unicast."""
    if address.is_unspecified:
        return "is the unspecified address"
    if address.is_loopback:
        return "is a loopback address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = forbidden_reason(embedded)
            return f"embeds {embedded}, which {inner}" if inner else None
    checks = (
        (address.is_link_local, "is link-local (this includes cloud metadata endpoints)"),
        (address.is_multicast, "is a multicast address"),
        (address.is_reserved, "is a reserved address"),
        (address.is_private, "is a private address"),
        (not address.is_global, "is not a public address"),
    )
    for failed, reason in checks:
        if failed:
            return reason
    return None


def _literal_ip(host: str) -> IpAddress | None:
    """Parse every spelling of an IP literal, including inet_aton's decimal/octal/hex/short forms."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fx.]+", host, flags=re.IGNORECASE):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (looked up once per hop by :meth:`UrlPolicy.resolve`)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


@dataclass(frozen=True)
class UrlPolicy:
    """The one definition of which inputs may be fetched."""

    input_bucket: str | None = None
    allow_http: bool = False
    allowed_networks: tuple[IpNetwork, ...] = ()
    resolver: Callable[[str, int], Iterable[str]] | None = field(default=None, compare=False)

    @property
    def schemes(self) -> tuple[str, ...]:
        return ("https", "http") if self.allow_http else ("https",)

    def check_syntax(self, url: str) -> S3Location | HttpTarget:
        """Validate a URL without touching the network (used at submit time)."""
        if not isinstance(url, str) or not url:
            raise UrlRefused("inputUrl must be a non-empty string")
        if len(url) > MAX_URL_LENGTH:
            raise UrlRefused(f"inputUrl is longer than {MAX_URL_LENGTH} characters")
        if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
            raise UrlRefused("inputUrl contains whitespace or control characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UrlRefused(f"inputUrl is not a valid URL: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme == "s3":
            return self._check_s3(parts)
        if scheme not in self.schemes:
            allowed = ", ".join(f"{s}://" for s in self.schemes)
            raise UrlRefused(
                f"URL scheme '{scheme or '(none)'}' is not allowed; use {allowed} or "
                f"s3://{self.input_bucket or '<input-bucket>'}/<key>"
            )
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise UrlRefused("URLs with user names or passwords are not accepted")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise UrlRefused("inputUrl has no host name")
        literal = _literal_ip(host)
        if literal is not None:
            self.check_address(literal, host)
        elif not _HOSTNAME.match(host.encode("idna").decode("ascii") if host.isascii() else host):
            raise UrlRefused(f"'{host}' is not a valid host name")
        path = parts.path or "/"
        return HttpTarget(
            url=url,
            scheme=scheme,
            host=host,
            port=port or (443 if scheme == "https" else 80),
            path_and_query=path + (f"?{parts.query}" if parts.query else ""),
        )

    def _check_s3(self, parts: SplitResult) -> S3Location:
        bucket, key = parts.netloc, parts.path.lstrip("/")
        if not self.input_bucket or bucket != self.input_bucket:
            raise UrlRefused(
                f"s3:// inputs must be in the service's input bucket "
                f"'{self.input_bucket or '(none configured)'}'; use POST /uploads to get one"
            )
        if not key or len(key.encode()) > _S3_KEY_MAX_BYTES:
            raise UrlRefused("s3:// input must name an object key of 1 to 1024 bytes")
        return S3Location(bucket=bucket, key=key)

    def check_address(self, address: IpAddress, host: str) -> None:
        if any(address in network for network in self.allowed_networks):
            return
        reason = forbidden_reason(address)
        if reason:
            raise UrlRefused(f"refusing to fetch from {host}: {address} {reason}")

    def resolve(self, target: HttpTarget) -> IpAddress:
        """Resolve once and return the checked address the fetcher must connect to."""
        literal = _literal_ip(target.host)
        if literal is not None:
            self.check_address(literal, target.host)
            return literal
        try:
            found = (self.resolver or resolve_host)(target.host, target.port)
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in found]
        except (OSError, UnicodeError) as exc:
            raise UrlRefused(f"cannot resolve host {target.host}: {exc}") from None
        if not addresses:
            raise UrlRefused(f"host {target.host} has no addresses")
        for address in addresses:  # one bad record is enough to refuse: no picking the good one
            self.check_address(address, target.host)
        return addresses[0]


def policy_from_settings(settings) -> UrlPolicy:
    return UrlPolicy(
        input_bucket=settings.input_bucket,
        allow_http=settings.fetch_allow_http,
        allowed_networks=settings.fetch_allowed_networks,
    )
