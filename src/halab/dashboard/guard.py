"""Who the dashboard obeys: the person at the keyboard, not every web page their browser has open.

The process behind the dashboard holds the Docker socket, so a request it obeys can do anything
root can. Four holes a local web UI must close (Jupyter's, Grafana's and Docker Desktop's answers):

- **DNS rebinding.** A page on `attacker.example`, whose name the attacker points at 127.0.0.1,
  talks to the dashboard as if it were same-origin. Every request's `Host` must be a name the
  dashboard is reached by: 127.0.0.1, localhost or [::1] with its port, plus the names a trainer
  adds on purpose (`DASHBOARD_HOSTS`). Anything else: 421, naming the hosts allowed.
- **Cross-site requests.** Any page may send a "simple" POST (text/plain, a form) to 127.0.0.1
  without asking first. A request that changes something must say `Content-Type:
  application/json` (415 otherwise), which a foreign page can only send after a CORS preflight
  the dashboard never grants, and its `Origin` (or, without one, its `Referer`) must be the
  dashboard's own (403 otherwise, naming the origin seen). A foreign `Origin` is refused on
  every request, so another site cannot read the event stream either.
- **Whoever else reaches the port.** Every other user and process of the machine reaches
  127.0.0.1 too, and a browser bug or extension may drop `Origin`. So a change also needs the
  token minted at each start (401 otherwise): the page gets it once from the URL that `make
  dashboard` prints (`/?token=...`), which trades it for a cookie (HttpOnly, SameSite=Strict)
  and redirects to `/`, so the token never stays in the address bar a projector shows; a script
  sends it as `Authorization: Bearer <token>`. Reading stays open to every allowed Host: what
  the lab is doing is no secret in a workshop, changing it is.
- **Framing and injected content.** Every answer forbids framing (`frame-ancestors 'none'`,
  `X-Frame-Options: DENY`) and sniffing, sends no referrer, and the page's Content-Security-Policy
  allows only the dashboard's own scripts, styles and event stream. Reports under /reports are
  self-contained files with inline scripts: they are served sandboxed (no origin, no network).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
TOKEN_HEADER = "authorization"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
# A report inlines its scripts and styles; served from here it runs in a sandbox with an opaque
# origin and no network, so nothing in it can call the API with the dashboard's cookie.
REPORT_CSP = ("sandbox allow-scripts allow-popups; default-src 'none'; script-src 'unsafe-inline'; "
              "style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
COMMON_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


def _with_port(host: str, port: int) -> str:
    """`name` or `name:port`, lower case, always with a port (HTTP's 80 when a Host header has none)."""
    host = host.strip().lower()
    try:
        return host if urlsplit("//" + host).port else f"{host}:{port}"
    except ValueError:  # a port that is not a number: matches nothing allowed
        return host


def parse_hosts(value: str | Iterable[str] | None) -> list[str]:
    """DASHBOARD_HOSTS as given: names or addresses separated by commas or spaces, each with or
    without a port. Raises ValueError naming an entry that cannot be a host."""
    if value is None:
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    hosts = []
    for item in items:
        parsed = urlsplit("//" + item)
        try:
            parsed.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError(f"DASHBOARD_HOSTS: '{item}' has a port that is not a number") from None
        if not parsed.hostname or parsed.path or parsed.query or "@" in item:
            raise ValueError(f"DASHBOARD_HOSTS: '{item}' is not a host name or address "
                             "(allowed: a name or an address, optionally with :port, e.g. 192.168.1.20 or trainer.local:8090)")
        hosts.append(item.strip().lower())
    return hosts


@dataclass
class Guard:
    """The rules, built once at start: the hosts and origins allowed and this start's token."""

    port: int  # the port a browser uses (compose may publish another than the one the app listens on)
    extra_hosts: list[str] = field(default_factory=list)  # DASHBOARD_HOSTS: shown to a room on purpose
    listen_port: int | None = None  # the port inside the container: its health check asks on it
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def __post_init__(self) -> None:
        hosts = [f"{name}:{self.port}" for name in LOOPBACK]
        if self.listen_port and self.listen_port != self.port:
            hosts += [f"{name}:{self.listen_port}" for name in LOOPBACK]
        hosts += [_with_port(h, self.port) for h in self.extra_hosts]
        self.hosts: tuple[str, ...] = tuple(dict.fromkeys(hosts))
        self.origins = frozenset(f"http://{h}" for h in self.hosts) | frozenset(
            f"http://{h.removesuffix(':80')}" for h in self.hosts if h.endswith(":80"))

    @property
    def cookie_name(self) -> str:
        return f"halab_dashboard_{self.port}"  # cookies are shared by every port of a host

    def urls(self) -> list[str]:
        """Where the dashboard is, with the token: the first is the one to open here."""
        shown = [f"127.0.0.1:{self.port}", *[_with_port(h, self.port) for h in self.extra_hosts]]
        return [f"http://{h}/?token={self.token}" for h in dict.fromkeys(shown)]

    # -- the checks, each returning None (allowed) or (status, sentence) -------------------------------
    def check_host(self, host: str | None) -> tuple[int, str] | None:
        if host is None:
            return 400, "the request has no Host header; allowed hosts: " + ", ".join(self.hosts)
        if _with_port(host, 80) in self.hosts:
            return None
        return 421, (f"the dashboard does not answer to Host '{host}' (a page on another site that points its name "
                     f"here is refused); allowed hosts: {', '.join(self.hosts)}. To show it on another address, "
                     "start it with DASHBOARD_HOSTS=that-address (docs/dashboard.md)")

    def check_origin(self, origin: str | None, referer: str | None, *, changes: bool) -> tuple[int, str] | None:
        if origin is not None:
            if origin.strip().lower() in self.origins:
                return None
            return 403, (f"a request from origin '{origin}' is refused: only the dashboard's own page may send it "
                         f"(allowed origins: {', '.join(sorted(self.origins))})")
        if changes and referer:
            parts = urlsplit(referer)
            seen = f"{parts.scheme}://{parts.netloc}".lower()
            if seen not in self.origins:
                return 403, (f"a request from a page on '{seen}' is refused: only the dashboard's own page may send it "
                             f"(allowed origins: {', '.join(sorted(self.origins))})")
        return None

    @staticmethod
    def check_content_type(content_type: str | None) -> tuple[int, str] | None:
        media = (content_type or "").split(";")[0].strip().lower()
        if media == "application/json":
            return None
        return 415, (f"a request that changes something must be JSON: Content-Type 'application/json', "
                     f"not '{content_type or 'none'}'")

    def check_token(self, authorization: str | None, cookie: str | None) -> tuple[int, str] | None:
        offered = None
        if authorization and authorization.lower().startswith("bearer "):
            offered = authorization[7:].strip()
        elif cookie:
            jar = SimpleCookie()
            try:
                jar.load(cookie)
            except Exception:  # noqa: BLE001 - a malformed cookie header is no token
                jar = SimpleCookie()
            if self.cookie_name in jar:
                offered = jar[self.cookie_name].value
        if offered is not None and secrets.compare_digest(offered.encode(), self.token.encode()):
            return None
        what = "a wrong or old token (the dashboard mints a new one at each start)" if offered else "no token"
        return 401, (f"this request carries {what}: open the URL that `make dashboard` prints (it ends in ?token=...) "
                     "or send 'Authorization: Bearer <token>'; `make dashboard` prints it again while the dashboard runs")


def _error(status: int, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": message, "problems": [message]}).encode()


class GuardMiddleware:
    """ASGI middleware that applies a Guard to every HTTP request and adds the headers to every
    answer (the event stream included: it wraps `send`, nothing is buffered)."""

    def __init__(self, app, guard: Guard) -> None:
        self.app, self.guard = app, guard

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        changes = method not in SAFE_METHODS
        g = self.guard
        refusal = g.check_host(headers.get("host")) or g.check_origin(headers.get("origin"), headers.get("referer"), changes=changes)
        if refusal is None and changes:
            refusal = g.check_content_type(headers.get("content-type")) or g.check_token(headers.get(TOKEN_HEADER), headers.get("cookie"))
        csp = REPORT_CSP if path.startswith("/reports/") else PAGE_CSP
        if refusal is not None:
            await self._send(send, *_error(*refusal), csp=csp)
            return
        if method == "GET" and path == "/" and "token" in parse_qs(scope.get("query_string", b"").decode("latin-1")):
            await self._login(scope, send, csp)
            return

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self._headers(csp)]}
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _login(self, scope, send, csp: str) -> None:
        """`/?token=...`: a right token becomes a cookie for this port; either way the browser is sent
        on to `/`, so the token does not stay in the address bar or the history."""
        offered = parse_qs(scope["query_string"].decode("latin-1")).get("token", [""])[0]
        headers = [(b"location", b"/"), (b"cache-control", b"no-store")]
        if secrets.compare_digest(offered.encode(), self.guard.token.encode()):
            cookie = f"{self.guard.cookie_name}={self.guard.token}; Path=/; HttpOnly; SameSite=Strict"
            headers.append((b"set-cookie", cookie.encode()))
        await send({"type": "http.response.start", "status": 303, "headers": [*headers, *self._headers(csp)]})
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    def _headers(csp: str) -> list[tuple[bytes, bytes]]:
        return [*COMMON_HEADERS, (b"content-security-policy", csp.encode())]

    async def _send(self, send, status: int, body: bytes, *, csp: str) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                *self._headers(csp)]})
        await send({"type": "http.response.body", "body": body})
