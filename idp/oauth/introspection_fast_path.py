"""Introspection (RFC 7662) of an access token answered in front of Flask (fast_paths.py):
what resource servers ask at every call they take.

An ordinary request here is an ordinary form (fast_forms.py) with `token` and at most a
`token_type_hint` of access_token, from a client authenticating with its secret whose
registration this worker keeps. The checks are the full stack's (introspection.py), in
its order: the client's secret and method; the token a live access token of this provider
(access_tokens.verified_claims, its row); the client allowed to see it (may_introspect).
The answer comes from the same function (introspection_payload). Whatever else, an
inactive token among it, goes to the full stack, which says `"active": false`; so do
tokens that act for someone (a mandate, a service centre's work), whose statements take
more rows to decide."""

from authlib.consts import default_json_headers

from ..models.tokens import access_token_live
from ..models.types import utcnow
from .access_tokens import verified_claims
from .fast_forms import ordinary_form
from .fast_forms import secret_credentials
from .fast_paths import OK
from .fast_paths import FastPath
from .introspection import introspection_payload
from .introspection import may_introspect

FIELDS = frozenset({"token", "token_type_hint"})


class IntrospectionFastPath(FastPath):
    RESPONSE_HEADERS = default_json_headers  # as Authlib's endpoints answer

    def takes(self, environ):
        """(auth method, client_id, client_secret, token)."""
        fields = ordinary_form(environ, "/introspect")
        if fields is None or "token" not in fields \
                or fields.get("token_type_hint", "access_token") != "access_token":
            return None
        credentials = secret_credentials(fields, environ.get("HTTP_AUTHORIZATION"), FIELDS)
        return credentials and (*credentials, fields["token"])

    def answer(self, request, environ):
        method, client_id, secret, value = request
        now = utcnow()
        with self.connection() as connection:
            cursor = connection.cursor()
            client = self.current_client(cursor, client_id)
            if not client or not client.check_client_secret(secret) \
                    or not client.check_endpoint_auth_method(method, "introspection"):
                return None
            claims = verified_claims(value, now)
            if claims is None or not isinstance(claims.get("jti"), str):
                return None
            token = self.rows.one(self.rows.introspected, cursor, claims["jti"])
        if token is None or not access_token_live(token.revoked_at, token.expires_at,
                                                  token.family_revoked_at, now):
            return None
        if not may_introspect(token, client) or token.delegation:
            return None
        if not self.admitted("oauth.introspect", client_id, environ):
            return None
        token.token_type = "access_token"
        payload = introspection_payload(token, now)
        return OK, [], self.flask_app.json.dumps(payload).encode()  # as Authlib's Flask response
