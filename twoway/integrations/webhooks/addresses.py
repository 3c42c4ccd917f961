"""Which hosts a webhook may reach: public internet addresses only.

An org admin types the address, and the worker POSTs to it from inside our network: without
this guard an endpoint could point at the cloud's metadata service (169.254.169.254), a database
on 10.0.0.5 or the machine itself, and read or poke them with our requests (SSRF). The host is
resolved once per delivery, every address it resolves to is checked, and the worker connects to
a checked address itself, so a name cannot answer a public address to the check and a private
one to the connection (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 forms that carry an IPv4 address a router or the kernel will reach: NAT64's well-known
# prefix (RFC 6052) is "global" to ipaddress, yet 64:ff9b::7f00:1 is 127.0.0.1 behind a gateway.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class NotPublic(Exception):
    """The host is, or resolves to, an address that is not on the public internet."""


class Unresolved(Exception):
    """The host name does not resolve (now)."""


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """Loopback, private, link-local, shared (CGNAT), reserved, documentation, unspecified and
    multicast addresses are not; neither is an IPv6 form of any of them."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return is_public(embedded)
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to for TCP, in the resolver's order (an IP literal, in any
    form the C library reads — 2130706433 and 0x7f.1 are 127.0.0.1 — resolves to itself)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolved(f"{host} does not resolve ({exc})") from exc
    seen: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        # An IPv6 sockaddr may carry a scope (fe80::1%eth0); the address is before the %.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    return seen


def allow_private() -> bool:
    """Development and the test suite's loopback receivers only (TWOWAY_WEBHOOK_ALLOW_PRIVATE)."""
    return bool(settings.TWOWAY_WEBHOOK_ALLOW_PRIVATE)


def public_addresses(host: str, port: int) -> list[Address]:
    """The addresses to connect to. NotPublic when any of them is not public (a name with one
    private answer among public ones could be steered to it); Unresolved when there is none."""
    addresses = resolve(host, port)
    if not allow_private():
        refused = [a for a in addresses if not is_public(a)]
        if refused:
            listed = ", ".join(str(a) for a in refused)
            raise NotPublic(f"{host} resolves to {listed}, which is not a public address")
    return addresses
