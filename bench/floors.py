"""The floors under Bawaba's numbers, measured in the same run: what the production WSGI
server alone, and Flask on it, cost per request. Both answer the discovery and
client_credentials scenarios with fixed bodies (a token made once), doing no other work, on
Granian with the settings `idp serve` uses. A provider on this server and framework cannot
be cheaper per request than these.

    .venv/bin/python bench/floors.py {wsgi|flask} --bind 127.0.0.1:PORT [--workers 2]
"""

import argparse
import json

from flask import Flask
from flask import Response
from flask import request

TOKEN = json.dumps({"access_token": "eyJ" + "x" * 400, "token_type": "Bearer",
                    "expires_in": 600, "scope": "api"}).encode()
JSON_HEADERS = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]


def discovery_body(base):
    return json.dumps({"issuer": base, "token_endpoint": base + "/token",
                       "jwks_uri": base + "/jwks",
                       "authorization_endpoint": base + "/authorize"}).encode()


def wsgi_app(base):
    discovery = discovery_body(base)

    def application(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/token" and environ["REQUEST_METHOD"] == "POST":
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            body = TOKEN
        elif path == "/.well-known/openid-configuration":
            body = discovery
        else:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [*JSON_HEADERS, ("Content-Length", str(len(body)))])
        return [body]

    return application


def flask_app(base):
    app = Flask(__name__)
    discovery = discovery_body(base)

    @app.get("/.well-known/openid-configuration")
    def configuration():
        return Response(discovery, headers=JSON_HEADERS)

    @app.post("/token")
    def token():
        request.form.get("grant_type")  # the form is parsed, as a token endpoint does
        return Response(TOKEN, headers=JSON_HEADERS)

    return app


def main():
    from granian.constants import HTTPModes
    from granian.constants import Interfaces
    from granian.server import Server

    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("wsgi", "flask"))
    parser.add_argument("--bind", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    host, _, port = args.bind.rpartition(":")
    base = f"http://{args.bind}"
    make = wsgi_app if args.kind == "wsgi" else flask_app
    server = Server(f"floors:{args.kind}", address=host, port=int(port),
                    interface=Interfaces.WSGI, workers=args.workers,
                    blocking_threads=args.threads, http=HTTPModes.http1, websockets=False,
                    log_access=False)
    server.serve(target_loader=lambda *_: make(base), wrap_loader=False)


if __name__ == "__main__":
    main()
