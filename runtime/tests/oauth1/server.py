"""A loopback API that verifies every request's OAuth 1.0a signature with
oauthlib's ResourceEndpoint (RFC 5849), for patchbay's interop tests.

Test-only: the consumers and tokens below are public and worthless. See
README.md for the contract (address line, endpoints, credentials).
"""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from oauthlib.oauth1 import RequestValidator, ResourceEndpoint
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, SIGNATURE_PLAINTEXT

# consumer key -> consumer secret; the second has a secret full of
# characters that percent-encoding changes.
CONSUMERS = {
    "patchbayconsumer": "consumer-secret-1",
    "specialconsumer": "c0n+s/e c&r=e%t~é",
}
# token -> (token secret, consumer it was issued to)
TOKENS = {
    "patchbaytoken": ("token-secret-1", "patchbayconsumer"),
    "specialtoken": ("t0k+e/n s&e=c%r~ü", "specialconsumer"),
}


class Validator(RequestValidator):
    """Knows the test credentials and every nonce seen (a replay fails)."""

    def __init__(self):
        super().__init__()
        self.nonces = set()
        self.lock = threading.Lock()

    enforce_ssl = False  # loopback http in tests
    client_key_length = (3, 64)
    access_token_length = (3, 64)
    nonce_length = (6, 64)

    @property
    def allowed_signature_methods(self):
        return (SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, SIGNATURE_PLAINTEXT)

    @property
    def dummy_client(self):
        return "dummyconsumer"

    @property
    def dummy_access_token(self):
        return "dummytoken"

    def validate_client_key(self, client_key, request):
        return client_key in CONSUMERS

    def get_client_secret(self, client_key, request):
        return CONSUMERS.get(client_key, "dummy-secret")

    def validate_access_token(self, client_key, token, request):
        return token in TOKENS and TOKENS[token][1] == client_key

    def get_access_token_secret(self, client_key, token, request):
        return TOKENS.get(token, ("dummy-secret", None))[0]

    def validate_timestamp_and_nonce(
        self, client_key, timestamp, nonce, request, request_token=None, access_token=None
    ):
        key = (client_key, timestamp, nonce, access_token)
        with self.lock:
            if key in self.nonces:
                return False
            self.nonces.add(key)
            return True

    def validate_realms(self, client_key, token, request, uri=None, realms=None):
        return True


VALIDATOR = Validator()
ENDPOINT = ResourceEndpoint(VALIDATOR)
# Every verified request, for the tests: method, path, query, the
# protocol parameters (signature included) and the realm.
LOG = []
LOG_LOCK = threading.Lock()
# The signatures of refused requests, for the tests.
REFUSED = []
# /flaky answers 503 once per consumer and signature method (the retry
# must be signed anew).
FAILED_ONCE = set()
ITEMS = [{"id": n, "name": f"item {n}"} for n in range(1, 6)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        if split.path == "/test/requests":
            with LOG_LOCK:
                return self.answer(200, LOG)
        if split.path == "/test/refused":
            with LOG_LOCK:
                return self.answer(200, REFUSED)
        if split.path == "/redirect":
            return self.answer(307, {}, [("Location", query.get("to", "/"))])
        uri = f"http://{self.headers['Host']}{self.path}"
        headers = dict(self.headers.items())
        content_type = self.headers.get("Content-Type", "")
        form = content_type.split(";")[0].strip() == "application/x-www-form-urlencoded"
        valid, request = ENDPOINT.validate_protected_resource_request(
            uri, http_method=self.command, body=body.decode() if form else None, headers=headers
        )
        if not valid:
            authorization = self.headers.get("Authorization") or ""
            if authorization.startswith("OAuth "):
                found = dict(parse_authorization_header(authorization))
                with LOG_LOCK:
                    REFUSED.append(found.get("oauth_signature"))
            # Echoes the refused header, as some servers' errors do: the
            # client must not print the signature it quotes.
            return self.answer(
                401,
                {
                    "error": "invalid_signature",
                    "received": authorization[authorization.find("oauth_signature=") :],
                    "authorization": authorization,
                },
                [("WWW-Authenticate", 'OAuth realm="patchbay-test"')],
            )
        params = dict(request.oauth_params)
        with LOG_LOCK:
            LOG.append(
                {
                    "method": self.command,
                    "path": split.path,
                    "query": query,
                    "oauth": params,
                    "realm": request.realm,
                }
            )
        once = (split.path, request.client_key, request.signature_method)
        if split.path == "/flaky" and once not in FAILED_ONCE:
            FAILED_ONCE.add(once)
            return self.answer(503, {"error": "try again"})
        if split.path == "/items":
            page = int(query.get("page", "1"))
            size = int(query.get("per_page", "2"))
            start = (page - 1) * size
            return self.answer(200, {"items": ITEMS[start : start + size]})
        if split.path == "/links":
            # Next-page links with their own query, percent-encoded.
            cursor = int(query.get("cursor", "0"))
            following = None
            if cursor < 2:
                following = f"http://{self.headers['Host']}/links?cursor={cursor + 1}&tag=a%20b%2Bc"
            return self.answer(200, {"items": ITEMS[cursor : cursor + 1], "next": following})
        if split.path == "/form":
            fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
            return self.answer(200, {"fields": fields, "query": query})
        return self.answer(200, {"query": query, "consumer": request.client_key})

    do_GET = handle_any
    do_POST = handle_any
    do_PUT = handle_any
    do_DELETE = handle_any


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "0"))), Handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
