"""Which addresses an article fetch may reach: public ones only, unless a setting allows named hosts or networks."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_BYTES = 5_000_000
TIMEOUT_SECONDS = 20.0
MAX_REDIRECTS = 5
# Cloud instance metadata: credentials live there, so these are refused even inside a network the setting allows.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean
        "fd00:ec2::254",  # AWS over IPv6
        "169.254.170.2",  # AWS ECS task credentials
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure's host platform (WireServer)
    )
)
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"})
CGNAT = ipaddress.ip_network("100.64.0.0/10")
PRIVATE = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$)(?:\*\.|\.)?{_LABEL}(?:\.{_LABEL})*$")


class FetchError(ValueError):
    """A URL that was refused or could not be read; the message is one line saying why."""


def address_refusal(address: IPAddress) -> str | None:
    """Why an address is not a public one a fetch may reach (None when it is)."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address wrapped in IPv6 (mapped, 6to4, NAT64, the old "compatible" form) reaches that IPv4 host.
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and (address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1)):
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return address_refusal(inner)
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address in CGNAT:
        return "a carrier-grade NAT (shared) address"
    if any(address in network for network in PRIVATE):
        return "a private address"
    if not address.is_global or address.is_reserved:
        return "a reserved, non-public address"
    return None


@dataclass(frozen=True)
class FetchPolicy:
    """Which hosts a fetch may reach and how much it may read. By default public addresses only; `allow` opens
    named hosts (`wiki.corp`, `.corp.example.com` for every host under it) and networks (`10.20.0.0/16`)."""

    allow_hosts: frozenset[str] = frozenset()
    allow_domains: tuple[str, ...] = ()  # suffixes such as ".corp.example.com"
    allow_networks: tuple[IPNetwork, ...] = ()
    max_bytes: int = MAX_BYTES
    timeout: float = TIMEOUT_SECONDS
    max_redirects: int = MAX_REDIRECTS

    @classmethod
    def from_entries(cls, entries: Iterable[str], **limits: Any) -> FetchPolicy:
        """Hostnames, `.domain` suffixes and CIDR networks; a malformed entry raises ValueError naming it."""
        hosts: set[str] = set()
        domains: list[str] = []
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if not _HOSTNAME.match(entry) or entry.replace(".", "").isdigit():
                raise ValueError(f"{raw!r} is neither a hostname nor a network such as 10.0.0.0/8")
            if entry.startswith(("*.", ".")):
                domains.append("." + entry.lstrip("*."))
            else:
                hosts.add(entry)
        return cls(frozenset(hosts), tuple(domains), tuple(networks), **limits)

    @property
    def opens_anything(self) -> bool:
        return bool(self.allow_hosts or self.allow_domains or self.allow_networks)

    def describe(self) -> str:
        """One line for the start-up log."""
        allowed = [*sorted(self.allow_hosts), *self.allow_domains, *(str(n) for n in self.allow_networks)]
        where = "public addresses" + (f" and the allowed {', '.join(allowed)}" if allowed else " only")
        return (f"fetching articles from {where}; at most {self.max_bytes:,} bytes in {self.timeout:g} s, "
                f"{self.max_redirects} redirects")

    def host_allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.allow_hosts or any(host.endswith(d) for d in self.allow_domains)

    def address_allowed(self, address: IPAddress) -> bool:
        return any(address.version == n.version and address in n for n in self.allow_networks)


def check_url(url: str, label: str | None = None) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or a FetchError saying why it is not one we fetch."""
    label = label or url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"{label}: not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"{label}: only http(s) URLs can be fetched, not {scheme or 'a URL without a scheme'}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchError(f"{label}: the URL names no host")
    return scheme, host, port or (443 if scheme == "https" else 80)


