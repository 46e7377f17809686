"""`idp serve`: gunicorn with two worker processes, started as an administrator would
(`idp db upgrade`, `idp keys rotate`, `idp clients create`, `idp serve`), on SQLite or on
the PostgreSQL of IDP_TEST_DATABASE_URL. Consecutive requests are made to land on
different workers, so the whole flow proves there is no in-process state another worker
needs: the authorization transaction, the code, the refresh token, the session and its end."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy

from idp import create_app
from idp.authn.assurance import LEVEL_1
from idp.extensions import db
from idp.models import Account
from idp.models import AuditEvent
from idp.models import LoginSession
from idp.models.types import digest
from idp.models.types import utcnow

from .helpers import REDIRECT_URI
from .helpers import Browser
from .helpers import RelyingParty
from .helpers import query_of

IDP = str(Path(sys.executable).with_name("idp"))
SECRET = "serve-test-secret-key-0123456789abcdef"
LOGGED_OUT = "https://rp.example/logged-out"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def fresh_database(database_url, tmp_path_factory):
    """Make an empty database: a new SQLite file, or a new PostgreSQL schema."""
    def make(name):
        if not database_url.startswith("postgresql"):
            return "sqlite:///" + str(tmp_path_factory.mktemp(name) / "idp.db")
        engine = sqlalchemy.create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
            connection.execute(sqlalchemy.text(f"CREATE SCHEMA {name}"))
        engine.dispose()
        return f"{database_url}?options=-csearch_path%3D{name}"

    return make


def environment(instance, database, token_config, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IDP_", "PKCS11_")) and k != "SECRET_KEY"}
    env.update(token_config)
    env.update(IDP_INSTANCE_PATH=str(instance), IDP_DATABASE_URL=database, SECRET_KEY=SECRET)
    env.update(extra)
    return env


def idp(env, *args, check=True):
    done = subprocess.run([IDP, *args], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_serve_refuses_until_schema_and_keys_exist(fresh_database, token_config, tmp_path):
    env = environment(tmp_path, fresh_database("bawaba_serve_ready"), token_config)
    args = ("serve", "--bind", f"127.0.0.1:{free_port()}", "--workers", "2")

    refused = idp(env, *args, check=False)
    assert refused.returncode == 1
    assert "not starting: the database schema is not up to date: run `idp db upgrade`" \
        in refused.stderr
    assert "Traceback" not in refused.stderr

    idp(env, "db", "upgrade")
    refused = idp(env, *args, check=False)
    assert refused.returncode == 1
    assert "not starting: no active signing key for ES256, RS256, EdDSA: run `idp keys rotate`" \
        in refused.stderr

    idp(env, "keys", "rotate", "--alg", "ES256")
    refused = idp(env, *args, check=False)
    assert refused.returncode == 1
    assert "no active signing key for RS256, EdDSA" in refused.stderr
    listed = json.loads(idp(env, "keys", "list", "--json").stdout)
    assert {(k["alg"], k["state"]) for k in listed} == {("ES256", "active"), ("ES256", "next")}


@pytest.mark.parametrize(("extra", "message"), [
    ({"SECRET_KEY": ""}, "SECRET_KEY is required outside development (IDP_ENV=production)"),
    ({"SECRET_KEY": "too-short"}, "SECRET_KEY must be at least 32 characters"),
    ({"IDP_ISSUER": "http://idp.example"}, "IDP_ISSUER must be an https URL outside development"),
])
def test_production_refuses_unsafe_configuration(fresh_database, token_config, tmp_path,
                                                 extra, message):
    settings = {"IDP_ENV": "production", "IDP_ISSUER": "https://idp.example", **extra}
    env = environment(tmp_path, fresh_database("bawaba_serve_prod"), token_config, **settings)
    if not env["SECRET_KEY"]:
        del env["SECRET_KEY"]
    refused = idp(env, "serve", "--bind", f"127.0.0.1:{free_port()}", check=False)
    assert refused.returncode == 1
    assert f"Error: not starting: {message}" in refused.stderr
    assert "Traceback" not in refused.stderr
    administration = idp(env, "clients", "list", check=False)
    assert administration.returncode == 1
    assert f"Error: {message}" in administration.stderr


def test_bad_serve_arguments(tmp_path):
    for args, option in ((["--bind", "8000"], "'--bind'"), (["--workers", "0"], "'--workers'")):
        done = subprocess.run([IDP, "serve", *args], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "IDP_INSTANCE_PATH": str(tmp_path)})
        assert done.returncode == 2
        assert f"Invalid value for {option}" in done.stderr


class Workers:
    """Steers requests to alternate between two gunicorn sync workers, without knowing
    their pids: a sync worker serves one connection at a time, so while one worker is held
    by an unfinished request the other must answer. Each turn frees the worker held the
    longest and holds the one that just answered."""

    def __init__(self, port):
        self.port = port
        self.held = [self._hold(), self._hold()]  # both workers busy

    def _hold(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.sendall(b"GET /jwks HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never end
        return sock

    def call(self, send, *args, **kwargs):
        self.held.pop(0).close()
        try:
            return send(*args, **kwargs)
        finally:
            self.held.append(self._hold())

    def close(self):
        for sock in self.held:
            sock.close()


class SteeredBrowser(Browser):
    def __init__(self, issuer, workers):
        super().__init__(issuer)
        self.workers = workers

    def get(self, url, **kwargs):
        return self.workers.call(super().get, url, **kwargs)

    def post(self, url, data, **kwargs):
        return self.workers.call(super().post, url, data, **kwargs)


@pytest.fixture(scope="module")
def served(fresh_database, token_config, tmp_path_factory):
    instance = tmp_path_factory.mktemp("serve-instance")
    database = fresh_database("bawaba_serve")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    # Workers steers requests by holding gunicorn sync workers (one connection each).
    env = environment(instance, database, token_config, IDP_ISSUER=issuer, IDP_PROXY_HOPS="1",
                      IDP_WSGI_SERVER="gunicorn")
    idp(env, "db", "upgrade")
    idp(env, "keys", "rotate")
    client = json.loads(idp(
        env, "clients", "create", "--name", "Served RP", "--redirect-uri", REDIRECT_URI,
        "--post-logout-redirect-uri", LOGGED_OUT, "--scope", "openid profile", "--json",
    ).stdout)
    resource = json.loads(idp(
        env, "clients", "create", "--name", "Resource server", "--grant-type",
        "client_credentials", "--scope", "introspection", "--json",
    ).stdout)
    log = open(instance / "gunicorn.log", "w")  # closed at teardown
    process = subprocess.Popen([IDP, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(issuer, process, instance / "gunicorn.log")
        yield {"issuer": issuer, "port": port, "process": process, "client": client,
               "resource": resource, "database": database, "env": env}
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _wait_until_serving(issuer, process, log):
    for _ in range(300):
        if process.poll() is not None:
            pytest.fail("idp serve exited:\n" + log.read_text())
        try:
            if requests.get(issuer + "/.well-known/openid-configuration", timeout=2).ok:
                if len(_children(process.pid)) == 2:
                    return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail("idp serve did not start:\n" + log.read_text())


def _children(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return path.read_text().split()


@pytest.fixture
def workers(served):
    steering = Workers(served["port"])
    yield steering
    steering.close()


@pytest.fixture(scope="module")
def served_db(served, token_config):
    """An application bound to the served database, to seed what only a login method
    writes (the test login method never runs in a served provider)."""
    seeding = create_app({"TESTING": True, "IDP_ENV": "test", "SECRET_KEY": SECRET,
                          "IDP_DATABASE_URL": served["database"],
                          "SQLALCHEMY_DATABASE_URI": None, **token_config})
    yield seeding
    with seeding.app_context():
        db.session.remove()
        db.engine.dispose()


def seed_session(served_db, subject):
    """An SSO session as a login method leaves it: the record and the browser's cookie."""
    cookie = secrets.token_urlsafe(32)
    now = utcnow()
    with served_db.app_context():
        if db.session.execute(db.select(Account).filter_by(sub=subject)).scalar() is None:
            db.session.add(Account(sub=subject, profile={"name": f"Served {subject}"}))
        db.session.add(LoginSession(
            sid=secrets.token_urlsafe(24), cookie_digest=digest(cookie), subject=subject,
            method="test", acr=LEVEL_1, amr=["pwd"], auth_time=int(now.timestamp()),
            created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=1)))
        db.session.commit()
    return cookie


