"""Steps shared by the token, userinfo, introspection and revocation tests: a relying party
holding tokens, exact error assertions, the published keys, `private_key_jwt` assertions,
and the database edits that stand in for the passing of time."""

import base64
import hashlib
import json
import secrets
import time
import warnings
from datetime import timedelta

import requests
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey
from joserfc.jwk import KeySet

from idp.extensions import db
from idp.models import AccessToken
from idp.models import AuthorizationCode
from idp.models import RefreshToken
from idp.models.types import digest
from idp.models.types import utcnow

from .helpers import RelyingParty
from .helpers import sign_in

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
HASHES = {"ES256": hashlib.sha256, "RS256": hashlib.sha256, "EdDSA": hashlib.sha512}


def assert_error(response, status, error):
    """An OAuth JSON error (RFC 6749 §5.2): exact status and code, a description, no caching."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["error"] == error, body
    assert isinstance(body.get("error_description"), str) and body["error_description"], body
    return body


def obtain_tokens(browser, rp, **overrides):
    """Authorize, log in, consent and exchange the code; returns the token response body."""
    callback = sign_in(browser, rp, **overrides)
    response = rp.exchange(callback["code"])
    assert response.status_code == 200, response.text
    return response.json()


def published_keys(issuer):
    return KeySet.import_key_set(requests.get(issuer + "/jwks", timeout=10).json())


def decode(token, issuer, alg="ES256"):
    """Verify a JWT against the provider's JWKS, accepting only `alg`. joserfc warns that
    RFC 9864 deprecates the polymorphic "EdDSA" name, which the provider still uses."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)
        return jwt.decode(token, published_keys(issuer), algorithms=[alg])


def half_hash(value, alg):
    """at_hash computed the way a relying party does (OpenID Connect Core §3.1.3.6)."""
    full = HASHES[alg](value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(full[: len(full) // 2]).rstrip(b"=").decode()


def log_out(browser):
    """End the browser's SSO session through the end_session endpoint's confirmation."""
    page = browser.get("/logout")
    assert page.status_code == 200, page.text[:500]
    done = browser.post("/logout/confirm", {"csrf_token": browser.csrf(page)})
    assert done.status_code == 303, done.text[:500]


def active(rp, token):
    response = rp.introspect(token)
    assert response.status_code == 200, response.text
    return response.json()["active"]


# Client keys for private_key_jwt (RFC 7523)


def new_client_key():
    key = ECKey.generate_key("P-256", parameters={"kid": secrets.token_urlsafe(6)})
    return key, json.dumps({"keys": [key.as_dict(private=False)]})


def client_assertion(client_id, key, audience, now=None, **changes):
    """A signed client assertion; `changes` overrides claims, a None value drops one."""
    now = int(now or time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now,
              "exp": now + 60, "jti": secrets.token_urlsafe(12)}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


class JwtRelyingParty(RelyingParty):
    """A relying party authenticating with private_key_jwt: a fresh assertion per request."""

    def __init__(self, issuer, client, key, **kwargs):
        super().__init__(issuer, client, **kwargs)
        self.key = key

    def form(self, **data):
        data.update(client_assertion_type=ASSERTION_TYPE,
                    client_assertion=client_assertion(self.client["client_id"], self.key,
                                                      self.issuer + "/token"))
        return data


# Time passing, by editing the rows it would have made stale


def expire_code(app, code):
    _expire(app, AuthorizationCode, AuthorizationCode.code_digest == digest(code))


def expire_access_token(app, access_token):
    jti = unverified_claims(access_token)["jti"]
    _expire(app, AccessToken, AccessToken.jti == jti)


def expire_refresh_token(app, refresh_token):
    _expire(app, RefreshToken, RefreshToken.token_digest == digest(refresh_token))


def code_row(app, code):
    with app.app_context():
        row = db.session.get(AuthorizationCode, digest(code))
        db.session.expunge(row)
        return row


def _expire(app, model, where):
    with app.app_context():
        result = db.session.execute(
            db.update(model).where(where).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        assert result.rowcount == 1
        db.session.commit()


def unverified_claims(token):
    """A JWT's claims read without verifying it (the tests verify elsewhere)."""
    return _segment(token, 1)


def unverified_header(token):
    return _segment(token, 0)


def _segment(token, index):
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
