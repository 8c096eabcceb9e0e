"""The front of a hosted Genre Lab: a small authenticating reverse proxy before Streamlit.

Streamlit serves some routes before any login: its upload route
(``PUT /_stcore/upload_file/<session>/<file>``) takes files from any websocket session, and
``/_stcore/metrics`` is open. The front closes them to strangers. It listens where users connect,
Streamlit listens on loopback behind it, and no request reaches Streamlit, websockets included,
before the client logged in on the front's own form with the app's password (the
``GENRELAB_PASSWORD_HASH`` or ``GENRELAB_VIEWER_PASSWORD_HASH`` of :mod:`core.access`). A login
sets a signed, HttpOnly cookie (:func:`sign`, valid for :data:`SESSION_S`); wrong passwords slow
down each client (:class:`core.access.Throttle`). Request bodies are limited to the upload limit
(``settings.current().max_upload_bytes``) plus :data:`FORM_OVERHEAD`, websocket messages to
:data:`MAX_MESSAGE_BYTES`; ``/_stcore/metrics`` is never served; ``/_stcore/health`` is open
(it tells nothing, and container health checks need it).

Run ``python -m core front --app`` (the front on port 8501, Streamlit started behind it on
127.0.0.1:8502), or ``python -m core front --upstream URL`` before a Streamlit started
otherwise (see docs/DEPLOY.md).

Examples
--------
>>> token = sign("editor", key=b"k" * 32, now=1000.0)
>>> verify(token, key=b"k" * 32, now=1001.0), verify(token, key=b"x" * 32, now=1001.0)
('editor', None)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
import os
import secrets
import time
import tomllib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from core import settings
from core.access import AccessConfig, Throttle, read_config
from core.errors import ParamsError

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket

#: Name of the front's session cookie, and how long a login lasts (seconds).
COOKIE, SESSION_S = "genrelab_front", 12 * 3600
#: Environment variable holding the key that signs the cookies (default: a random key per
#: start, so a restart logs everyone out).
SECRET_ENV = "GENRELAB_FRONT_SECRET"
#: Bytes a request body may hold beyond the upload limit (multipart headers).
FORM_OVERHEAD = 1 * 2**20
#: Largest websocket message from or to the browser (Streamlit's own default is 200 MB).
MAX_MESSAGE_BYTES = 50 * 2**20
#: Paths served to nobody, and paths served to everybody.
BLOCKED = ("/_stcore/metrics",)
OPEN = ("/_stcore/health",)
LOGIN, LOGOUT = "/_front/login", "/_front/logout"
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
}


# ---- signed cookies ------------------------------------------------------------------------------


def sign(role: str, key: bytes, now: float | None = None) -> str:
    """A cookie value saying ``role`` logged in, valid :data:`SESSION_S` from ``now``."""
    expires = int((time.time() if now is None else now) + SESSION_S)
    payload = f"{expires}.{role}"
    mac = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{mac}"


def verify(token: str | None, key: bytes, now: float | None = None) -> str | None:
    """The role of a valid, unexpired cookie value made by :func:`sign`, else None."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    payload = f"{parts[0]}.{parts[1]}"
    mac = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, parts[2]):
        return None
    return parts[1] if int(parts[0]) > (time.time() if now is None else now) else None


# ---- the app -------------------------------------------------------------------------------------


def access_config() -> AccessConfig:
    """The password hashes the front checks: the environment, then .streamlit/secrets.toml.

    Raises ParamsError when no password is configured (the front has nothing to check).
    """
    path = settings.ROOT / ".streamlit" / "secrets.toml"
    secrets_map = tomllib.loads(path.read_text()) if path.is_file() else {}
    config = read_config(secrets_map)
    if not config.has_password:
        raise ParamsError(
            "The front checks the app's password: set GENRELAB_PASSWORD_HASH (see docs/DEPLOY.md)."
        )
    return config


