"""Polite, bounded HTTP fetching shared by every collector.

One request at a time per host with a pause between them, retries with exponential backoff
(honouring Retry-After) on 429/5xx and network failures, an honest User-Agent, a cap on the body
size, and a guard that refuses private, loopback, link-local and reserved addresses on every
redirect hop, so that a link found in a post cannot make the tool probe the local network.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import httpx

from newstrace import config
from newstrace.errors import FetchError

_REDIRECT_STATUSES = {301, 302, 303, 307, 308}


@dataclass
class Response:
    """What a fetch returns: the final URL after redirects and the body as bytes.

    headers has lower-cased names; content_type is the bare media type ("text/html") and
    encoding the charset the server declared, if any (a hint: pages often lie).
    """

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    content_type: str = ""
    encoding: str | None = None

    @property
    def text(self) -> str:
        """The body decoded with the declared charset, UTF-8 when none or unknown."""
        try:
            return self.content.decode(self.encoding or "utf-8", errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


class _Retry(Exception):
    """A failure worth another try; wait is the server's Retry-After when it sent one."""

    def __init__(self, problem: str, wait: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.wait = wait


class Fetcher:
    """An httpx client with politeness, retries, size cap and the private-address guard.

    allow_private lets every private or loopback address through (tests, a local mirror);
    by default it follows the NEWSTRACE_ALLOW_PRIVATE environment variable. allow_hosts names
    hosts that may be private even so, without opening the whole local network.
    """

    def __init__(
        self,
        *,
        delay: float = config.HOST_DELAY_S,
        retries: int = config.HTTP_RETRIES,
        backoff: float = config.HTTP_BACKOFF_S,
        backoff_max: float = config.HTTP_BACKOFF_MAX_S,
        timeout: float = config.HTTP_TIMEOUT_S,
        max_bytes: int = config.MAX_RESPONSE_BYTES,
        max_redirects: int = config.HTTP_MAX_REDIRECTS,
        user_agent: str = config.USER_AGENT,
        allow_private: bool | None = None,
        allow_hosts: Iterable[str] = (),
    ) -> None:
        if allow_private is None:
            allow_private = os.environ.get(config.ALLOW_PRIVATE_ENV) == "1"
        self.delay = delay
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        self.allow_hosts = {host.lower() for host in allow_hosts}
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept": "*/*"},
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
        )
        self._hosts_lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}
        self._last_request: dict[str, float] = {}

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str) -> Response:
        """Fetch url, following at most max_redirects redirects, each hop checked again."""
        current = url
        for _ in range(self.max_redirects + 1):
            self._check_url(url, current)
            response = self._get_with_retries(url, current)
            if response.status not in _REDIRECT_STATUSES:
                return response
            location = response.headers.get("location")
            if not location:
                raise FetchError(url, f"HTTP {response.status} redirect without a Location")
            current = urljoin(current, location)
        raise FetchError(url, f"more than {self.max_redirects} redirects")

    def _check_url(self, url: str, hop: str) -> None:
        """Refuse other schemes and hosts that resolve to non-public addresses."""
        parts = urlsplit(hop)
        if parts.scheme not in ("http", "https"):
            raise FetchError(url, f"only http and https URLs can be fetched, not {hop!r}")
        host = parts.hostname
        if not host:
            raise FetchError(url, f"no host in {hop!r}")
        if self.allow_private or host.lower() in self.allow_hosts:
            return
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError, ValueError) as exc:
            raise FetchError(url, f"cannot resolve host {host!r}: {exc}") from None
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%")[0])
            kind = _non_public_kind(address)
            if kind:
                redirect = f"redirect to {hop} " if hop != url else ""
                raise FetchError(
                    url,
                    f"refused: {redirect}{host} resolves to {kind} address {address}"
                    f" (set {config.ALLOW_PRIVATE_ENV}=1 to allow)",
                )

    def _get_with_retries(self, url: str, hop: str) -> Response:
        attempt = 0
        while True:
            try:
                return self._get_once(url, hop)
            except _Retry as retry:
                if attempt >= self.retries:
                    suffix = f" after {attempt} retries" if attempt else ""
                    raise FetchError(url, f"{retry.problem}{suffix}") from None
                wait = self.backoff * (2**attempt) if retry.wait is None else retry.wait
                time.sleep(min(wait, self.backoff_max))
                attempt += 1

    def _get_once(self, url: str, hop: str) -> Response:
        host = urlsplit(hop).netloc.lower()
        with self._host_lock(host):
            pause = self._last_request.get(host, float("-inf")) + self.delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                return self._stream(url, hop)
            except httpx.TimeoutException:
                raise _Retry(f"timed out after {self._client.timeout.read}s") from None
            except httpx.TransportError as exc:
                raise _Retry(f"connection failed: {exc or type(exc).__name__}") from None
            except httpx.InvalidURL as exc:
                raise FetchError(url, f"invalid URL {hop!r}: {exc}") from None
            finally:
                self._last_request[host] = time.monotonic()

    def _stream(self, url: str, hop: str) -> Response:
        with self._client.stream("GET", hop) as r:
            status = r.status_code
            if status == 429 or status >= 500:
                raise _Retry(f"HTTP {status} {r.reason_phrase}", _retry_after(r.headers))
            if status >= 400:
                raise FetchError(url, f"HTTP {status} {r.reason_phrase}")
            headers = {name.lower(): value for name, value in r.headers.items()}
            if status in _REDIRECT_STATUSES:
                return Response(url=hop, status=status, headers=headers)
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(url, f"response larger than {self.max_bytes} bytes")
            body = bytearray()
            for chunk in r.iter_bytes():
                body.extend(chunk)
                if len(body) > self.max_bytes:
                    raise FetchError(url, f"response larger than {self.max_bytes} bytes")
        content_type, encoding = _parse_content_type(headers.get("content-type", ""))
        return Response(
            url=hop,
            status=status,
            headers=headers,
            content=bytes(body),
            content_type=content_type,
            encoding=encoding,
        )

    def _host_lock(self, host: str) -> threading.Lock:
        with self._hosts_lock:
            return self._host_locks.setdefault(host, threading.Lock())


def _non_public_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Name why an address is off limits, or "" when it is a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),
    )
    return next((name for name, hit in checks if hit), "")


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asked us to wait, from delta-seconds or an HTTP date."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _parse_content_type(value: str) -> tuple[str, str | None]:
    message = EmailMessage()
    message["content-type"] = value or "application/octet-stream"
    charset = message.get_param("charset")
    return message.get_content_type(), (str(charset).strip().lower() if charset else None)
