"""Which hosts a crawl of the open web must never reach: this machine and the networks around it.

A monitoring crawler follows links written by strangers. A link, a redirect or a DNS answer that
points at ``localhost``, a private network or a cloud's metadata service would turn watch into a
way of reading what sits behind the firewall of whoever runs it (server-side request forgery).
So, unless a crawl explicitly allows private networks (tests and the offline demo do), watch
refuses to send a request to:

* ``localhost`` and every ``*.localhost`` name (RFC 6761), whatever they resolve to;
* the names of cloud metadata services (``metadata.google.internal``, ``metadata.goog``);
* an address, written as an IP literal in the URL or obtained by resolving a name, in one of the
  ranges of :data:`REFUSED_NETWORKS`: loopback, private (RFC 1918 and the carrier-grade NAT
  range), link-local, unique-local, "this network" (``0.0.0.0/8``, which Linux routes to the local
  host), multicast and reserved ranges, and the metadata endpoints themselves. IPv4 addresses
  carried inside IPv6 ones (``::ffff:10.0.0.1``, NAT64 ``64:ff9b::a00:1``) are judged by their
  IPv4 address.

Host names are judged by name here, addresses by :func:`address_refusal`; the Scrapy adapter
applies the first to every request's URL and the second to every DNS answer, so a name that
resolves into a refused range is refused too (and its answer is never connected to).

IP literals in legacy spellings (``127.1``, ``0x7f.0.0.1``, ``2130706433``) are read the way
``inet_aton`` and browsers read them: they are addresses, not names.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
from typing import NamedTuple

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refusal(NamedTuple):
    """Why a host is refused: a short ``kind`` for counting, and the rule in words."""

    kind: str
    reason: str


#: Networks no request may reach, most specific first (the first that contains an address names
#: the refusal). Kinds: ``metadata``, ``loopback``, ``private``, ``link_local``, ``unique_local``,
#: ``unspecified``, ``reserved``.
REFUSED_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(network), kind)
    for network, kind in (
        ("169.254.169.254/32", "metadata"),  # AWS, GCP, Azure, OpenStack, DigitalOcean…
        ("169.254.170.2/32", "metadata"),  # AWS ECS task metadata
        ("100.100.100.200/32", "metadata"),  # Alibaba Cloud
        ("fd00:ec2::254/128", "metadata"),  # AWS over IPv6
        ("127.0.0.0/8", "loopback"),
        ("::1/128", "loopback"),
        ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"),
        ("192.168.0.0/16", "private"),
        ("100.64.0.0/10", "private"),  # carrier-grade NAT (shared address space)
        ("169.254.0.0/16", "link_local"),
        ("fe80::/10", "link_local"),
        ("fc00::/7", "unique_local"),
        ("0.0.0.0/8", "unspecified"),  # "this network": 0.0.0.0 reaches the local host on Linux
        ("::/128", "unspecified"),
        ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
        ("198.18.0.0/15", "reserved"),  # benchmarking
        ("224.0.0.0/4", "reserved"),  # multicast
        ("240.0.0.0/4", "reserved"),  # future use, and the broadcast address
        ("ff00::/8", "reserved"),  # IPv6 multicast
    )
)

#: Names refused whatever they resolve to (``*.localhost`` too).
REFUSED_NAMES: dict[str, str] = {
    "localhost": "loopback",
    "localhost.localdomain": "loopback",
    "metadata.google.internal": "metadata",
    "metadata.goog": "metadata",
}

_REASONS = {
    "metadata": "a cloud metadata service",
    "loopback": "this machine (loopback)",
    "private": "a private network",
    "link_local": "a link-local address",
    "unique_local": "a unique-local IPv6 network",
    "unspecified": "the unspecified address (this machine)",
    "reserved": "a reserved or multicast range",
}

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def host_refusal(host: str) -> Refusal | None:
    """Why a request to ``host`` (a URL's host name, without port) must not be sent, or ``None``.

    Steps: lower-case, strip a trailing dot and IPv6 brackets; an IP literal (any spelling
    ``inet_aton`` accepts, or IPv6) is judged by :func:`address_refusal`; a name is refused when
    it is ``localhost``, under ``.localhost``, or a metadata service's name. Other names are
    allowed here: what they resolve to is judged when they are resolved.

    >>> [getattr(host_refusal(h), "kind", None) for h in
    ...  ("LocalHost.", "api.localhost", "127.1", "[::1]", "10.2.3.4", "169.254.169.254",
    ...   "metadata.google.internal", "0x7f000001", "blog.example", "93.184.216.34")]
    ['loopback', 'loopback', 'loopback', 'loopback', 'private', 'metadata', 'metadata', 'loopback', None, None]
    """
    return _host_refusal(host.strip().lower().rstrip(".").strip("[]"))


@lru_cache(maxsize=65_536)
def _host_refusal(host: str) -> Refusal | None:
    address = parse_address(host)
    if address is not None:
        return address_refusal(address)
    kind = REFUSED_NAMES.get(host)
    if kind is None and host.endswith(".localhost"):
        kind = "loopback"
    return None if kind is None else Refusal(kind, _REASONS[kind])


def address_refusal(address: IPAddress | str) -> Refusal | None:
    """Why an address must not be connected to, or ``None`` for a public address.

    >>> address_refusal("192.168.1.10")
    Refusal(kind='private', reason='a private network')
    >>> address_refusal("::ffff:127.0.0.1").kind, address_refusal("64:ff9b::a9fe:a9fe").kind
    ('loopback', 'metadata')
    >>> address_refusal("2001:db8::1") is None, address_refusal("8.8.8.8") is None
    (True, True)
    """
    if isinstance(address, str):
        address = ipaddress.ip_address(address)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address in _NAT64:
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    for network, kind in REFUSED_NETWORKS:
        if address.version == network.version and address in network:
            return Refusal(kind, _REASONS[kind])
    return None


def parse_address(host: str) -> IPAddress | None:
    """The address ``host`` spells, in any form a resolver or browser reads as one; else ``None``.

    >>> [str(parse_address(h)) for h in ("127.1", "0x7f.0.0.1", "2130706433", "::1", "a.test")]
    ['127.0.0.1', '127.0.0.1', '127.0.0.1', '::1', 'None']
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # inet_aton reads the historic forms (127.1, hex and octal parts, one 32-bit number), as
    # getaddrinfo and browsers do; only hosts made of such characters are worth trying.
    if host and all(c in "0123456789abcdefx." for c in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None
