"""`private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID Connect Core §9):
signed with an asymmetric algorithm named here (RFC 8725 §3.1), by a key of the client's
registered JWK Set; `iss` and `sub` are the client; the audience is this provider; `exp`
is required and at most IDP_CLIENT_ASSERTION_MAX_AGE ahead; each `jti` is single-use."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..models.replay import remember_jti
from ..models.types import utcnow

ASSERTION_ALGORITHMS = ["ES256", "RS256"]
LEEWAY = 30  # seconds of clock skew allowed on `exp`


class PrivateKeyJwt(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self):
        super().__init__(validate_jti=True, leeway=LEEWAY)

    def get_audiences(self):
        issuer = current_app.config["IDP_ISSUER"]
        # CIBA Core §7.1: the backchannel authentication endpoint is an audience too.
        return [issuer, issuer + "/token", issuer + "/bc-authorize"]

    def resolve_client_public_key(self, client):
        if not client.jwks:
            raise InvalidClientError(description="The client has no registered keys.")
        return KeySet.import_key_set(client.jwks)

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGORITHMS)
        except (JoseError, ValueError, TypeError):
            raise InvalidClientError(description="Invalid client assertion.") from None
        self.verify_claims(token.claims)
        return token.claims

    def validate_jti(self, claims, jti):
        if not isinstance(jti, str) or not jti or len(jti) > 255 or "\x00" in jti:
            raise InvalidClientError(description="Invalid JWT ID.")
        now = utcnow()
        max_age = current_app.config["IDP_CLIENT_ASSERTION_MAX_AGE"]
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)):
            raise InvalidClientError(description="Invalid claim: 'exp'")
        expires_at = datetime.fromtimestamp(exp, UTC)
        if expires_at > now + timedelta(seconds=max_age):
            raise InvalidClientError(description="The assertion lives too long.")
        return remember_jti(claims["iss"], jti, expires_at + timedelta(seconds=LEEWAY), now)
