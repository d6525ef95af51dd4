"""Fetch an article over http(s) without reaching the server's own network: every redirect checked, each name
resolved once and the checked address pinned for the connection, size, time and content type capped."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from .addresses import (
    MAX_BYTES,
    MAX_REDIRECTS,
    METADATA_ADDRESSES,
    METADATA_HOSTS,
    TIMEOUT_SECONDS,
    FetchError,
    FetchPolicy,
    IPAddress,
    address_refusal,
    check_url,
)

__all__ = ["MAX_BYTES", "MAX_REDIRECTS", "TIMEOUT_SECONDS", "FetchError", "FetchPolicy", "Fetched", "Fetcher",
           "PinnedTransport"]

Resolver = Callable[[str, int], Sequence[str]]
USER_AGENT = "stackpick/0.1 (+article ingestion)"
PIN = "stackpick.pinned_address"  # the request extension that carries the checked address to PinnedTransport
# What an article can be: a web page, plain text or Markdown. Anything else (PDF, images, JSON, archives) is
# refused before its body is read.
CONTENT_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "text/markdown": "text",
    "text/x-markdown": "text",
}


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (one lookup)."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in answers))


@dataclass
class Fetched:
    """A page's body as text, the URL it was finally read from, and what kind of text it is."""

    url: str
    text: str
    kind: str  # "html" or "text"


