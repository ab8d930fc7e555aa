"""Which address phones in the hall use to reach this laptop, chosen at start-up.

A laptop has more addresses than the one phones can reach: Docker's bridge, a VPN, a virtual
machine's network, a second Wi-Fi. Phones reach it over the interface of the default route
(the hall's Wi-Fi or a phone's hotspot), unless that route goes into a VPN. So: the interfaces'
IPv4 addresses (the server listens on IPv4), without loopback, self-assigned link-local ones and
interfaces that only lead into this machine or a tunnel; the default route's first. No packet
is sent: connecting a UDP socket only asks the kernel which way it would go.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

# A documentation address (TEST-NET-2): never in a hall's route table, so the kernel sends it
# the default way. Nothing is ever sent to it.
DEFAULT_ROUTE_PROBE = "198.51.100.1"

# Interfaces phones in the hall cannot reach: container and VM bridges, VPNs and other tunnels
# (Linux and macOS names). A real bridge holding the Wi-Fi or cable (e.g. "br0") is not here.
VIRTUAL = re.compile(
    r"^(docker|br-[0-9a-f]{12}$|veth|virbr|vboxnet|vmnet|vnet|lxcbr|lxdbr|podman|cni|flannel|"
    r"cali|kube|tun|tap|wg|ppp|utun|ipsec|tailscale|zt|nordlynx|proton|cscotun|gpd|anpi|"
    r"bridge|awdl|llw)"
)


@dataclass(frozen=True)
class Interface:
    """One IPv4 address of one network interface."""

    name: str
    address: str
    up: bool = True


def interfaces() -> list[Interface]:
    """This machine's IPv4 addresses, per interface (psutil: Linux and macOS alike)."""
    import psutil

    stats = psutil.net_if_stats()
    found = []
    for name, addresses in psutil.net_if_addrs().items():
        up = stats[name].isup if name in stats else False
        found += [Interface(name, a.address, up) for a in addresses if a.family == socket.AF_INET]
    return found


def all_addresses() -> list[str]:
    """Every address of this machine, IPv4 and IPv6, for the Host-header check."""
    import psutil

    families = (socket.AF_INET, socket.AF_INET6)
    return sorted(
        {
            a.address.split("%")[0]
            for addresses in psutil.net_if_addrs().values()
            for a in addresses
            if a.family in families
        }
    )


def default_route_address() -> str | None:
    """The local address the kernel would send from to somewhere outside, or None without a
    default route."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect((DEFAULT_ROUTE_PROBE, 9))
        return probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()


def reachable(interface: Interface) -> bool:
    """Whether phones in the hall might reach this address."""
    ip = ipaddress.IPv4Address(interface.address)
    return (
        interface.up
        and not (ip.is_loopback or ip.is_link_local or ip.is_unspecified)
        and not (VIRTUAL.match(interface.name))
    )


def phone_addresses(found: list[Interface] | None = None, route: str | None = "") -> list[str]:
    """The addresses phones may use, the most likely first: the default route's address when
    its interface is a real one, then the other real interfaces' (private LAN ranges before
    others). Empty without a network phones could reach. ``found`` and ``route`` are the
    machine's own unless given (tests)."""
    found = interfaces() if found is None else found
    route = default_route_address() if route == "" else route
    candidates = [i for i in found if reachable(i)]

    def rank(interface: Interface):
        private = ipaddress.IPv4Address(interface.address).is_private
        return (interface.address != route, not private, interface.name, interface.address)

    addresses = list(dict.fromkeys(i.address for i in sorted(candidates, key=rank)))
    if not addresses and route and not ipaddress.IPv4Address(route).is_loopback:
        # Only the default route's interface, under a name taken for a tunnel: still the best
        # guess, better than none.
        addresses = [route]
    return addresses
