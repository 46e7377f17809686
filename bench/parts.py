"""What one client-credentials grant costs, part by part: the whole request through the
application (its WSGI callable, no HTTP server), and each thing it must do measured alone
in the same process — the database work (client lookup, token row, commit) through
SQLAlchemy and through the driver alone, the rate-limit script through redis-py and a bare
Redis round trip, the ES256 signature through PKCS#11 and in process — with a bare Flask
application answering the same request as the framework's floor. Prints one JSON line per
part (CPU µs per operation, user + system, best of three rounds) and a summary line.

    .venv/bin/python bench/parts.py [--target bawaba-sqlite] [-n 2000]
"""

import argparse
import base64
import io
import json
import resource
import secrets
import shutil
import socket
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inproc import seeded_app  # noqa: E402

BODY = b"grant_type=client_credentials&scope=api"


def cpu_us(operation, n):
    """CPU µs of this process per call, the best of three rounds after a warm-up."""
    for _ in range(max(50, n // 20)):
        operation()
    best = None
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_SELF)
        for _ in range(n):
            operation()
        after = resource.getrusage(resource.RUSAGE_SELF)
        spent = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = spent if best is None else min(best, spent)
    return round(1e6 * best / n, 1)


def token_request(wsgi_app, client):
    """One POST /token with Basic credentials, straight into a WSGI callable."""
    credentials = f"{client['client_id']}:{client['client_secret']}".encode()
    authorization = "Basic " + base64.b64encode(credentials).decode()
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    def request():
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": "/token", "QUERY_STRING": "",
            "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(BODY)), "HTTP_AUTHORIZATION": authorization,
            "wsgi.input": io.BytesIO(BODY), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        body = b"".join(wsgi_app(environ, start_response))
        if not statuses.pop().startswith("200"):
            raise RuntimeError(f"the token request failed: {body[:300]!r}")

    return request


def flask_floor():
    from flask import Flask
    from flask import request

    floor = Flask("floor")
    answer = {"access_token": "x" * 420, "token_type": "Bearer", "expires_in": 300,
              "scope": "api"}

    @floor.post("/token")
    def token():
        request.form  # noqa: B018  (parses the body, as any token endpoint must)
        return answer

    return floor.wsgi_app


def database_parts(app, client_id, n):
    """The grant's statements (client version lookup, access-token INSERT, COMMIT): through
    the application's session, and through a bare driver connection."""
    from idp.extensions import db
    from idp.models.client_cache import cached_client
    from idp.models.tokens import add_access_token
    from idp.models.types import utcnow

    now = utcnow()
    columns = dict(family_id=None, client_id=client_id, subject=None, scope="api", acr=None,
                   amr=[], auth_time=None, sid=None, claims=None, delegation=None,
                   issued_at=now, expires_at=now + timedelta(minutes=5), revoked_at=None)

    def through_session():
        cached_client(client_id)
        add_access_token(jti=secrets.token_urlsafe(18), **columns)
        db.session.commit()

    with app.app_context():
        session_us = cpu_us(through_session, n)
        sqlite = db.engine.url.get_backend_name() == "sqlite"
        raw = db.engine.raw_connection()
    mark = "?" if sqlite else "%s"
    select = f"SELECT version FROM clients WHERE client_id = {mark}"
    names = ["jti", *columns]
    insert = (f"INSERT INTO access_tokens ({', '.join(names)}) "
              f"VALUES ({', '.join([mark] * len(names))})")
    cursor = raw.cursor()

    def through_driver():
        cursor.execute(select, (client_id,))
        cursor.fetchone()
        values = dict(columns, amr="[]", issued_at=now.isoformat(),
                      expires_at=(now + timedelta(minutes=5)).isoformat())
        cursor.execute(insert, (secrets.token_urlsafe(18), *values.values()))
        raw.commit()

    driver_us = cpu_us(through_driver, n)
    raw.close()
    return session_us, driver_us


def redis_parts(app, n):
    limiter = app.extensions.get("idp.limiter")
    url = app.config["IDP_RATELIMIT_STORAGE_URI"]
    if limiter is None or not url.startswith("redis://"):
        return None, None
    prefix = app.config["IDP_RATELIMIT_KEY_PREFIX"]
    windows = [(f"{prefix}/parts/a", 10**9, 1), (f"{prefix}/parts/b", 10**9, 1)]
    script_us = cpu_us(lambda: limiter.windows.acquire(windows, time.time()), n)
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port or 6379)) as plain:
        def ping():
            plain.sendall(b"*1\r\n$4\r\nPING\r\n")
            plain.recv(64)

        raw_us = cpu_us(ping, n)
    limiter.windows.reset()
    return script_us, raw_us


def signing_parts(app, n):
    from joserfc import jwt
    from joserfc.jwk import ECKey

    from idp.oauth.keys import key_ring

    claims = {"iss": "https://idp.example", "sub": "bench-service", "aud": "https://idp.example",
              "exp": 2000000000, "iat": 1700000000, "jti": "x" * 24, "client_id": "bench",
              "scope": "api"}
    key = ECKey.generate_key("P-256")
    with app.app_context():
        ring = key_ring()
        pkcs11_us = cpu_us(lambda: ring.sign(claims, "ES256", typ="at+jwt"), n)
    header = {"alg": "ES256", "typ": "at+jwt", "kid": "k"}
    in_process_us = cpu_us(lambda: jwt.encode(header, claims, key), n)
    return pkcs11_us, in_process_us


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="bawaba-sqlite",
                        choices=("bawaba-sqlite", "bawaba-postgresql"))
    parser.add_argument("-n", type=int, default=2000, help="operations per round")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-parts-"))
    try:
        app, setup = seeded_app(tmp, args.target, 1)
        client = setup["service"]
        n = args.n
        parts = {
            "grant_request": cpu_us(token_request(app.wsgi_app, client), n),
            "flask_floor_request": cpu_us(token_request(flask_floor(), client), n),
        }
        parts["database_sqlalchemy"], parts["database_driver"] = database_parts(
            app, client["client_id"], n)
        parts["rate_limits_redis_py"], parts["redis_raw_round_trip"] = redis_parts(app, n)
        parts["sign_pkcs11"], parts["sign_in_process"] = signing_parts(app, n)
        for name, value in parts.items():
            print(json.dumps({"target": args.target, "part": name, "cpu_us": value}))
        measured = (parts["database_sqlalchemy"] + (parts["rate_limits_redis_py"] or 0)
                    + parts["sign_pkcs11"])
        print(json.dumps({
            "target": args.target,
            "grant_request_cpu_us": parts["grant_request"],
            "database_redis_signature_cpu_us": round(measured, 1),
            "rest_of_the_request_cpu_us": round(parts["grant_request"] - measured, 1),
            "flask_floor_request_cpu_us": parts["flask_floor_request"],
            "same_work_on_bare_driver_socket_and_in_process_key_cpu_us": round(
                parts["database_driver"] + (parts["redis_raw_round_trip"] or 0)
                + parts["sign_in_process"], 1),
        }))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
