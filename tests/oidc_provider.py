"""A minimal OpenID Connect provider on loopback, so ``st.login`` runs end to end in tests.

It serves discovery, the authorization endpoint (which signs the one configured user in at
once and redirects back with a code), the token endpoint (an RS256-signed ID token carrying the
login's nonce) and the key set. Nothing leaves the machine.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.jose import JsonWebKey, jwt

CLIENT_ID, CLIENT_SECRET = "genrelab-tests", secrets.token_urlsafe(16)


class OIDCProvider:
    """``with OIDCProvider(claims) as provider:`` serves on ``provider.url`` inside the block."""

    def __init__(self, claims: dict[str, str]) -> None:
        self.claims = claims
        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "k1"})
        self.codes: dict[str, str] = {}  # authorization code -> the login's nonce
        self.token_requests = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> OIDCProvider:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def secrets_toml(self, app_url: str) -> str:
        """The ``[auth]`` section for an app served at ``app_url``."""
        return (
            "[auth]\n"
            f'redirect_uri = "{app_url}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
            f'client_id = "{CLIENT_ID}"\n'
            f'client_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{self.url}/.well-known/openid-configuration"\n'
        )

    def metadata(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": CLIENT_ID, "iat": now, "exp": now + 600, "nonce": nonce}
        header = {"alg": "RS256", "kid": "k1"}
        return jwt.encode(header, {**claims, **self.claims}, self.key).decode()


def _handler(provider: OIDCProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(provider.metadata())
            elif url.path == "/jwks":
                self._json({"keys": [provider.key.as_dict(is_private=False)]})
            elif url.path == "/authorize" and query.get("client_id") == CLIENT_ID:
                code = secrets.token_urlsafe(16)
                provider.codes[code] = query.get("nonce", "")
                back = urlencode({"code": code, "state": query.get("state", "")})
                self.send_response(302)
                self.send_header("Location", f"{query['redirect_uri']}?{back}")
                self.end_headers()
            else:
                self._json({"error": "invalid_request"}, 400)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            nonce = provider.codes.pop(form.get("code", ""), None)
            if self.path != "/token" or nonce is None or not self._client_ok(form):
                self._json({"error": "invalid_grant"}, 400)
                return
            provider.token_requests += 1
            self._json(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 600,
                    "id_token": provider.id_token(nonce),
                }
            )

        def _client_ok(self, form: dict[str, str]) -> bool:
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                return base64.b64decode(basic[6:]).decode() == f"{CLIENT_ID}:{CLIENT_SECRET}"
            return (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET)

        def _json(self, data: dict, status: int = 200) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
