"""The host and address classifier: which destinations a crawl must never reach (no traffic sent)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watch.netsafety import REFUSED_NETWORKS, address_refusal, host_refusal, parse_address


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("localhost", "loopback"),
        ("LOCALHOST.", "loopback"),
        ("admin.localhost", "loopback"),
        ("localhost.localdomain", "loopback"),
        ("127.0.0.1", "loopback"),
        ("127.255.1.2", "loopback"),
        ("127.1", "loopback"),  # inet_aton's short form
        ("0x7f.0.0.1", "loopback"),  # hexadecimal part
        ("0177.0.0.1", "loopback"),  # octal part
        ("2130706433", "loopback"),  # one 32-bit number
        ("[::1]", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT
        ("169.254.1.1", "link_local"),
        ("[fe80::1]", "link_local"),
        ("fc00::1", "unique_local"),
        ("fd12:3456::1", "unique_local"),
        ("169.254.169.254", "metadata"),
        ("169.254.170.2", "metadata"),
        ("100.100.100.200", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("64:ff9b::a9fe:a9fe", "metadata"),  # NAT64 of 169.254.169.254
        ("metadata.google.internal", "metadata"),
        ("metadata.goog", "metadata"),
        ("0.0.0.0", "unspecified"),
        ("0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("ff02::1", "reserved"),
    ],
)
def test_refused_hosts(host: str, kind: str) -> None:
    refusal = host_refusal(host)
    assert refusal is not None and refusal.kind == kind, host
    assert refusal.reason


@pytest.mark.parametrize(
    "host",
    [
        "blog.example", "universdoc.test", "a.blogspot.com", "93.184.216.34", "8.8.8.8",
        "2001:4860:4860::8888", "172.32.0.1", "172.15.255.255", "192.169.0.1", "100.128.0.1",
        "localhost.example", "mylocalhost", "10.example", "1e100.net", "0day.example",
        "metadata.google.internal.example",
    ],
)  # fmt: skip
def test_allowed_hosts(host: str) -> None:
    assert host_refusal(host) is None


@pytest.mark.parametrize(("text", "address"), [("127.1", "127.0.0.1"), ("10.1", "10.0.0.1"), ("0xa000001", "10.0.0.1")])
def test_legacy_ipv4_spellings_are_addresses(text: str, address: str) -> None:
    assert str(parse_address(text)) == address


@given(st.sampled_from([n for n, _ in REFUSED_NETWORKS if n.version == 4]), st.integers(min_value=0))
def test_every_address_of_a_refused_ipv4_network_is_refused(network: ipaddress.IPv4Network, offset: int) -> None:
    address = network.network_address + offset % network.num_addresses
    assert address_refusal(address) is not None
    # The same address, IPv4-mapped into IPv6, is refused too.
    assert address_refusal(ipaddress.IPv6Address(f"::ffff:{address}")) is not None


@given(st.ip_addresses(v=4))
def test_ipv4_refusal_is_network_membership(address: ipaddress.IPv4Address) -> None:
    inside = any(address in network for network, _ in REFUSED_NETWORKS if network.version == 4)
    assert (address_refusal(address) is not None) == inside
