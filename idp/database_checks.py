"""Pooled PostgreSQL connections are checked before use only when they sat idle in the pool
for IDP_DATABASE_CHECK_IDLE_SECONDS: a restarted server or a proxy that closed an idle
connection is noticed before a request uses it, while a busy worker, whose connections are
back in use within milliseconds, pays no extra round trip per request (SQLAlchemy's
`pool_pre_ping` would check at every checkout). A connection that fails the check is
replaced by a new one before the request sees it."""

import time

from sqlalchemy import event
from sqlalchemy import exc

from .extensions import db


def init_app(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return  # a file, not a server: nothing can close it
    idle_limit = float(app.config["IDP_DATABASE_CHECK_IDLE_SECONDS"])
    with app.app_context():
        engine = db.engine
    dialect = engine.dialect

    def note_checkin(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    def check_after_idle(dbapi_connection, record, proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_limit:
            return  # new, or back in use at once
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error
        if alive is False:
            raise exc.DisconnectionError("the connection did not answer")

    event.listen(engine, "checkin", note_checkin)
    event.listen(engine, "checkout", check_after_idle)
