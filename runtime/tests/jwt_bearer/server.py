"""A JWT bearer grant server (RFC 7523 §2.1) for the runtime's tests.

Authlib's JWTBearerGrant verifies each assertion's signature with the
issuer's public key (../keys/*.pub.pem) and its iss, aud, exp and iat; this
server adds what Authlib leaves to it: `aud` must be this server's token
endpoint, `iat` and `jti` must be present, a `jti` is accepted once, and an
assertion may live at most an hour. Tokens it issues open `GET /api/me`.

Binds 127.0.0.1 on $PORT (default a free port) and prints one line to
stdout, `listening on http://127.0.0.1:PORT`, once it accepts connections.
Test-only: the keys beside it are public and worthless.
"""

import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

# The server is loopback-only plain HTTP; Authlib refuses http:// without it.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

from authlib.jose import JsonWebKey  # noqa: E402
from authlib.oauth2.rfc6749 import (  # noqa: E402
    AuthorizationServer,
    ClientMixin,
    InvalidGrantError,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload  # noqa: E402
from authlib.oauth2.rfc7523 import JWTBearerGrant  # noqa: E402

HERE = Path(__file__).resolve().parent
KEYS = HERE.parent / "keys"

# Issuer -> the public key its assertions are verified with.
ISSUERS = {
    "rsa-service@patchbay.test": "rsa.pub.pem",
    "ec-service@patchbay.test": "ec.pub.pem",
    "sync@patchbay-test.iam.gserviceaccount.com": "google-sa.pub.pem",
}
# Subjects a service account may act for (Salesforce's user, Google's
# domain-wide delegation).
USERS = {"ada@patchbay.test"}
MAX_LIFETIME = 3600

lock = threading.Lock()
seen_jti = set()
tokens = {}
accepted = []


class Client(ClientMixin):
    def __init__(self, issuer):
        self.issuer = issuer
        self.key = JsonWebKey.import_key((KEYS / ISSUERS[issuer]).read_bytes())

    def get_client_id(self):
        return self.issuer

    def check_grant_type(self, grant_type):
        return grant_type == JWTBearerGrant.GRANT_TYPE

    def get_allowed_scope(self, scope):
        return scope or ""


class Grant(JWTBearerGrant):
    def process_assertion_claims(self, assertion):
        # Authlib checks the signature, iss, exp and that aud exists; the
        # rest of RFC 7523 §3 is checked here.
        self.CLAIMS_OPTIONS = {
            "iss": {"essential": True},
            "aud": {"essential": True, "value": self.server.token_url},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "jti": {"essential": True},
        }
        try:
            claims = super().process_assertion_claims(assertion)
        except InvalidGrantError:
            raise
        except Exception as error:
            # Authlib lets a key of the wrong type through as a plain
            # exception (an ES256 signature checked with an RSA key).
            raise InvalidGrantError(description="the assertion does not verify") from error
        if claims["exp"] - claims["iat"] > MAX_LIFETIME:
            raise InvalidGrantError(description="the assertion lives longer than an hour")
        with lock:
            if claims["jti"] in seen_jti:
                raise InvalidGrantError(description="the assertion's jti was used before")
            seen_jti.add(claims["jti"])
        self.claims = claims
        return claims

    def resolve_issuer_client(self, issuer):
        if issuer not in ISSUERS:
            raise InvalidGrantError(description="unknown issuer")
        return Client(issuer)

    def resolve_client_key(self, client, headers, payload):
        return client.key

    def authenticate_user(self, subject):
        return subject if subject in USERS else None

    def has_granted_permission(self, client, user):
        return True

    def create_token_response(self):
        # Google puts the scope in the assertion, not in the form.
        self.request.payload.data.setdefault("scope", self.claims.get("scope", ""))
        status, token, headers = super().create_token_response()
        with lock:
            tokens[token["access_token"]] = {
                "iss": self.claims["iss"],
                "sub": self.claims.get("sub"),
                "scope": self.claims.get("scope"),
                "kid": self.claims.header.get("kid"),
                "alg": self.claims.header.get("alg"),
            }
            accepted.append(self.claims["jti"])
        return status, token, headers


class Request(OAuth2Request):
    def __init__(self, uri, headers, form):
        super().__init__("POST", uri, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def args(self):
        return {}

    @property
    def form(self):
        return self._form


class Server(AuthorizationServer):
    def __init__(self, token_url):
        super().__init__()
        self.token_url = token_url
        self.register_grant(Grant)
        self.register_token_generator("default", self.bearer)

    @staticmethod
    def bearer(grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
        return {
            "token_type": "Bearer",
            "access_token": secrets.token_urlsafe(24),
            "expires_in": expires_in or 3600,
            "scope": scope or "",
        }

    def query_client(self, client_id):
        return None

    def save_token(self, token, request):
        pass

    def send_signal(self, name, *args, **kwargs):
        pass

    def create_oauth2_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, headers


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        if os.environ.get("JWT_BEARER_DEBUG"):
            sys.stderr.write("%s\n" % (format % args))

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            if name.lower() not in ("content-type", "content-length"):
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        if self.path != "/token":
            return self.reply(404, {"error": "not_found"})
        if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return self.reply(400, {"error": "invalid_request"})
        form = dict(parse_qsl(body, keep_blank_values=True))
        request = Request(self.server.base + self.path, dict(self.headers), form)
        status, payload, headers = self.server.oauth.create_token_response(request)
        self.reply(status, payload, headers)

    def do_GET(self):
        if self.path == "/api/me":
            auth = self.headers.get("Authorization", "")
            with lock:
                found = tokens.get(auth[len("Bearer "):]) if auth.startswith("Bearer ") else None
            if found is None:
                return self.reply(401, {"error": "invalid_token"})
            return self.reply(200, found)
        if self.path == "/test/accepted":
            with lock:
                return self.reply(200, {"jti": list(accepted)})
        self.reply(404, {"error": "not_found"})


def main():
    port = int(os.environ.get("PORT", "0"))
    try:
        httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    except OSError as error:
        sys.stderr.write(f"cannot listen on 127.0.0.1:{port}: {error}\n")
        sys.exit(1)
    httpd.daemon_threads = True
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.oauth = Server(httpd.base + "/token")
    print(f"listening on {httpd.base}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
