"""The token endpoint's most frequent request answered in front of Flask (fast_paths.py):
a client_credentials grant (RFC 6749 §4.4) by a client authenticating with its secret
(`client_secret_basic` or `client_secret_post`, §2.3.1), the bulk of a busy provider's
token requests.

An ordinary request here is a form body of at most MAX_BODY bytes with nothing else than
the grant's own fields, no field twice, no query string, one authentication method, from a
client whose registration this worker already keeps. The checks are the full stack's
(server.py, grants.py), from the same functions and in its order: the client's secret,
its authentication method and grant type, the requested scope (Authlib's and
grants.check_client_scope), then the token endpoint's rate limits. The token is issued by
the same functions as well (tokens.py) and stored by one INSERT on the bare database
connection (models/driver_statements.py)."""

import base64
import binascii
import io
from urllib.parse import parse_qsl
from urllib.parse import unquote

from authlib.consts import default_json_headers
from authlib.oauth2 import OAuth2Error

from ..models.client_cache import kept_client
from ..models.client_cache import plausible_client_id
from ..models.clients import Client
from ..models.driver_statements import DriverInsert
from ..models.driver_statements import DriverLookup
from ..models.tokens import AccessToken
from ..models.types import utcnow
from .fast_paths import FastPath
from .grants import check_client_scope
from .keys import key_ring
from .server import authorization_server
from .tokens import GrantContext
from .tokens import access_token_claims
from .tokens import access_token_row
from .tokens import bearer_response

GRANT_TYPE = "client_credentials"
MAX_BODY = 2048
FORM = "application/x-www-form-urlencoded"
BASIC_FIELDS = frozenset({"grant_type", "scope"})
POST_FIELDS = BASIC_FIELDS | {"client_id", "client_secret"}


class TokenFastPath(FastPath):
    def __init__(self, app, full_stack):
        super().__init__(app, full_stack)
        dialect = self.engine.dialect
        self.client_version = DriverLookup({"version": Client.__table__.c.version},
                                           Client.__table__.c.client_id, dialect)
        self.insert_access_token = DriverInsert(AccessToken.__table__, dialect)
        self.headers = [*default_json_headers, *self.headers]

    def takes(self, environ):
        body = _ordinary_body(environ)
        if body is None:
            return None
        environ["wsgi.input"] = io.BytesIO(body)  # for the full stack, which reads it again
        return _grant_request(body, environ.get("HTTP_AUTHORIZATION"))

    def answer(self, request, environ):
        method, client_id, secret, scope = request
        cfg = self.flask_app.config
        with self.connection() as connection:
            cursor = connection.cursor()
            registered = self.client_version.one(cursor, client_id)
            client = registered and kept_client(client_id, registered["version"])
            if not client or not _may_grant(client, method, secret, scope):
                return None
            if not self.admitted("oauth.token", client_id, environ):
                return None
            now = utcnow()
            ctx = GrantContext(subject=None, scope=scope or "")
            claims = access_token_claims(cfg, client_id, ctx, now)
            access_token = key_ring().sign(claims, cfg["IDP_ACCESS_TOKEN_ALG"], typ="at+jwt")
            row = access_token_row(client, ctx, claims, now)
            cursor.execute(self.insert_access_token.sql, self.insert_access_token.values(row))
            connection.commit()
        token = bearer_response(access_token, cfg["IDP_ACCESS_TOKEN_TTL"], ctx.scope)
        return [], self.flask_app.json.dumps(token).encode()  # as Authlib's Flask response


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
