"""Fixtures: a real SoftHSM2 token, a real database (SQLite, or PostgreSQL from
IDP_TEST_DATABASE_URL) built by the migrations, and the provider on a real HTTP port."""

import os
import runpy
import subprocess
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from idp import create_app
from idp.extensions import db
from idp.models import AuditEvent

from .helpers import Browser
from .helpers import make_client

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def token_config(tmp_path_factory):
    if os.environ.get("PKCS11_MODULE"):
        return {k: os.environ[k] for k in
                ("PKCS11_MODULE", "PKCS11_TOKEN_LABEL", "PKCS11_TOKEN_PIN") if k in os.environ}
    directory = tmp_path_factory.mktemp("softhsm")
    subprocess.run(["bash", str(ROOT / "certs" / "dev-token.sh"), str(directory)], check=True,
                   capture_output=True)
    values = runpy.run_path(str(directory / "config.py"))
    return {k: values[k] for k in
            ("PKCS11_MODULE", "PKCS11_TOKEN_LABEL", "PKCS11_TOKEN_PIN", "SOFTHSM2_CONF")}


@pytest.fixture(scope="session")
def server_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("IDP_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "idp.db")


@pytest.fixture(scope="session")
def app(token_config, server_port, database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "IDP_ENV": "test",
        "SECRET_KEY": "test-secret-key",
        "IDP_ISSUER": f"http://127.0.0.1:{server_port}",
        "IDP_DATABASE_URL": database_url,
        "SQLALCHEMY_DATABASE_URI": None,
        "IDP_ENABLE_TEST_LOGIN": True,
        "IDP_KEY_CACHE_SECONDS": 0,
        "IDP_RATELIMIT_RULES": dict.fromkeys(  # the whole suite comes from one address
            ("token", "token_ip", "authorize", "login", "introspect", "revoke", "userinfo"),
            "100000 per hour"),
        **token_config,
    })
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.session.execute(db.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        from idp.oauth.keys import key_ring

        key_ring().ensure()
        # Tests start from an empty audit trail; the first rotation above is setup.
        db.session.execute(db.delete(AuditEvent))
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(app, server_port):
    server = make_server("127.0.0.1", server_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app.config["IDP_ISSUER"]
    server.shutdown()


KEEP = {"signing_keys", "alembic_version"}


@pytest.fixture(autouse=True)
def clean_database(app):
    yield
    with app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in KEEP:
                db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture
def issuer(live_server):
    return live_server


@pytest.fixture
def browser(issuer):
    return Browser(issuer)


@pytest.fixture
def client_factory(app):
    def factory(**options):
        return make_client(app, **options)

    return factory