def create_app(
    upstream: str, config: AccessConfig | None = None, key: bytes | None = None
) -> Starlette:
    """The front as an ASGI app passing logged-in requests to Streamlit at ``upstream``
    (``http://127.0.0.1:8502``)."""
    import httpx
    from starlette.applications import Starlette
    from starlette.routing import Route, WebSocketRoute

    config = config or access_config()
    key = key or (os.environ.get(SECRET_ENV, "").encode() or secrets.token_bytes(32))
    upstream = upstream.rstrip("/")
    client = httpx.AsyncClient(base_url=upstream, timeout=None, follow_redirects=False)
    throttles: dict[str, Throttle] = {}
    max_body = settings.current().max_upload_bytes + FORM_OVERHEAD

    def role_of(scope: Request | WebSocket) -> str | None:
        return verify(scope.cookies.get(COOKIE), key)

    async def login(request: Request) -> Response:
        from starlette.responses import HTMLResponse, RedirectResponse

        target = _local(request.query_params.get("next", "/"))
        if request.method == "GET":
            return HTMLResponse(_login_html(target, ""))
        client_id = request.client.host if request.client else "?"
        throttle, now = throttles.get(client_id, Throttle()), time.monotonic()
        if wait := throttle.wait(now):
            return HTMLResponse(_login_html(target, f"Too many tries: wait {wait:.0f} s."), 429)
        form = await request.form(max_files=0, max_fields=4, max_part_size=4096)
        role = await asyncio.to_thread(config.password_role, str(form.get("password", "")))
        if role is None:
            throttles[client_id] = throttle.failed(now)
            return HTMLResponse(_login_html(target, "Wrong password."), 401)
        throttles.pop(client_id, None)
        response = RedirectResponse(target, 303)
        secure = (
            request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
        )
        response.set_cookie(
            COOKIE, sign(role, key), SESSION_S, httponly=True, samesite="lax", secure=secure
        )
        return response

    async def logout(request: Request) -> Response:
        from starlette.responses import RedirectResponse

        response = RedirectResponse(LOGIN, 303)
        response.delete_cookie(COOKIE)
        return response

    async def http(request: Request) -> Response:
        from starlette.background import BackgroundTask
        from starlette.responses import PlainTextResponse, RedirectResponse, StreamingResponse

        path = request.url.path
        if path in BLOCKED:
            return PlainTextResponse("Not found.", 404)
        if path not in OPEN and role_of(request) is None:
            if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                return RedirectResponse(f"{LOGIN}?next={quote(_local(str(request.url)))}", 303)
            return PlainTextResponse("Log in first.", 401, headers={"Connection": "close"})
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > max_body:
            return PlainTextResponse("Request too large.", 413, headers={"Connection": "close"})
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP]
        has_body = int(declared) > 0 or "transfer-encoding" in request.headers
        sent = client.build_request(
            request.method,
            request.url.path,
            params=request.url.query,
            headers=headers,
            content=_bounded(request.stream(), max_body) if has_body else None,
        )
        try:
            reply = await client.send(sent, stream=True)
        except _TooLarge:
            return PlainTextResponse("Request too large.", 413, headers={"Connection": "close"})
        except httpx.HTTPError:
            return PlainTextResponse("The app is not answering.", 502)
        out = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_BY_HOP}
        return StreamingResponse(
            reply.aiter_raw(), reply.status_code, out, background=BackgroundTask(reply.aclose)
        )

    async def websocket(ws: WebSocket) -> None:
        origin = ws.headers.get("origin")
        if role_of(ws) is None or (origin and urlsplit(origin).netloc != ws.headers.get("host")):
            await ws.close(code=1008)  # before accepting: the upgrade is refused (403)
            return
        await _relay(ws, upstream)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    routes = [
        Route(LOGIN, login, methods=["GET", "POST"]),
        Route(LOGOUT, logout, methods=["GET", "POST"]),
        WebSocketRoute("/{path:path}", websocket),
        Route("/{path:path}", http, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


class _TooLarge(Exception):
    """A request body grew beyond its limit while it was streamed."""


async def _bounded(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """``chunks`` passed on until they add up to more than ``limit`` bytes."""
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise _TooLarge
        yield chunk


async def _relay(ws: WebSocket, upstream: str) -> None:
    """Accept ``ws`` and pass messages both ways to the same path upstream until one side
    closes. The browser's subprotocols (Streamlit's XSRF token) and cookies go along; the
    origin, checked by the front, is given as the upstream's own."""
    import websockets

    target = upstream.replace("http", "ws", 1) + ws.url.path
    if ws.url.query:
        target += "?" + ws.url.query
    offered = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",")]
    headers = {"Cookie": ws.headers["cookie"]} if "cookie" in ws.headers else {}
    try:
        up = await websockets.connect(
            target,
            subprotocols=[p for p in offered if p] or None,
            additional_headers=headers,
            origin=upstream,
            max_size=MAX_MESSAGE_BYTES,
        )
    except (OSError, websockets.WebSocketException):
        await ws.close(code=1011)
        return
    await ws.accept(subprotocol=up.subprotocol)

    async def browser_to_app() -> None:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            data = message.get("text") if data is None else data
            if data is None or len(data) > MAX_MESSAGE_BYTES:
                return
            await up.send(data)

    async def app_to_browser() -> None:
        async for data in up:
            await (ws.send_bytes(data) if isinstance(data, bytes) else ws.send_text(data))

    tasks = [asyncio.create_task(browser_to_app()), asyncio.create_task(app_to_browser())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await up.close()
        with contextlib.suppress(RuntimeError):  # already closed by the browser
            await ws.close()


def _local(target: str) -> str:
    """A path (and query) on this server to go to after login: never another site."""
    parts = urlsplit(target)
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else "/"
    if path.startswith("/_front/"):
        path = "/"
    return path + (f"?{parts.query}" if parts.query else "")


def _login_html(target: str, message: str) -> str:
    note = f"<p class='note'>{html.escape(message)}</p>" if message else ""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Genre Lab</title><style>"
        "body{font-family:system-ui,sans-serif;background:#0f1117;color:#e6e6e6;display:grid;"
        "place-items:center;height:90vh}form{background:#1b1f2a;padding:2em;border-radius:8px}"
        "input,button{display:block;margin-top:.8em;padding:.5em;width:16em}"
        "button{background:#f59e0b;border:0;font-weight:600}.note{color:#ef4444}"
        "</style></head><body><form method='post' action='"
        f"{LOGIN}?next={html.escape(quote(target), quote=True)}'>"
        "<h2>Genre Lab</h2><label>Password<input type='password' name='password' autofocus>"
        f"</label>{note}<button type='submit'>Log in</button></form></body></html>"
    )


def serve(upstream: str, host: str = "0.0.0.0", port: int = 8501, app: bool = False) -> None:
    """Run the front until interrupted (uvicorn, the server Streamlit itself uses); with
    ``app``, also start ``streamlit run app.py`` on ``upstream``'s loopback address and port,
    and stop it with the front."""
    import subprocess
    import sys

    import uvicorn

    front = create_app(upstream)  # checks the password settings before anything starts
    child = None
    if app:
        where = urlsplit(upstream)
        if where.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ParamsError(f"--app serves Streamlit on loopback only, not {where.hostname}.")
        command = [sys.executable, "-m", "streamlit", "run", str(settings.ROOT / "app.py")]
        command += ["--server.address", where.hostname, "--server.port", str(where.port or 80)]
        child = subprocess.Popen(command + ["--server.headless", "true"], cwd=settings.ROOT)
    try:
        uvicorn.run(
            front,
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=False,
            ws_max_size=MAX_MESSAGE_BYTES,
        )
    finally:
        if child is not None:
            child.terminate()
            child.wait(30)
