"""A small asyncio HTTP/1.1 client: keep-alive when the server allows it, cookies, forms.

No third-party client is installed (neither httpx nor aiohttp), and the bench must not add
dependencies, so this speaks just enough HTTP/1.1 for loopback load: Content-Length and
chunked bodies, `Connection: close` (gunicorn's sync workers close after every response),
Set-Cookie, and urlencoded forms.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from urllib.parse import urlencode

CSRF_RE = re.compile(rb'name="csrf_token"[^>]*?value="([^"]+)"')


class HTTPError(Exception):
    """The server answered with something this client cannot read."""


@dataclass
class Response:
    status: int
    headers: dict[str, list[str]]  # lower-case names
    body: bytes

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[-1] if values else ""

    @property
    def location(self) -> str:
        """The redirect target as a path (the app redirects to same-site paths)."""
        loc = self.header("location")
        if loc.startswith("http"):
            loc = "/" + loc.split("/", 3)[3] if loc.count("/") >= 3 else "/"
        return loc

    def csrf_token(self) -> str | None:
        found = CSRF_RE.search(self.body)
        return found.group(1).decode() if found else None


class Connection:
    """One TCP connection, reopened whenever the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0  # responses read on the current connection
        self.opened = 0  # connections opened in total

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.used = 0
        self.opened += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, raw: bytes) -> Response:
        if self.writer is None:
            await self._connect()
        reused = self.used > 0
        try:
            return await self._exchange(raw)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            self.close()
            # A kept-alive connection the server dropped while idle: nothing was processed.
            if reused and (not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial):
                await self._connect()
                return await self._exchange(raw)
            raise

    async def _exchange(self, raw: bytes) -> Response:
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(raw)
        reader = self.reader
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise HTTPError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        length = headers.get("content-length")
        chunked = "chunked" in ",".join(headers.get("transfer-encoding", [])).lower()
        must_close = parts[0] == "HTTP/1.0" or any(
            v.lower() == "close" for v in headers.get("connection", [])
        )
        if status in (204, 304) or 100 <= status < 200:
            body = b""
        elif length:
            body = await reader.readexactly(int(length[-1]))
        elif chunked:
            body = await self._read_chunked(reader)
        else:
            body = await reader.read()
            must_close = True
        self.used += 1
        if must_close:
            self.close()
        return Response(status, headers, body)

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        chunks = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)


class Browser:
    """One signed-in person: a cookie jar, a connection and the last CSRF token seen."""

    def __init__(self, host: str, port: int, name: str = "") -> None:
        self.host = host
        self.port = port
        self.name = name
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.conn = Connection(host, port)

    def fork(self) -> Browser:
        """Same session on a second connection (a second tab)."""
        other = Browser(self.host, self.port, self.name)
        other.cookies = dict(self.cookies)
        other.csrf = self.csrf
        return other

    def close(self) -> None:
        self.conn.close()

    def _head(self, method: str, path: str) -> list[str]:
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "User-Agent: ceu-bench/1",
            "Accept: text/html,application/xhtml+xml",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        return lines

    async def get(self, path: str) -> Response:
        raw = ("\r\n".join(self._head("GET", path)) + "\r\n\r\n").encode("latin-1")
        return self._remember(await self.conn.send(raw))

    async def post(self, path: str, fields: list[tuple[str, str]]) -> Response:
        body = urlencode(fields).encode()
        head = self._head("POST", path)
        head += [
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
            f"Origin: http://{self.host}:{self.port}",
        ]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        return self._remember(await self.conn.send(raw))

    def _remember(self, response: Response) -> Response:
        for cookie in response.headers.get("set-cookie", []):
            pair, *attrs = cookie.split(";")
            name, _, value = pair.strip().partition("=")
            expired = any(
                a.strip().lower() == "max-age=0" or a.strip().lower().startswith("expires=thu, 01")
                for a in attrs
            )
            if expired or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    async def log_in(self, email: str, password: str) -> Response:
        """Through the real form: GET /login for the CSRF token, then POST it."""
        page = await self.get("/login")
        token = page.csrf_token()
        if page.status != 200 or token is None:
            raise HTTPError(f"/login answered {page.status} without a CSRF token")
        self.csrf = token
        response = await self.post(
            "/login", [("csrf_token", token), ("email", email), ("password", password)]
        )
        if response.status != 302:
            raise HTTPError(f"log-in of {email} answered {response.status}, not a redirect")
        return response
