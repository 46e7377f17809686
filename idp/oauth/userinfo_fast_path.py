"""The UserInfo endpoint's ordinary request answered in front of Flask (fast_paths.py):
GET /userinfo with a Bearer token in the Authorization header (RFC 6750 §2.1), no query
and no body, which is how relying parties call it after each login.

The checks are the full stack's (userinfo.py), in its order: the access token's signature,
issuer and expiry (access_tokens.verified_claims), its stored row live
(models/tokens.access_token_live) and speaking for a person, the `openid` scope, the
account not locked; then the endpoint's rate limit. The claims come from the same function
(claims.userinfo); the rows are read by two SELECTs on the bare database connection."""

from ..models.accounts import usable_account
from ..models.tokens import access_token_live
from ..models.types import utcnow
from .access_tokens import verified_claims
from .claims import userinfo
from .fast_paths import OK
from .fast_paths import FastPath


class UserinfoFastPath(FastPath):
    def takes(self, environ):
        if environ.get("PATH_INFO") != "/userinfo" or environ.get("REQUEST_METHOD") != "GET":
            return None
        if environ.get("QUERY_STRING") or environ.get("CONTENT_LENGTH", "") not in ("", "0") \
                or "HTTP_TRANSFER_ENCODING" in environ:
            return None
        scheme, _, value = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        return value.strip()

    def answer(self, access_token, environ):
        now = utcnow()
        claims = verified_claims(access_token, now)
        if claims is None or not isinstance(claims.get("jti"), str):
            return None
        with self.connection() as connection:
            cursor = connection.cursor()
            token = self.rows.one(self.rows.access_token, cursor, claims["jti"])
            if token is None or token.subject is None or not access_token_live(
                    token.revoked_at, token.expires_at, token.family_revoked_at, now):
                return None
            if "openid" not in token.scope.split():
                return None
            account = self.rows.one(self.rows.account, cursor, token.subject)
            if not usable_account(account):
                return None
        if not self.admitted("oauth.userinfo", None, environ):
            return None
        released = userinfo(account, token.scope, token.claims)
        response = self.flask_app.json.response(released)  # as the full stack's jsonify
        return (OK, [("Content-Type", response.content_type), ("Cache-Control", "no-store")],
                response.get_data())
