"""The token endpoint's most frequent requests answered in front of Flask (fast_paths.py):
a client_credentials grant (RFC 6749 §4.4) and the exchange of an authorization code
(§4.1.3, with PKCE, RFC 7636 §4.6) by a client authenticating with its secret
(`client_secret_basic` or `client_secret_post`, §2.3.1).

An ordinary request here is a form body of at most MAX_BODY bytes with nothing else than
its grant's own fields, no field twice, no query string, one authentication method, from a
client whose registration this worker already keeps. The checks are the full stack's
(server.py, grants.py), from the same functions and in its order: the client's secret,
its authentication method and grant type, then the grant's own (code_exchange.py for the
code), then the token endpoint's rate limits. Tokens are issued by the same functions
as well (tokens.py), their rows written on the bare database connection
(models/fast_path_rows.py)."""

import base64
import binascii
import io
from urllib.parse import parse_qsl
from urllib.parse import unquote

from authlib.consts import default_json_headers
from authlib.oauth2 import OAuth2Error

from ..models.client_cache import kept_client
from ..models.client_cache import plausible_client_id
from ..models.types import utcnow
from .code_exchange import CODE_FIELDS
from .code_exchange import exchange_code
from .fast_paths import FastPath
from .grants import check_client_scope
from .keys import key_ring
from .server import authorization_server
from .tokens import GrantContext
from .tokens import access_token_claims
from .tokens import access_token_row
from .tokens import bearer_response

CLIENT_CREDENTIALS = "client_credentials"
AUTHORIZATION_CODE = "authorization_code"
MAX_BODY = 2048
FORM = "application/x-www-form-urlencoded"
# The fields of each grant's ordinary request, besides grant_type and the client's own.
GRANT_FIELDS = {CLIENT_CREDENTIALS: frozenset({"scope"}), AUTHORIZATION_CODE: CODE_FIELDS}
POST_FIELDS = frozenset({"client_id", "client_secret"})


class TokenFastPath(FastPath):
    def __init__(self, app, full_stack):
        super().__init__(app, full_stack)
        self.headers = [*default_json_headers, *self.headers]

    def takes(self, environ):
        body = _ordinary_body(environ)
        if body is None:
            return None
        environ["wsgi.input"] = io.BytesIO(body)  # for the full stack, which reads it again
        return _grant_request(body, environ.get("HTTP_AUTHORIZATION"))

    def answer(self, request, environ):
        grant_type, method, client_id, secret, fields = request
        with self.connection() as connection:
            cursor = connection.cursor()
            registered = self.rows.client_version.one(cursor, client_id)
            client = registered and kept_client(client_id, registered["version"])
            if not client or not _client_may(client, method, secret, grant_type):
                return None
            if grant_type == CLIENT_CREDENTIALS:
                token = self._client_credentials(connection, cursor, client, fields, environ)
            else:
                token = exchange_code(self, connection, cursor, client, fields, environ)
        if token is None:
            return None
        return [], self.flask_app.json.dumps(token).encode()  # as Authlib's Flask response

    def _client_credentials(self, connection, cursor, client, fields, environ):
        scope = fields.get("scope")
        try:
            authorization_server().validate_requested_scope(scope)
            check_client_scope(client, scope)
        except OAuth2Error:
            return None
        if not self.admitted("oauth.token", client.client_id, environ):
            return None
        cfg = self.flask_app.config
        now = utcnow()
        ctx = GrantContext(subject=None, scope=scope or "")
        claims = access_token_claims(cfg, client.client_id, ctx, now)
        access_token = key_ring().sign(claims, cfg["IDP_ACCESS_TOKEN_ALG"], typ="at+jwt")
        self.rows.token_store(cursor).add_access_token(
            **access_token_row(client, ctx, claims, now))
        connection.commit()
        return bearer_response(access_token, cfg["IDP_ACCESS_TOKEN_TTL"], ctx.scope)


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
    """(grant_type, auth method, client_id, client_secret, the grant's fields) of an
    ordinary request, or None."""
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True,
                          errors="strict")
    except ValueError:  # also UnicodeDecodeError
        return None
    fields = dict(pairs)
    if len(fields) != len(pairs) or not all(fields.values()):
        return None  # a field twice, or an empty one
    grant_type = fields.pop("grant_type", None)
    allowed = GRANT_FIELDS.get(grant_type)
    if allowed is None:
        return None
    if authorization is None:
        if not fields.keys() <= allowed | POST_FIELDS:
            return None
        method = "client_secret_post"
        client_id, secret = fields.pop("client_id", None), fields.pop("client_secret", None)
    else:
        if not fields.keys() <= allowed:
            return None
        method = "client_secret_basic"
        client_id, secret = _basic_credentials(authorization)
    if not client_id or not secret or not plausible_client_id(client_id):
        return None
    return grant_type, method, client_id, secret, fields


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


def _client_may(client, method, secret, grant_type):
    """The full stack's client checks, in its order: True when each passes."""
    return (client.check_client_secret(secret)
            and client.check_endpoint_auth_method(method, "token")
            and client.check_grant_type(grant_type))