@dataclass
class Fetcher:
    """Fetches one URL at a time under a `FetchPolicy`; `resolver` is the one DNS lookup per host (tests swap it)."""

    policy: FetchPolicy = field(default_factory=FetchPolicy)
    resolver: Resolver | None = None  # None: `system_resolver`, looked up at each fetch
    # Tests replace the transport under the pinning one (httpx.MockTransport); None means real connections.
    inner_transport: httpx.BaseTransport | None = None

    def fetch(self, url: str) -> Fetched:
        """The page at `url`, after every hop was checked; a FetchError (one line) says why not."""
        deadline = time.monotonic() + self.policy.timeout
        current = url
        # No proxy from the environment: a proxy would resolve the name itself and undo the pinned address.
        with httpx.Client(transport=PinnedTransport(self.inner_transport), trust_env=False, follow_redirects=False,
                          headers={"User-Agent": USER_AGENT}) as client:
            for _hop in range(self.policy.max_redirects + 1):
                label = url if current == url else f"{url} (redirected to {current})"
                _, host, port = check_url(current, label)
                address = self.vet(host, port, label, deadline)
                request = client.build_request("GET", current, timeout=self._remaining(deadline, label),
                                               extensions={PIN: address})
                try:
                    response = client.send(request, stream=True)
                except httpx.TimeoutException:
                    raise FetchError(f"{label}: no answer within {self.policy.timeout:g} s") from None
                except httpx.HTTPError as exc:
                    raise FetchError(f"{label}: unreachable ({type(exc).__name__}: {_one_line(exc)})") from None
                try:
                    if not response.is_redirect:
                        return self._read(label, current, response, deadline)
                    location = response.headers.get("location", "")
                    if not location:
                        raise FetchError(f"{label}: a redirect without a Location")
                    current = str(response.url.join(location))
                finally:
                    response.close()
        raise FetchError(f"{url}: more than {self.policy.max_redirects} redirects")

    def vet(self, host: str, port: int, label: str, deadline: float) -> str:
        """The one address to connect to for `host`: resolved once, every answer checked against the policy."""
        if host.lower() in METADATA_HOSTS:
            raise FetchError(f"{label}: {host} is a cloud metadata host, which is never fetched")
        try:
            literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        answers = [str(literal)] if literal is not None else self._resolve(host, port, label, deadline)
        named = literal is None and self.policy.host_allowed(host)
        for answer in answers:
            address = ipaddress.ip_address(answer.split("%", 1)[0])
            reason = address_refusal(address)
            what = f"{host} is" if literal is not None else f"{host} resolves to {address},"
            if address in METADATA_ADDRESSES:
                raise FetchError(f"{label}: {what} {reason}, which is never fetched")
            if reason and not named and not self.policy.address_allowed(address):
                raise FetchError(f"{label}: {what} {reason}; only public addresses can be fetched (an intranet "
                                 "host can be allowed with STACKPICK_FETCH_ALLOW)")
        return answers[0]

    def _resolve(self, host: str, port: int, label: str, deadline: float) -> list[str]:
        # getaddrinfo cannot be given a timeout, so it runs in a thread the total time limit can give up on.
        result: dict[str, Any] = {}

        def lookup() -> None:
            try:
                result["answers"] = list((self.resolver or system_resolver)(host, port))
            except Exception as exc:  # reported below, in the caller's thread
                result["error"] = exc

        worker = threading.Thread(target=lookup, name="stackpick-resolve", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            raise FetchError(f"{label}: looking up {host} took longer than {self.policy.timeout:g} s")
        if "error" in result or not result.get("answers"):
            raise FetchError(f"{label}: cannot resolve {host} ({_one_line(result.get('error') or 'no address')})")
        return list(result["answers"])

    def _read(self, label: str, current: str, response: httpx.Response, deadline: float) -> Fetched:
        if response.status_code >= 400:
            raise FetchError(f"{label}: the server answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise FetchError(f"{label}: the server answered HTTP {response.status_code}, not a page")
        declared = response.headers.get("content-type", "")
        media = declared.split(";", 1)[0].strip().lower()
        kind = CONTENT_TYPES.get(media)
        if kind is None:
            raise FetchError(f"{label}: not HTML, plain text or Markdown ({media or 'no content type'})")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.policy.max_bytes:
            raise FetchError(f"{label}: {int(length):,} bytes, more than the {self.policy.max_bytes:,} allowed")
        chunks: list[bytes] = []
        size = 0
        try:
            # Decoded bytes are counted, so a small compressed body cannot unpack past the cap either.
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.policy.max_bytes:
                    raise FetchError(f"{label}: larger than the {self.policy.max_bytes:,} bytes allowed")
                if time.monotonic() > deadline:
                    raise FetchError(f"{label}: not read within {self.policy.timeout:g} s")
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise FetchError(f"{label}: not read within {self.policy.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{label}: the download broke off ({type(exc).__name__})") from None
        data = b"".join(chunks)
        return Fetched(url=current, text=_decode(data, response.encoding), kind=kind)

    def _remaining(self, deadline: float, label: str) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"{label}: not fetched within {self.policy.timeout:g} s")
        return remaining


def _decode(data: bytes, declared: str | None) -> str:
    for encoding in (declared, "utf-8", "cp1252"):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:200]


class PinnedTransport(httpx.BaseTransport):
    """Connects each request to the address `Fetcher.vet` checked (the request's PIN extension), sending the
    original Host header and TLS server name, so certificates are still verified for the name: the name is never
    resolved a second time. A request without a pin (say, a redirect someone let httpx follow) is refused."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport(trust_env=False, retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        extensions = dict(request.extensions)
        address = extensions.pop(PIN, None)
        if not address:
            raise FetchError(f"{request.url}: refused, its address was not checked")
        url = request.url
        if url.scheme == "https":
            extensions["sni_hostname"] = url.host
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
        pinned = httpx.Request(request.method, url.copy_with(host=address), headers=[(b"Host", _host_header(url)),
                               *headers], stream=request.stream, extensions=extensions)
        return self.inner.handle_request(pinned)

    def close(self) -> None:
        self.inner.close()


def _host_header(url: httpx.URL) -> bytes:
    host = b"[" + url.raw_host + b"]" if b":" in url.raw_host else url.raw_host
    default = {"http": 80, "https": 443}.get(url.scheme)
    return host if url.port in (None, default) else host + b":" + str(url.port).encode()
