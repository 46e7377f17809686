"""Support for the CIBA tests: a call-centre style client registered through the CLI for
poll or ping delivery, its backchannel authentication and token requests over HTTP, and a
notification endpoint (a real HTTP server) that records the pings it receives."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest
import requests

from .mssp_support import wait_until

CIBA_GRANT = "urn:openid:params:grant-type:ciba"


class CibaClient:
    """A confidential client using CIBA (client_secret_basic)."""

    def __init__(self, issuer, client):
        self.issuer = issuer
        self.client = client
        self.http = requests.Session()

    @property
    def auth(self):
        return (self.client["client_id"], self.client["client_secret"])

    def authenticate(self, **params):
        """POST to the backchannel authentication endpoint."""
        params.setdefault("scope", "openid profile")
        return self.http.post(self.issuer + "/bc-authorize", data=params, auth=self.auth,
                              timeout=30)

    def start(self, **params):
        response = self.authenticate(**params)
        assert response.status_code == 200, response.text
        assert response.headers["Cache-Control"] == "no-store"
        return response.json()

    def token(self, auth_req_id, **extra):
        return self.http.post(self.issuer + "/token", auth=self.auth, timeout=30,
                              data={"grant_type": CIBA_GRANT, "auth_req_id": auth_req_id,
                                    **extra})

    def poll(self, started, timeout=30):
        """Poll the token endpoint at the interval until it stops saying
        authorization_pending; the last response."""
        deadline = time.monotonic() + timeout
        interval = started["interval"]
        while True:
            time.sleep(interval)
            response = self.token(started["auth_req_id"])
            error = response.json().get("error")
            if error == "slow_down":
                interval += 5
            elif error != "authorization_pending" or time.monotonic() > deadline:
                return response


def ciba_client(client_factory, mode="poll", endpoint=None, **options):
    extra = ["--ciba-mode", mode]
    if endpoint:
        extra += ["--ciba-notification-endpoint", endpoint]
    return client_factory(name="Service counter", redirect_uris=(), grant_types=(),
                          extra=extra, **options)


class Pings:
    """The client's notification endpoint: records each POST (headers and JSON body) and
    answers 204."""

    def __init__(self):
        self.received = []
        pings = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                pings.received.append({"path": self.path,
                                       "authorization": self.headers.get("Authorization"),
                                       "content_type": self.headers.get("Content-Type"),
                                       "body": json.loads(body or b"null")})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/ciba/notify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, count=1):
        return wait_until(lambda: self.received if len(self.received) >= count else None)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(name="pings")
def pings_fixture():
    receiver = Pings()
    yield receiver
    receiver.close()
