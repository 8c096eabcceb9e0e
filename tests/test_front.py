"""The hosted front (core.front) on loopback before a real ``streamlit run app.py``: strangers
cannot upload into Streamlit's memory, read its metrics or open its websocket; a logged-in
client uses the app, websocket included. Memory is measured as the peak resident set (VmHWM)
of the Streamlit and front processes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from core import settings
from core.access import PASSWORD_HASH_KEY, hash_password
from core.front import COOKIE, FORM_OVERHEAD, LOGIN, sign, verify
from tests.browser_support import ARTIFACTS, free_port, start_server

PASSWORD = "open sesame"
UPLOAD = "/_stcore/upload_file/0a1b2c3d-session/0a1b2c3d-file"


def _hwm_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def _start_front(args: list[str], env: dict[str, str], log: Path) -> tuple[str, subprocess.Popen]:
    """``python -m core front ARGS`` on a free loopback port, once it answers."""
    port = free_port()
    with log.open("wb") as out:
        front = subprocess.Popen(
            [sys.executable, "-m", "core", "front", "--host", "127.0.0.1", "--port", str(port)]
            + args,
            cwd=settings.ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=5).text.strip() == "ok":
                return url, front
        except httpx.HTTPError:
            pass
        assert front.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.3)


def _stop(front: subprocess.Popen) -> None:
    os.killpg(front.pid, signal.SIGTERM)
    front.wait(40)


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    """``(front_url, streamlit_server, front_process)``: Streamlit on loopback, the front
    before it, both with the same password hash."""
    ARTIFACTS.mkdir(exist_ok=True)
    root = tmp_path_factory.mktemp("front")
    env = {PASSWORD_HASH_KEY: hash_password(PASSWORD), "GENRELAB_HOSTED": "1"}
    app = start_server(
        root / "data",
        root / "models",
        ARTIFACTS / "front-streamlit.log",
        env=env,
        args=["--server.address", "127.0.0.1"],
    )
    url, front = _start_front(["--upstream", app.url], env, ARTIFACTS / "front.log")
    yield url, app, front
    _stop(front)
    app.stop()


def _big_put(url: str, megabytes: int) -> int | None:
    """PUT ``megabytes`` MB without logging in; the status, or None if the front hung up."""

    def body():
        chunk = b"\0" * 2**20
        for _ in range(megabytes):
            yield chunk

    try:
        return httpx.put(url + UPLOAD, content=body(), timeout=60).status_code
    except httpx.TransportError:  # refused before the body was sent
        return None


def _declared_put(url: str, length: int) -> int:
    """The status of a PUT that declares ``length`` bytes and sends none of them."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            f"PUT {UPLOAD} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {COOKIE}="
            f"{_cookie(url)}\r\nContent-Length: {length}\r\n\r\n".encode()
        )
        return int(sock.recv(4096).split()[1])


def _cookie(url: str) -> str:
    reply = httpx.post(url + LOGIN, data={"password": PASSWORD})
    if reply.status_code == 429:  # a wrong password was just tried from here
        time.sleep(1.5)
        reply = httpx.post(url + LOGIN, data={"password": PASSWORD})
    assert reply.status_code == 303, reply.text
    return reply.cookies[COOKIE]


def test_strangers_cannot_upload_read_metrics_or_open_the_websocket(hosted):
    url, app, front = hosted
    streamlit_before, front_before = _hwm_mb(app.proc.pid), _hwm_mb(front.pid)
    for _ in range(4):  # the attack: 150 MB uploads that stayed in Streamlit's memory
        assert _big_put(url, 150) in (401, None)
    assert httpx.put(url + UPLOAD, content=b"hello").status_code == 401
    assert _hwm_mb(app.proc.pid) - streamlit_before < 20
    assert _hwm_mb(front.pid) - front_before < 20

    assert httpx.get(url + "/_stcore/metrics").status_code == 404
    page = httpx.get(url + "/", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"].startswith(LOGIN)
    assert httpx.get(url + "/_stcore/host-config").status_code == 401
    ws = url.replace("http", "ws") + "/_stcore/stream"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws, subprotocols=["streamlit"], origin=url, open_timeout=30)
    assert refused.value.response.status_code == 403
    forged = sign("editor", key=b"guessed" * 5)
    with pytest.raises(InvalidStatus):
        connect(ws, additional_headers={"Cookie": f"{COOKIE}={forged}"}, open_timeout=30)
    assert httpx.post(url + LOGIN, data={"password": "wrong"}).status_code == 401
    assert httpx.post(url + LOGIN, data={"password": PASSWORD}).status_code == 429  # throttled


def test_a_logged_in_client_uses_the_app_and_its_websocket(hosted):
    url, app, _ = hosted
    cookie = _cookie(url)
    assert verify(cookie, key=b"x") is None  # signed with the front's own key
    cookies = {COOKIE: cookie}
    page = httpx.get(url + "/", cookies=cookies)
    assert page.status_code == 200 and 'id="root"' in page.text  # Streamlit's page
    assert httpx.get(url + "/_stcore/metrics", cookies=cookies).status_code == 404
    ws = url.replace("http", "ws") + "/_stcore/stream"
    with connect(
        ws,
        subprotocols=["streamlit"],
        origin=url,
        additional_headers={"Cookie": f"{COOKIE}={cookie}"},
        open_timeout=30,
    ) as conn:
        assert conn.subprotocol == "streamlit"  # the upgrade passed through to Streamlit
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        conn.send(rerun.SerializeToString())
        reply = ForwardMsg()
        reply.ParseFromString(conn.recv(timeout=60))
        assert reply.WhichOneof("type") == "new_session"  # the app runs for this client
    with pytest.raises(InvalidStatus):  # another site's page cannot use the login
        connect(
            ws, origin="http://evil.example", additional_headers={"Cookie": f"{COOKIE}={cookie}"}
        )
    too_big = settings.current().max_upload_bytes + FORM_OVERHEAD + 1
    assert _declared_put(url, too_big) == 413
    assert httpx.get(url + "/_front/logout").status_code == 303


def test_the_front_starts_streamlit_behind_it_and_stops_it(tmp_path):
    env = {
        PASSWORD_HASH_KEY: hash_password(PASSWORD),
        "GENRELAB_DATA_DIR": str(tmp_path / "data"),
        "GENRELAB_MODELS_DIR": str(tmp_path / "models"),
    }
    upstream = f"http://127.0.0.1:{free_port()}"
    url, front = _start_front(["--app", "--upstream", upstream], env, tmp_path / "front.log")
    try:
        assert httpx.get(upstream + "/_stcore/health").text.strip() == "ok"  # Streamlit itself
        assert httpx.get(url + "/", headers={"Accept": "text/html"}).status_code == 303
        assert httpx.get(url + "/", cookies={COOKIE: _cookie(url)}).status_code == 200
    finally:
        _stop(front)
    with pytest.raises(httpx.ConnectError):
        httpx.get(upstream + "/_stcore/health")


def test_the_front_needs_a_password(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENRELAB_PASSWORD")}
    done = subprocess.run(
        [sys.executable, "-m", "core", "front", "--app"],
        cwd=settings.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "GENRELAB_PASSWORD_HASH" in done.stderr
