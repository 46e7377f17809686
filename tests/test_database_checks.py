"""A pooled PostgreSQL connection that the server closed while it sat idle is replaced
before a request uses it (idp/database_checks.py)."""

import time

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text

from idp import create_app
from idp.extensions import db


@pytest.fixture
def postgresql_app(database_url, token_config, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: a SQLite file cannot be closed by a server")
    app = create_app({**token_config, "TESTING": True, "IDP_ENV": "test",
                      "SECRET_KEY": "test-secret-key", "IDP_DATABASE_URL": database_url,
                      "SQLALCHEMY_DATABASE_URI": None, "IDP_INSTANCE_PATH": str(tmp_path),
                      "IDP_DATABASE_CHECK_IDLE_SECONDS": 0.2})
    yield app
    with app.app_context():
        db.engine.dispose()


def _backend_pid(app):
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.commit()
    return pid


def _terminate(database_url, pid):
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"),
                                  {"pid": pid}).scalar()
    engine.dispose()


def test_a_connection_closed_by_the_server_while_idle_is_replaced(postgresql_app, database_url):
    first = _backend_pid(postgresql_app)
    _terminate(database_url, first)  # as a server restart or an idle-closing proxy would
    time.sleep(0.3)  # longer than IDP_DATABASE_CHECK_IDLE_SECONDS
    second = _backend_pid(postgresql_app)
    assert second != first
