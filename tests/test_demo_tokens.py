"""ID-token validation of the demo relying-party kit (OpenID Connect Core §3.1.3.7): tokens
signed by the provider's real keys with one defect each, checked against its published JWK
Set; every defect is refused with its own reason."""

import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from clients_demo.rp import errors
from clients_demo.rp.id_token import Expected
from clients_demo.rp.id_token import half_hash
from clients_demo.rp.id_token import validate_id_token
from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2
from idp.oauth.keys import key_ring

NOW = int(time.time())
ACCESS_TOKEN = "an-access-token"


def sign(app, claims, alg="ES256", typ="JWT"):
    with app.app_context():
        return key_ring().sign(claims, alg, typ=typ)


def claims(issuer, **overrides):
    values = {"iss": issuer, "sub": "citizen-1", "aud": "demo-rp", "azp": "demo-rp",
              "exp": NOW + 600, "iat": NOW, "auth_time": NOW - 5, "nonce": "n-1",
              "acr": LEVEL_1, "amr": ["pwd"], "sid": "s-1",
              "at_hash": half_hash(ACCESS_TOKEN, "ES256")}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def expected(issuer, **overrides):
    values = {"issuer": issuer, "client_id": "demo-rp", "algorithms": ("ES256",),
              "nonce": "n-1", "access_token": ACCESS_TOKEN}
    values.update(overrides)
    return Expected(**values)


@pytest.fixture
def keys(issuer):
    fetched = []

    def fetch(force):
        fetched.append(force)
        return requests.get(issuer + "/jwks", timeout=10).json()

    fetch.calls = fetched
    return fetch


def test_a_good_id_token_is_accepted(app, issuer, keys):
    token = sign(app, claims(issuer))
    result = validate_id_token(token, keys, expected(issuer, acr=LEVEL_1, max_age=60), NOW)
    assert result["sub"] == "citizen-1" and result["acr"] == LEVEL_1
    level_2 = sign(app, claims(issuer, acr=LEVEL_2))
    assert validate_id_token(level_2, keys, expected(issuer, acr=LEVEL_1), NOW)["acr"] == LEVEL_2


REFUSALS = [
    ("other issuer", {"iss": "https://evil.example"}, {}, errors.WrongIssuerError),
    ("other audience", {"aud": "other-rp", "azp": None}, {}, errors.WrongAudienceError),
    ("several audiences, no azp", {"aud": ["demo-rp", "other-rp"], "azp": None}, {},
     errors.WrongAudienceError),
    ("azp of another party", {"azp": "other-rp"}, {}, errors.WrongAudienceError),
    ("expired", {"exp": NOW - 3600}, {}, errors.ExpiredTokenError),
    ("no exp", {"exp": None}, {}, errors.MissingClaimError),
    ("no iat", {"iat": None}, {}, errors.MissingClaimError),
    ("issued in the future", {"iat": NOW + 3600}, {}, errors.IssuedInFutureError),
    ("no sub", {"sub": None}, {}, errors.MissingClaimError),
    ("other nonce", {"nonce": "n-2"}, {}, errors.NonceMismatchError),
    ("no nonce", {"nonce": None}, {}, errors.NonceMismatchError),
    ("lower acr than asked", {}, {"acr": LEVEL_2}, errors.InsufficientAcrError),
    ("unknown acr", {"acr": "urn:other:acr:gold"}, {}, errors.MissingClaimError),
    ("no acr", {"acr": None}, {}, errors.MissingClaimError),
    ("authenticated before max_age", {"auth_time": NOW - 3600}, {"max_age": 60},
     errors.StaleAuthenticationError),
    ("no auth_time with max_age", {"auth_time": None}, {"max_age": 60},
     errors.MissingClaimError),
    ("at_hash of another token", {"at_hash": half_hash("other", "ES256")}, {},
     errors.AtHashMismatchError),
    ("another person on refresh", {}, {"subject": "citizen-2", "nonce": None},
     errors.SubjectMismatchError),
]


@pytest.mark.parametrize("case, changes, asked, error", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_defects_are_refused(app, issuer, keys, case, changes, asked, error):
    token = sign(app, claims(issuer, **changes))
    with pytest.raises(error):
        validate_id_token(token, keys, expected(issuer, **asked), NOW)


def test_header_defects_are_refused(app, issuer, keys):
    good = claims(issuer)
    with pytest.raises(errors.UnexpectedTypeError):
        validate_id_token(sign(app, good, typ="logout+jwt"), keys, expected(issuer), NOW)
    with pytest.raises(errors.UnexpectedTypeError):
        validate_id_token(sign(app, good, typ="at+jwt"), keys, expected(issuer), NOW)
    with pytest.raises(errors.DisallowedAlgorithmError):
        validate_id_token(sign(app, good, alg="RS256"), keys, expected(issuer), NOW)
    for garbage in ("", "a.b", "a.b.c", "x" * 9000):
        with pytest.raises(errors.MalformedTokenError):
            validate_id_token(garbage, keys, expected(issuer), NOW)


def test_a_foreign_signature_is_refused_after_fetching_the_keys_again(app, issuer, keys):
    forged = jwt.encode({"alg": "ES256", "kid": "not-a-provider-key"}, claims(issuer),
                        ECKey.generate_key("P-256"))
    with pytest.raises(errors.BadSignatureError):
        validate_id_token(forged, keys, expected(issuer), NOW)
    assert keys.calls == [False, True]
    with app.app_context():
        kid = next(k["kid"] for k in key_ring().jwks()["keys"] if k["kty"] == "EC")
    same_kid = jwt.encode({"alg": "ES256", "kid": kid}, claims(issuer),
                          ECKey.generate_key("P-256"))
    with pytest.raises(errors.BadSignatureError):
        validate_id_token(same_kid, keys, expected(issuer), NOW)


def test_time_is_an_argument(app, issuer, keys):
    token = sign(app, claims(issuer))
    later = NOW + 600 + 61
    with pytest.raises(errors.ExpiredTokenError):
        validate_id_token(token, keys, expected(issuer), later)
    assert validate_id_token(token, keys, expected(issuer), NOW + 600 + 59)["sub"]
