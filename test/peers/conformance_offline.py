"""pytest plugin for running sigstore-conformance's verify tests offline (`-p conformance_offline`).

The suite's `client` fixture always fetches the public test identity token, even with --skip-signing, where
the token is never used. This plugin answers that one request with a placeholder token (an unsigned JWT with
the claims the harness reads) so the verify tests run without a network. Any other request still fails.
"""

import base64
import json
import time

import urllib3

TOKEN_URL = "https://storage.googleapis.com/sigstore-conformance-testing-token/untrusted-testing-token.txt"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


PLACEHOLDER_TOKEN = ".".join(
    [
        _b64({"alg": "none"}),
        _b64({"email": "unused@conformance.invalid", "iss": "https://unused.invalid", "exp": int(time.time()) + 86400}),
        "",
    ]
)


class _Response:
    data = PLACEHOLDER_TOKEN.encode()


_real_request = urllib3.request


def _offline_request(method, url, *args, **kwargs):
    if url == TOKEN_URL:
        return _Response()
    return _real_request(method, url, *args, **kwargs)


urllib3.request = _offline_request
