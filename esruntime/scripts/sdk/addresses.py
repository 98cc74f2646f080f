"""Which IP addresses a script may reach: public unicast only, judged after resolution.

Text forms of hosts are not trusted: the HTTP client resolves a host once and judges every
address it gets. A host that is a number in any IPv4 spelling browsers accept (``2130706433``,
``0x7f000001``, ``0177.0.0.1``, ``127.1``) is read as the address it spells first
(:func:`ipv4_host`). IPv6 addresses that embed an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo)
are judged by the address they embed.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Sequence

from esruntime.errors import SdkError

__all__ = [
    "check_host_name",
    "check_resolved",
    "ipv4_host",
    "non_public_reason",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

_BLOCKED_V4: tuple[tuple[_V4, str], ...] = (
    (_V4("0.0.0.0/8"), "unspecified"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "shared, CGNAT"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local, cloud metadata"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "reserved"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "reserved"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "reserved"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
)

_GLOBAL_UNICAST_V6 = _V6("2000::/3")
_MAPPED = _V6("::ffff:0:0/96")
_COMPATIBLE = _V6("::/96")
_NAT64 = _V6("64:ff9b::/96")
_BLOCKED_V6: tuple[tuple[_V6, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_COMPATIBLE, "IPv4-compatible, deprecated"),
    (_V6("64:ff9b:1::/48"), "local-use NAT64"),
    (_V6("100::/64"), "discard-only"),
    (_V6("fc00::/7"), "unique-local"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local"),
    (_V6("ff00::/8"), "multicast"),
    # Inside 2000::/3 (Teredo, 2001::/32, is judged by what it embeds before this table).
    (_V6("2001::/23"), "reserved"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("3fff::/20"), "documentation"),
)


def non_public_reason(address: str | IPAddress) -> str | None:
    """Why this address must not be reached (``"loopback"``, ``"private"``...), or None."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv4Address):
        return next((why for net, why in _BLOCKED_V4 if ip in net), None)
    ip = ip if ip.scope_id is None else ipaddress.IPv6Address(str(ip).split("%", 1)[0])
    embedded = _embedded_v4(ip)
    if embedded:
        for form, inner in embedded:
            why = non_public_reason(inner)
            if why is not None:
                return f"{form} form of a {why}"
        return None
    why = next((why for net, why in _BLOCKED_V6 if ip in net), None)
    if why is None and ip not in _GLOBAL_UNICAST_V6:
        why = "reserved"
    return why


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    if ip in _MAPPED and ip.ipv4_mapped is not None:
        return [("IPv4-mapped", ip.ipv4_mapped)]
    if ip in _NAT64:
        return [("NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))]
    if ip.sixtofour is not None:
        return [("6to4", ip.sixtofour)]
    if ip.teredo is not None:
        server, client = ip.teredo
        return [("Teredo", server), ("Teredo", client)]
    return []


_IPV4_DIGITS = {10: re.compile(r"[0-9]{1,40}"), 8: re.compile(r"[0-7]{1,40}")}
_IPV4_DIGITS[16] = re.compile(r"[0-9a-fA-F]{1,40}")


def _ipv4_number(part: str) -> int | None:
    radix = 10
    if part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        part, radix = part[1:], 8
    if not part:
        return 0
    return int(part, radix) if _IPV4_DIGITS[radix].fullmatch(part) else None


def ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a URL host spells as browsers read it, or None for a name.

    This is the WHATWG URL Standard's IPv4 parser (decimal, octal ``0177`` and hex ``0x7f`` parts,
    one to four of them, the last filling the remaining bytes); Python has no implementation of it
    (``ipaddress`` takes the dotted-quad form only, ``inet_aton`` accepts trailing text). A host
    that ends in a number but is no valid address (``256.0.0.1``, ``08.0.0.1``) raises SdkError.
    """
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    if not (last.isascii() and last.isdigit()) and (not last or _ipv4_number(last) is None):
        return None
    numbers = [_ipv4_number(part) if part else None for part in parts]
    valid = [n for n in numbers if n is not None]
    if len(parts) > 4 or len(valid) != len(parts) or any(n > 255 for n in valid[:-1]):
        raise SdkError(f"Invalid URL: host {host!r} is not a valid IPv4 address")
    if valid[-1] >= 256 ** (5 - len(valid)):
        raise SdkError(f"Invalid URL: host {host!r} is not a valid IPv4 address")
    value = valid[-1] + sum(n << 8 * (3 - i) for i, n in enumerate(valid[:-1]))
    return ipaddress.IPv4Address(value)


def check_host_name(host: str) -> None:
    """Refuse the names that mean this machine whatever DNS says (RFC 6761 ``localhost``)."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        raise SdkError(f"SSRF protection: host {host!r} is this machine")


def check_resolved(host: str, addresses: Iterable[str]) -> list[str]:
    """The addresses, if every one of them is public; else SdkError naming the first problem."""
    checked = []
    for address in addresses:
        try:
            why = non_public_reason(address)
        except ValueError:
            why = "unparseable"
        if why is not None:
            # The address itself is not revealed: it would map the host's internal DNS.
            raise SdkError(
                f"SSRF protection: host {host!r} resolves to a non-public address ({why})"
            )
        checked.append(address)
    if not checked:
        raise SdkError(f"HTTP request failed: host {host!r} has no address")
    return checked


def system_resolver(host: str, port: int) -> Sequence[str]:
    """Every address ``getaddrinfo`` gives for a TCP connection to host:port, in its order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise SdkError(f"HTTP request failed: cannot resolve host {host!r}") from exc
    addresses: list[str] = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and sockaddr[0] not in addresses:
            addresses.append(str(sockaddr[0]))
    return addresses
