"""The token endpoint's most frequent request, answered in front of Flask: a
client_credentials grant (RFC 6749 §4.4) by a client authenticating with its secret
(`client_secret_basic` or `client_secret_post`, §2.3.1). On a busy provider these are most
of the token endpoint's traffic, and most of their cost was the framework, Authlib's
request wrapping and the ORM, not the grant (bench/README.md).

The path answers only success, and only for an ordinary request: a form body of at most
MAX_BODY bytes with nothing else than the grant's own fields, no field twice, no query
string, one authentication method, a client registration this worker already keeps. Every
other request, and every request that would fail a check, goes untouched to the full stack
(server.py, grants.py), which holds the errors and their semantics; so does a request
this path could not finish (an unreachable database, say).

Its checks are the full stack's, from the same functions: the client's secret, its
authentication method and grant type, the requested scope (Authlib's and
grants.check_client_scope), then the token endpoint's rate limits (ratelimit.admit). The
token is issued by the same functions as well (tokens.py) and stored by one INSERT on the
bare database connection (models/driver_statements.py). IDP_TOKEN_FAST_PATH = False turns
the path off."""

import base64
import binascii
import io
import logging
from urllib.parse import parse_qsl
from urllib.parse import unquote

from authlib.consts import default_json_headers
from authlib.oauth2 import OAuth2Error

from ..audit import new_request_id
from ..extensions import db
from ..models.client_cache import kept_client
from ..models.client_cache import plausible_client_id
from ..models.clients import Client
from ..models.driver_statements import DriverInsert
from ..models.driver_statements import DriverLookup
from ..models.tokens import AccessToken
from ..models.types import utcnow
from ..security_headers import every_response
from .grants import check_client_scope
from .keys import key_ring
from .server import authorization_server
from .tokens import GrantContext
from .tokens import access_token_claims
from .tokens import access_token_row
from .tokens import bearer_response

log = logging.getLogger(__name__)

GRANT_TYPE = "client_credentials"
MAX_BODY = 2048
FORM = "application/x-www-form-urlencoded"
BASIC_FIELDS = frozenset({"grant_type", "scope"})
POST_FIELDS = BASIC_FIELDS | {"client_id", "client_secret"}


class TokenFastPath:
    """WSGI middleware in front of the application (`app.wsgi_app`)."""

    def __init__(self, app, full_stack):
        self.flask_app = app
        self.full_stack = full_stack
        with app.app_context():
            engine = db.engine
        self.engine = engine
        self.client_version = DriverLookup(Client.__table__, "version", "client_id",
                                           engine.dialect)
        self.insert_access_token = DriverInsert(AccessToken.__table__, engine.dialect)
        self.headers = [*default_json_headers, *every_response(app.config["IDP_SECURE"])]

    def __call__(self, environ, start_response):
        body = _ordinary_body(environ)
        if body is None:
            return self.full_stack(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)  # for the full stack, which reads it again
        answer = None
        request = _grant_request(body, environ.get("HTTP_AUTHORIZATION"))
        if request is not None:
            try:
                with self.flask_app.app_context():
                    answer = self._grant(request, environ.get("REMOTE_ADDR"))
            except Exception as error:  # the full stack answers, with its error handling
                log.warning("token fast path: %s; the full stack answers",
                            type(error).__name__)
                answer = None
        if answer is None:
            return self.full_stack(environ, start_response)
        headers = [*self.headers, ("Content-Length", str(len(answer))),
                   ("X-Request-Id", new_request_id())]
        start_response("200 OK", headers)
        return [answer]

    def _grant(self, request, address):
        method, client_id, secret, scope = request
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            version = self.client_version.one(cursor, client_id)
            client = kept_client(client_id, version) if version is not None else None
            if client is None or not _may_grant(client, method, secret, scope):
                return None
            limiter = self.flask_app.extensions.get("idp.limiter")
            if limiter is not None and not limiter.admit("oauth.token", client_id, address):
                return None
            cfg = self.flask_app.config
            now = utcnow()
            ctx = GrantContext(subject=None, scope=scope or "")
            claims = access_token_claims(cfg, client_id, ctx, now)
            access_token = key_ring().sign(claims, cfg["IDP_ACCESS_TOKEN_ALG"], typ="at+jwt")
            row = access_token_row(client, ctx, claims, now)
            cursor.execute(self.insert_access_token.sql, self.insert_access_token.values(row))
            connection.commit()
        finally:
            connection.close()  # back to the pool, which rolls back what was not committed
        token = bearer_response(access_token, cfg["IDP_ACCESS_TOKEN_TTL"], ctx.scope)
        return self.flask_app.json.dumps(token).encode()  # as Authlib's Flask response


def _ordinary_body(environ):
    """The body of a POST /token form of at most MAX_BODY bytes, else None (unread)."""
    if environ.get("PATH_INFO") != "/token" or environ.get("REQUEST_METHOD") != "POST":
        return None
    if environ.get("QUERY_STRING") or environ.get("CONTENT_TYPE") != FORM:
        return None
    length = environ.get("CONTENT_LENGTH", "")
    if not length.isdigit() or not 0 < int(length) <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(int(length))
    return body if len(body) == int(length) else None


def _grant_request(body, authorization):
    """(auth method, client_id, client_secret, scope) of an ordinary client_credentials
    request, or None."""
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True,
                          errors="strict")
    except ValueError:  # also UnicodeDecodeError
        return None
    fields = dict(pairs)
    if len(fields) != len(pairs) or not all(fields.values()):
        return None  # a field twice, or an empty one
    if fields.get("grant_type") != GRANT_TYPE:
        return None
    if authorization is None:
        if not fields.keys() <= POST_FIELDS:
            return None
        method, client_id, secret = ("client_secret_post", fields.get("client_id"),
                                     fields.get("client_secret"))
    else:
        if not fields.keys() <= BASIC_FIELDS:
            return None
        method = "client_secret_basic"
        client_id, secret = _basic_credentials(authorization)
    if not client_id or not secret or not plausible_client_id(client_id):
        return None
    return method, client_id, secret, fields.get("scope")


def _basic_credentials(authorization):
    """RFC 6749 §2.3.1: the id and secret, each form-encoded, in Basic credentials."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None, None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return None, None
    return unquote(client_id), unquote(secret)


def _may_grant(client, method, secret, scope):
    """The full stack's checks of a client_credentials request, in its order: True when
    each passes."""
    if not client.check_client_secret(secret):
        return False
    if not client.check_endpoint_auth_method(method, "token"):
        return False
    if not client.check_grant_type(GRANT_TYPE):
        return False
    try:
        authorization_server().validate_requested_scope(scope)
        check_client_scope(client, scope)
    except OAuth2Error:
        return False
    return True


def init_app(app):
    if app.config["IDP_TOKEN_FAST_PATH"]:
        app.wsgi_app = TokenFastPath(app, app.wsgi_app)
