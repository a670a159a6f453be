"""Who is really on the other end: client addresses and https behind a TLS proxy.

Behind nginx or a load balancer, every request arrives from the proxy's address over
plain http; the proxy says who the client was (``X-Forwarded-For``) and how it came
(``X-Forwarded-Proto``). Those headers are just text that anyone can send, so they are
believed only when the peer itself is a proxy the operator named:

    SHOPBOT_TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8      (IPs or CIDRs, comma separated; default none)
    SHOPBOT_SECURE_COOKIES=1                          (always mark cookies Secure)

``client_address`` walks ``X-Forwarded-For`` from the right (the hop our trusted proxy
appended) and returns the first address that is not itself a trusted proxy, so whatever
a client wrote on the left of the list is never taken. Without trusted proxies both
functions look at the connection only.
"""

import ipaddress
import logging
import os
from functools import lru_cache
from typing import Any, Optional, Tuple, Union

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

logger = logging.getLogger(__name__)

TRUSTED_PROXIES_ENV = "SHOPBOT_TRUSTED_PROXIES"
SECURE_COOKIES_ENV = "SHOPBOT_SECURE_COOKIES"


@lru_cache(maxsize=8)
def parse_networks(spec: str) -> Tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` as networks. An entry that is not an address is logged and
    left out: trusting less than meant is safe, failing every request is not."""
    networks = []
    for item in (spec or "").split(","):
        item = item.strip()
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                logger.error("%s: %r is not an IP address or CIDR; it is ignored", TRUSTED_PROXIES_ENV, item)
    return tuple(networks)


def trusted_proxies() -> Tuple[Network, ...]:
    """The configured proxies, read from the environment on each call (cheap: cached parse)."""
    return parse_networks(os.environ.get(TRUSTED_PROXIES_ENV, ""))


def parse_address(value: Optional[str]) -> Optional[Address]:
    """An IP from a header or the socket: ``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``, ``::1``."""
    value = (value or "").strip().strip('"')
    if not value:
        return None
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def is_trusted(address: Optional[Address], networks: Optional[Tuple[Network, ...]] = None) -> bool:
    if address is None:
        return False
    networks = trusted_proxies() if networks is None else networks
    return any(address.version == net.version and address in net for net in networks)


def _peer(request: Any) -> str:
    return str(getattr(request, "ip", "") or "")


def client_address(request: Any) -> str:
    """The client's address: the peer, or what a trusted proxy peer says the client was."""
    peer_text = _peer(request)
    peer = parse_address(peer_text)
    networks = trusted_proxies()
    if not networks or not is_trusted(peer, networks):
        return str(peer) if peer else peer_text
    hops = [h for h in ",".join(request.headers.getall("x-forwarded-for", [])).split(",") if h.strip()]
    nearest = peer
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:  # garbage: nobody we trust wrote it, so stop at the last trusted hop
            break
        if not is_trusted(address, networks):
            return str(address)
        nearest = address
    return str(nearest)


def is_secure(request: Any) -> bool:
    """Whether the browser talks https to us: directly, or to a trusted proxy that says so."""
    try:
        if str(request.scheme).lower() in ("https", "wss"):
            return True
    except Exception:  # noqa: BLE001 - a request without a transport (tests) is plain http
        pass
    if not is_trusted(parse_address(_peer(request))):
        return False
    values = ",".join(request.headers.getall("x-forwarded-proto", [])).split(",")
    # The right-most value is the one our trusted peer set.
    return values[-1].strip().lower() == "https"


def secure_cookies(request: Any) -> bool:
    """Whether cookies set on this response get ``Secure``: forced by the setting, or https."""
    if os.environ.get(SECURE_COOKIES_ENV, "").strip().lower() in ("1", "true", "yes"):
        return True
    return is_secure(request)


__all__ = ["client_address", "is_secure", "secure_cookies", "trusted_proxies", "parse_networks", "parse_address"]
