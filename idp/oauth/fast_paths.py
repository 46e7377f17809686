"""Requests answered in front of Flask: the most frequent success of an endpoint, whose
cost was mostly the framework, Authlib's request wrapping and the ORM rather than its own
work (bench/README.md). Each path is WSGI middleware around the application
(`app.wsgi_app`): authorize_fast_path.py (single sign-on), token_fast_path.py (client
credentials, code exchange, refresh), userinfo_fast_path.py, introspection_fast_path.py,
metadata_fast_path.py (discovery, JWKS).

The rules every path keeps:
- it takes only an ordinary request (`takes`), and answers only success (`answer`);
- every other request, and every request that would fail a check, goes untouched to the
  full stack, which holds the errors and their semantics; so does a request the path could
  not finish (an unreachable database, a token that refused to sign);
- its checks and what it issues come from the same functions as the full stack's, in the
  same order; rate limits are counted only for the success it answers (ratelimit.admit),
  so a request handed on is counted once, by the full stack;
- its response carries the headers every response carries (security_headers.py) and a
  request id.

IDP_FAST_PATHS = False turns them off."""

import logging
from contextlib import contextmanager

from ..audit import new_request_id
from ..extensions import db
from ..models.client_cache import kept_client
from ..models.fast_path_rows import FastPathRows
from ..security_headers import every_response

log = logging.getLogger(__name__)
REQUEST_ID = "idp.request_id"
OK = "200 OK"


class FastPath:
    RESPONSE_HEADERS = ()  # of every answer, before those every response carries

    def __init__(self, app, full_stack, engine, rows):
        self.flask_app = app
        self.full_stack = full_stack
        self.engine = engine
        self.rows = rows
        self.headers = [*self.RESPONSE_HEADERS, *every_response(app.config["IDP_SECURE"])]

    def takes(self, environ):
        """What answer() needs of an ordinary request, or None to hand the request on."""
        raise NotImplementedError

    def answer(self, request, environ):
        """(status, headers, body) of the success, or None to hand the request on. The
        request's id (for audit rows) is environ[REQUEST_ID]."""
        raise NotImplementedError

    def __call__(self, environ, start_response):
        request = self.takes(environ)
        answer = None
        if request is not None:
            environ[REQUEST_ID] = new_request_id()
            try:
                with self.flask_app.app_context():
                    answer = self.answer(request, environ)
            except Exception as error:  # the full stack answers, with its error handling
                log.warning("%s: %s; the full stack answers", type(self).__name__,
                            type(error).__name__)
        if answer is None:
            return self.full_stack(environ, start_response)
        status, headers, body = answer
        start_response(status, [*headers, *self.headers, ("Content-Length", str(len(body))),
                                  ("X-Request-Id", environ[REQUEST_ID])])
        return [body]

    @contextmanager
    def connection(self):
        """A pooled connection of the application's engine, bare; back to the pool after,
        which rolls back whatever was not committed."""
        connection = self.engine.raw_connection()
        try:
            yield connection
        finally:
            connection.close()

    def current_client(self, cursor, client_id):
        """The registration of client_id this worker keeps, when it is still current."""
        registered = self.rows.client_version.one(cursor, client_id)
        return registered and kept_client(client_id, registered["version"])

    def admitted(self, endpoint, client_id, environ):
        limiter = self.flask_app.extensions.get("idp.limiter")
        return limiter is None or limiter.admit(endpoint, client_id, environ.get("REMOTE_ADDR"))


def init_app(app):
    from .authorize_fast_path import AuthorizeFastPath
    from .introspection_fast_path import IntrospectionFastPath
    from .metadata_fast_path import MetadataFastPath
    from .token_fast_path import TokenFastPath
    from .userinfo_fast_path import UserinfoFastPath

    if not app.config["IDP_FAST_PATHS"]:
        return
    with app.app_context():
        engine = db.engine
    rows = FastPathRows(engine.dialect)  # the statements, written once for all paths
    for path in (TokenFastPath, UserinfoFastPath, IntrospectionFastPath, AuthorizeFastPath,
                 MetadataFastPath):
        app.wsgi_app = path(app, app.wsgi_app, engine, rows)
