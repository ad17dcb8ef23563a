"""Which URLs a crawl may request: the one URL policy, applied where requests are made.

- Only http and https. A listing link to `file:///etc/hostname` must never be read.
- A platform's requests stay on its domains: the registrable domain of its base_url (so www.jd.com also covers
  item.jd.com and club.jd.com) and those of its other configured absolute URLs (URL templates, own products,
  competitors), each with its subdomains, plus its `allowed_domains`. A URL no platform claims (`extract --url`'s
  "web" pseudo-platform) stays on its own host.
- Loopback, private, link-local and other non-public addresses, and `localhost`, only for platforms configured
  `local = true` (the demo marketplace on 127.0.0.1): a page of a real marketplace must not steer the crawler to
  the machine's own services or a cloud metadata endpoint.

The spider base checks a URL before it becomes a request, `UrlPolicyMiddleware` checks every request again in
the downloader (which also sees the targets of redirects), and `AbortResources` checks what browser pages load.
Only literal addresses are classified: a host name whose DNS answer is a private address is not caught here.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from tldextract import TLDExtract

from config import Config, Platform

logger = logging.getLogger(__name__)

SCHEMES = frozenset({"http", "https"})
IN_PAGE_SCHEMES = frozenset({"data", "blob"})  # a browser page's own memory, not a fetch
LOCAL_NAMES = ("localhost", "localhost.localdomain")
# The public suffix list shipped with tldextract, never fetched (crawls run offline too); private suffixes such as
# github.io count, so one github.io site does not cover all others.
_split_domain = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


class Refusal(NamedTuple):
    reason: str   # "scheme", "private" or "offsite": the last part of its stats key
    host: str
    detail: str   # for people: what was refused and why

    def __str__(self) -> str:
        return f"refused by URL policy: {self.detail}"


class Refused(IgnoreRequest):
    """A request the URL policy refused; its errback can tell it apart from other ignored requests."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


def host_of(url: str) -> str:
    """The URL's host, lower case, without a trailing dot and IDNA-encoded ("" when it has none)."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:  # e.g. an unbalanced "[" in the netloc
        return ""
    try:
        return host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return host


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host name stands for by itself, in any form a resolver accepts: dotted, IPv6, and the
    legacy shorthands that getaddrinfo turns into addresses without DNS ("127.1", "0x7f.0.0.1", "2130706433")."""
    try:
        address = ipaddress.ip_address(host.partition("%")[0] if ":" in host else host)  # no IPv6 zone
    except ValueError:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_private_host(host: str) -> bool:
    """True for localhost and for literal addresses that are not on the public internet: loopback (127/8, ::1),
    private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10), 0.0.0.0 and the like."""
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    address = literal_address(host)
    return address is not None and not address.is_global


def domain_of(host: str) -> str:
    """The registrable domain of a host name (item.jd.com -> jd.com); an address or a name under no public
    suffix stands for itself."""
    if literal_address(host) is not None:
        return host
    return _split_domain(host).top_domain_under_public_suffix or host


def on_domains(host: str, domains: Iterable[str]) -> bool:
    """Whether the host is one of the domains or a subdomain of one."""
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def platform_domains(platform: Platform, extra_urls: Iterable[str] = ()) -> frozenset[str]:
    """The domains a platform's requests may go to: see the module docstring."""
    urls = [platform.base_url or "", platform.search_url or "", platform.hot_url or "", platform.product_url or "",
            platform.reviews_url or "", *extra_urls]
    hosts = {host_of(url) for url in urls if urlsplit(url).scheme}
    return frozenset({domain_of(host) for host in hosts if host} | {d.lower() for d in platform.allowed_domains})


class UrlPolicy:
    """The policy for one config: `refusal(platform, url)` is None for a URL that may be requested."""

    def __init__(self, config: Config) -> None:
        listed: dict[str, list[str]] = {}
        for listing in (*config.own_products, *config.competitors):
            listed.setdefault(listing.platform, []).append(config.platforms[listing.platform].resolve(listing.url))
        self.platforms = {key: (platform.local, platform_domains(platform, listed.get(key, ())))
                          for key, platform in config.platforms.items()}
        self.local_domains = frozenset(domain for local, domains in self.platforms.values() if local
                                       for domain in domains)

    def claimant(self, url: str) -> str | None:
        """The one platform whose domains hold the URL's host name (item.jd.com for a base_url on www.jd.com);
        None when none or several do, or when the host is an address (127.0.0.1 with its many ports claims
        nothing)."""
        host = host_of(url)
        if literal_address(host) is not None:
            return None
        claims = [key for key, (_, domains) in self.platforms.items() if on_domains(host, domains)]
        return claims[0] if len(claims) == 1 else None

    def refusal(self, platform: str | None, url: str, *, own_host: str | None = None) -> Refusal | None:
        """Why `url` may not be requested for `platform`, or None. `platform` None is a request of no platform
        (robots.txt): its host may be anywhere public, or on a local platform's domains. A platform not
        configured (the "web" pseudo-platform) stays on `own_host` when given, and is never local."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in SCHEMES:
            return Refusal("scheme", scheme or "?", f"{scheme or 'no'} scheme in {url[:200]} (only http and https)")
        host = host_of(url)
        if not host:
            return Refusal("scheme", "?", f"no host in {url[:200]}")
        local, domains = self.platforms.get(platform, (False, None)) if platform is not None else (None, None)
        if local is None:
            local = on_domains(host, self.local_domains)
        if not local and is_private_host(host):
            advice = f" (set platforms.{platform}.local = true if it is yours)" if platform in self.platforms else ""
            return Refusal("private", host, f"{host} is a local or private address{advice}")
        if domains is None and platform is not None and own_host is not None:
            domains = (own_host,)
        if domains is not None and not on_domains(host, domains):
            return Refusal("offsite", host, f"{host} is not on {', '.join(sorted(domains))}")
        return None

    def resource_refusal(self, url: str) -> Refusal | None:
        """For what a browser page loads (scripts, XHR, frames): http(s) and in-page URLs only, and no local or
        private address but local platforms'. Playwright's hook is not told which platform's page asks, so a local
        platform's domains are open to every browser page of the crawl, and other public hosts (CDNs) are too."""
        if urlsplit(url).scheme.lower() in IN_PAGE_SCHEMES:
            return None
        return self.refusal(None, url)


class UrlGuard:
    """The policy applied in a crawl: every refusal counted in the crawl's stats as
    `shopsentinel/refused/<platform>/<reason>` and logged once per host."""

    def __init__(self, policy: UrlPolicy, crawler) -> None:
        self.policy = policy
        self.crawler = crawler  # its stats exist only once the crawl starts, after the spider is made
        self.logged: set[str] = set()

    def check(self, platform: str | None, url: str, *, own_host: str | None = None) -> Refusal | None:
        refusal = self.policy.refusal(platform, url, own_host=own_host)
        if refusal is not None:
            self.crawler.stats.inc_value(f"shopsentinel/refused/{platform or '-'}/{refusal.reason}")
            if refusal.host not in self.logged:
                self.logged.add(refusal.host)
                logger.warning("%s: %s (further refusals of this host are counted, not logged)", platform or "-",
                               refusal)
        return refusal
