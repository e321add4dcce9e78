"""Where a supplier URL may point (no server-side request forgery).

A listing's supplier URL is typed by a team member and opened by the worker's signed-in browser, so
it must stay on the supplier: a host the supplier's adapter declares (``SupplierAdapter.hosts``, or
a subdomain of one, on the default port) or exactly the host and port of the supplier's configured
base URL (the local demo shop runs on 127.0.0.1). Any other loopback, private, link-local (cloud
metadata 169.254.169.254), reserved or multicast address is refused. Checked when a listing is
saved, again by the adapter before it navigates, and on every request the browser makes during a job
(``guard``).
"""

import ipaddress
import re
import socket
import time
from urllib.parse import urljoin, urlsplit

BLOCKED_NAMES = ("localhost", "metadata.google.internal", "metadata")
BLOCKED_SUFFIXES = (".localhost", ".internal", ".local")
DEFAULT_PORTS = {"http": 80, "https": 443}
DNS_TTL_SECONDS = 60


class UnsafeURLError(ValueError):
    """The URL leaves the supplier or points at an internal address; the message says why."""


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, lower-case host, port) of an absolute http(s) URL; UnsafeURLError otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURLError("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsafeURLError("Use an http:// or https:// URL.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeURLError("A supplier URL cannot carry a user name or password.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURLError("The URL has no host.")
    return scheme, host, port or DEFAULT_PORTS[scheme]


def _ip(host: str):
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def internal_address(address) -> bool:
    """Loopback, private, link-local, reserved, multicast or unspecified: not the public
    internet."""
    return not address.is_global or address.is_multicast


def internal_host(host: str) -> bool:
    """Whether the host names an internal address (IP literal or a well-known internal name)."""
    address = _ip(host)
    if address is not None:
        return internal_address(address)
    return host in BLOCKED_NAMES or host.endswith(BLOCKED_SUFFIXES) or "." not in host


def _on_declared_host(host: str, port: int, scheme: str, hosts) -> bool:
    if port != DEFAULT_PORTS[scheme]:
        return False
    return any(host == h or host.endswith("." + h) for h in (d.lower() for d in hosts))


def check_supplier_url(url: str, *, hosts=(), base_url: str | None = None) -> str:
    """Return ``url`` if it stays on the supplier; raise UnsafeURLError saying why it does not."""
    scheme, host, port = _origin(url)
    if base_url:
        _, base_host, base_port = _origin(base_url)
        if (host, port) == (base_host, base_port):
            return url
    if _on_declared_host(host, port, scheme, hosts) and not internal_host(host):
        return url
    if internal_host(host):
        raise UnsafeURLError(
            "This URL points at an internal address (loopback, private network or metadata "
            "service); use the supplier's own product page."
        )
    allowed = sorted({*hosts, *([_origin(base_url)[1]] if base_url else [])})
    raise UnsafeURLError(
        "This URL is not on the supplier's site" + (f" ({', '.join(allowed)})." if allowed else ".")
    )


def product_page(base_url: str, product_url: str, hosts=()) -> str:
    """The absolute product URL an adapter may open (a relative URL is joined to the base)."""
    return check_supplier_url(
        urljoin(base_url.rstrip("/") + "/", product_url), hosts=hosts, base_url=base_url
    )


# --- the browser's requests during a job ----------------------------------------------------------
_resolved: dict[str, tuple[float, bool]] = {}


def _resolves_internal(host: str) -> bool:
    """Whether any address of ``host`` is internal (cached briefly; unresolvable is not internal:
    the browser cannot reach it either)."""
    now = time.monotonic()
    hit = _resolved.get(host)
    if hit is not None and hit[0] > now:
        return hit[1]
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        internal = any(internal_address(_ip(info[4][0].split("%")[0])) for info in infos)
    except (OSError, UnicodeError, ValueError):
        internal = False
    if len(_resolved) > 4096:
        _resolved.clear()
    _resolved[host] = (now + DNS_TTL_SECONDS, internal)
    return internal


def request_allowed(url: str, base_url: str | None) -> bool:
    """Whether the job's browser may request ``url``: anything public, plus the supplier's own
    configured base host and port; never another internal address."""
    if not url.lower().startswith(("http:", "https:", "ws:", "wss:")):
        return True  # data:, blob:, about: — nothing leaves the browser
    try:
        url = "http" + url[2:] if url.lower().startswith("ws") else url
        _, host, port = _origin(url)
    except UnsafeURLError:
        return False
    if base_url:
        _, base_host, base_port = _origin(base_url)
        if (host, port) == (base_host, base_port):
            return True
    if internal_host(host):
        return False
    return _ip(host) is not None or not _resolves_internal(host)


class Guard:
    """A Playwright route handler that aborts requests to internal addresses (see
    request_allowed), with the ``pattern`` of the URLs it must see.

    The supplier's own requests — its configured base origin, or a host it declares (or a
    subdomain) on the default port — never reach Python: ``pattern`` leaves them out, and
    Playwright matches a regular expression in its driver, so they go on without a round trip to
    this process (routing every request here cost ≈ 10 % of an order on the demo shop, and a real
    supplier's page makes a hundred requests). Everything else — other hosts, other ports, IP
    literals, the redirects a first-party URL answers with — comes here and is judged, DNS
    included."""

    def __init__(self, base_url: str | None, hosts=()):
        self.base_url = base_url
        self.pattern = re.compile(f"^(?!{_first_party(base_url, hosts)})", re.IGNORECASE)

    def __call__(self, route):
        try:
            allowed = request_allowed(route.request.url, self.base_url)
        except Exception:  # noqa: BLE001 - a request we cannot judge is refused, never left hanging
            allowed = False
        if allowed:
            route.fallback()
        else:
            route.abort("blockedbyclient")


_HOST_LABELS = r"(?:[a-z0-9-]+\.)*"  # subdomains: letters, digits, hyphens (no "@", no ":")
_END = r"(?:[/?#]|$)"  # the origin ends here: a path, a query, a fragment or nothing


def _first_party(base_url: str | None, hosts) -> str:
    """A regular expression (JavaScript's syntax as well as Python's: the driver runs it) for the
    URLs on the supplier's own origin or declared hosts; one that matches nothing without
    either."""
    options = []
    if base_url:
        scheme, host, port = _origin(base_url)
        host = f"[{host}]" if ":" in host else host  # an IPv6 literal, as URLs write it
        default = port == DEFAULT_PORTS[scheme]
        port_re = f"(?::{port})?" if default else f":{port}"
        options.append(f"{scheme}://{re.escape(host)}{port_re}{_END}")
    names = sorted({h.lower().rstrip(".") for h in hosts if h and not internal_host(h.lower())})
    if names:
        either = "|".join(re.escape(h) for h in names)
        for scheme, port in DEFAULT_PORTS.items():
            options.append(f"{scheme}://{_HOST_LABELS}(?:{either})(?::{port})?{_END}")
    return "|".join(f"(?:{o})" for o in options) or "(?!)"


def guard(base_url: str | None, hosts=()) -> Guard:
    """The route handler for a job's browser on this supplier (see Guard)."""
    return Guard(base_url, hosts)