def events(name):
    return db.session.execute(db.select(AuditEvent).filter_by(event=name)).scalars().all()


def test_two_workers_share_no_state_but_the_database(served, served_db, workers):
    issuer = served["issuer"]
    assert served["process"].poll() is None
    assert len(_children(served["process"].pid)) == 2

    browser = SteeredBrowser(issuer, workers)
    browser.http.cookies.set("bawaba-sso", seed_session(served_db, "citizen-7"),
                             domain="127.0.0.1", path="/")
    rp = RelyingParty(issuer, served["client"])
    resource = RelyingParty(issuer, served["resource"])

    # Consent page from one worker, the form posted to the other (CSRF token and the
    # authorization transaction travel in the cookie signed with the shared SECRET_KEY).
    page = browser.authorize(rp.params())
    assert page.status_code == 200 and "/consent" in page.url, page.text[:500]
    page = browser.consent(page)
    assert page.status_code in (302, 303), page.text[:500]
    callback = query_of(page.headers["Location"])
    assert callback["state"] == rp.state and callback["iss"] == issuer

    tokens = workers.call(rp.exchange, callback["code"]).json()
    replay = workers.call(rp.exchange, callback["code"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The replayed code revoked what it had issued, whichever worker issued it.
    assert workers.call(resource.introspect, tokens["access_token"]).json() == {"active": False}

    for round_ in range(8):
        rp = RelyingParty(issuer, served["client"])
        callback = query_of(browser.authorize(rp.params()).headers["Location"])
        assert callback["state"] == rp.state, callback
        response = workers.call(rp.exchange, callback["code"])
        assert response.status_code == 200, response.text
        tokens = response.json()
        info = workers.call(rp.userinfo, tokens["access_token"])
        assert info.status_code == 200 and info.json()["sub"] == "citizen-7"
        refreshed = workers.call(rp.refresh, tokens["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        introspected = workers.call(resource.introspect, refreshed.json()["access_token"]).json()
        assert introspected["active"] is True and introspected["sub"] == "citizen-7"
        if round_ == 0:
            # A rotated refresh token replayed on the other worker revokes the family.
            reuse = workers.call(requests.post, issuer + "/token", auth=rp.auth(), data={
                "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                headers={"X-Forwarded-For": "203.0.113.7"}, timeout=10)
            assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
            latest = workers.call(rp.refresh, refreshed.json()["refresh_token"])
            assert latest.json()["error"] == "invalid_grant"

    # IDP_PROXY_HOPS=1: the address the proxy forwarded is the one audited.
    with served_db.app_context():
        reuses = events("refresh_reuse")
        refreshes = events("token_refreshed")
    assert [e.ip for e in reuses] == ["203.0.113.7"]
    assert {e.ip for e in refreshes} == {"127.0.0.1"}

    # Logout on one worker is seen by the next request, on the other.
    response = browser.get("/logout", params={"id_token_hint": tokens["id_token"],
                                              "post_logout_redirect_uri": LOGGED_OUT})
    assert response.status_code == 303 and response.headers["Location"] == LOGGED_OUT
    silent = browser.get("/authorize", params=rp.params(prompt="none"))
    assert query_of(silent.headers["Location"])["error"] == "login_required"
    info = workers.call(rp.userinfo, refreshed.json()["access_token"])
    assert info.status_code == 401 and info.json()["error"] == "invalid_token"
    assert workers.call(rp.refresh, refreshed.json()["refresh_token"]).status_code == 400


def test_administration_reaches_running_workers(served, served_db, workers):
    """`idp clients` changes take effect in every worker at once: nothing is cached."""
    issuer, env = served["issuer"], served["env"]
    api = json.loads(idp(env, "clients", "create", "--name", "Job", "--grant-type",
                         "client_credentials", "--scope", "tax.read", "--json").stdout)

    def token(secret):
        return requests.post(issuer + "/token", data={"grant_type": "client_credentials"},
                             auth=(api["client_id"], secret), timeout=10)

    for _ in range(2):
        assert workers.call(token, api["client_secret"]).status_code == 200
    rotated = json.loads(idp(env, "clients", "rotate-secret", api["client_id"],
                             "--json").stdout)
    for _ in range(2):
        assert workers.call(token, api["client_secret"]).status_code == 401
        assert workers.call(token, rotated["client_secret"]).status_code == 200
    idp(env, "clients", "delete", api["client_id"])
    for _ in range(2):
        assert workers.call(token, rotated["client_secret"]).json()["error"] == "invalid_client"
