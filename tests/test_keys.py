"""Signing keys: private halves only in the PKCS#11 token, the JWKS, `idp keys list` and
`idp keys rotate` (publish next, switch, keep the retired key until its tokens expire)."""

import json
import os
import stat
import subprocess
import sys
import warnings
from datetime import timedelta

import pytest
import requests
from flask_migrate import upgrade
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.errors import InvalidKeyIdError
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet

from idp import create_app
from idp.extensions import db
from idp.models import SigningKey
from idp.models.types import utcnow
from idp.oauth.keys import InvalidJwtError
from idp.oauth.keys import key_ring

from .helpers import Browser
from .helpers import RelyingParty
from .helpers import sign_in

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

# Run in a separate process: closing a PKCS#11 session logs the whole process out.
TOKEN_SCRIPT = """
import json, sys
import pkcs11
from pkcs11 import Attribute

module, label, pin = sys.argv[1:4]
token = pkcs11.lib(module).get_token(token_label=label)
found = {}
with token.open(user_pin=pin) as session:
    for obj in session.get_objects():
        kid = obj[Attribute.ID].decode()
        entry = {"class": obj.object_class.name}
        if entry["class"] == "PRIVATE_KEY":
            entry["sensitive"] = obj[Attribute.SENSITIVE]
            entry["extractable"] = obj[Attribute.EXTRACTABLE]
        found.setdefault(kid, []).append(entry)
print(json.dumps(found))
"""


def token_objects(app):
    """The objects in the SoftHSM token, by CKA_ID, read with python-pkcs11."""
    cfg = app.config
    env = dict(os.environ)
    if cfg.get("SOFTHSM2_CONF"):
        env["SOFTHSM2_CONF"] = cfg["SOFTHSM2_CONF"]
    out = subprocess.run(
        [sys.executable, "-c", TOKEN_SCRIPT, cfg["PKCS11_MODULE"], cfg["PKCS11_TOKEN_LABEL"],
         cfg["PKCS11_TOKEN_PIN"]],
        env=env, check=True, capture_output=True, text=True, timeout=60,
    )
    return json.loads(out.stdout)


def keys_list(app):
    result = app.test_cli_runner().invoke(args=["keys", "list", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def of_alg(rows, alg, state):
    return [r for r in rows if r["alg"] == alg and r["state"] == state]


def jwks(issuer):
    return requests.get(issuer + "/jwks", timeout=5).json()


def decode(token, key_set):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # the name "EdDSA" (RFC 9864)
        return jwt.decode(token, KeySet.import_key_set(key_set),
                          algorithms=["ES256", "RS256", "EdDSA"])


def signed_in_tokens(issuer, client):
    rp = RelyingParty(issuer, client)
    response = rp.exchange(sign_in(Browser(issuer), rp)["code"])
    assert response.status_code == 200, response.text
    return rp, response.json()


def test_keys_list_json(app):
    rows = keys_list(app)
    for alg in ("ES256", "RS256", "EdDSA"):
        assert len(of_alg(rows, alg, "active")) == 1, alg
        assert len(of_alg(rows, alg, "next")) == 1, alg
    for row in rows:
        assert set(row) >= {"kid", "alg", "state", "backend", "created_at", "publish_until"}
        assert row["backend"] == "pkcs11"
    plain = app.test_cli_runner().invoke(args=["keys", "list"])
    assert plain.exit_code == 0
    assert of_alg(rows, "ES256", "active")[0]["kid"] in plain.output


def test_private_keys_are_in_the_token_and_nowhere_else(app, issuer):
    rows = keys_list(app)
    objects = token_objects(app)
    for row in rows:
        classes = {o["class"] for o in objects.get(row["kid"], [])}
        assert "PRIVATE_KEY" in classes, row
        private = next(o for o in objects[row["kid"]] if o["class"] == "PRIVATE_KEY")
        assert private["sensitive"] is True
        assert private["extractable"] is False
    with app.app_context():
        for key in db.session.execute(db.select(SigningKey)).scalars():
            assert not PRIVATE_MEMBERS & set(key.public_jwk), key.kid
            stored = json.dumps([str(getattr(key, c.name)) for c in SigningKey.__table__.c])
            assert "PRIVATE" not in stored
    published = jwks(issuer)["keys"]
    assert {k["kid"] for k in published} >= {r["kid"] for r in rows if r["state"] != "retired"}
    for key in published:
        assert not PRIVATE_MEMBERS & set(key), key["kid"]
        assert key["use"] == "sig"
        assert key["alg"] in ("ES256", "RS256", "EdDSA")


def test_rotate_switches_to_the_published_next_key(app, issuer, client_factory):
    before = keys_list(app)
    old = of_alg(before, "ES256", "active")[0]["kid"]
    upcoming = of_alg(before, "ES256", "next")[0]["kid"]
    assert upcoming in {k["kid"] for k in jwks(issuer)["keys"]}  # published before use

    client = client_factory()
    rp, old_tokens = signed_in_tokens(issuer, client)
    assert jwt.decode(old_tokens["id_token"], KeySet.import_key_set(jwks(issuer)),
                      algorithms=["ES256"]).header["kid"] == old

    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output

    after = keys_list(app)
    assert of_alg(after, "ES256", "active")[0]["kid"] == upcoming
    retired = next(r for r in after if r["kid"] == old)
    assert retired["state"] == "retired"
    assert retired["publish_until"] > utcnow().isoformat()
    fresh_next = of_alg(after, "ES256", "next")[0]["kid"]
    assert fresh_next not in (old, upcoming)
    published = {k["kid"] for k in jwks(issuer)["keys"]}
    assert {old, upcoming, fresh_next} <= published

    _, new_tokens = signed_in_tokens(issuer, client)
    assert decode(new_tokens["id_token"], jwks(issuer)).header["kid"] == upcoming
    assert decode(new_tokens["access_token"], jwks(issuer)).header["kid"] == upcoming

    # Tokens signed by the retired key still verify, for relying parties and the provider.
    assert decode(old_tokens["id_token"], jwks(issuer)).claims["sub"] == "citizen-1"
    assert rp.userinfo(old_tokens["access_token"]).status_code == 200
    assert rp.introspect(old_tokens["access_token"]).json()["active"] is True
    assert "PRIVATE_KEY" in {o["class"] for o in token_objects(app)[old]}

    # Once its publication window is over, the retired key is unpublished and destroyed.
    with app.app_context():
        db.session.get(SigningKey, old).publish_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert old not in {k["kid"] for k in jwks(issuer)["keys"]}
    result = app.test_cli_runner().invoke(args=["keys", "prune"])
    assert result.exit_code == 0, result.output
    assert "removed 1" in result.output
    assert old not in {r["kid"] for r in keys_list(app)}
    assert old not in token_objects(app)
    with pytest.raises(InvalidKeyIdError):
        decode(old_tokens["id_token"], jwks(issuer))
    answer = rp.userinfo(old_tokens["access_token"])
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"
    assert rp.introspect(old_tokens["access_token"]).json() == {"active": False}
    # The keys that replaced it keep working.
    assert rp.userinfo(new_tokens["access_token"]).status_code == 200


def test_rotate_prunes_expired_keys_and_can_be_limited_to_one_alg(app, issuer):
    before = keys_list(app)
    rsa_active = of_alg(before, "RS256", "active")[0]["kid"]
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--alg", "ES256"])
    assert result.exit_code == 0, result.output
    retired = of_alg(keys_list(app), "ES256", "retired")[-1]["kid"]
    assert of_alg(keys_list(app), "RS256", "active")[0]["kid"] == rsa_active
    with app.app_context():
        db.session.get(SigningKey, retired).publish_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--alg", "RS256"])
    assert result.exit_code == 0, result.output
    assert "removed" in result.output
    assert retired not in {r["kid"] for r in keys_list(app)}
    assert retired not in token_objects(app)
    assert rsa_active in {k["kid"] for k in jwks(issuer)["keys"]}  # retired, still published


def test_rotate_rejects_an_unknown_algorithm(app):
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--alg", "HS256"])
    assert result.exit_code == 2
    assert "--alg" in result.output


def test_tampered_and_foreign_tokens_are_refused(app, issuer, client_factory):
    rp, tokens = signed_in_tokens(issuer, client_factory())
    header, payload, signature = tokens["access_token"].split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    for bad in (f"{header}.{payload}.{flipped}", f"{header}.{payload}."):
        answer = rp.userinfo(bad)
        assert answer.status_code == 401
        assert answer.json()["error"] == "invalid_token"
    with pytest.raises(BadSignatureError):
        decode(f"{header}.{payload}.{flipped}", jwks(issuer))


@pytest.fixture
def file_app(tmp_path, app):
    keys_dir = tmp_path / "keys"
    other = create_app({
        "TESTING": True, "IDP_ENV": "test", "SECRET_KEY": "file-backend",
        "IDP_ISSUER": "https://file.example", "IDP_KEY_BACKEND": "file",
        "IDP_KEY_DIR": str(keys_dir), "IDP_KEY_CACHE_SECONDS": 0,
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "file.db"),
    })
    with other.app_context():
        upgrade()
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_file_backend_signs_rotates_and_destroys(file_app, tmp_path):
    keys_dir = tmp_path / "keys"
    with file_app.app_context():
        ring = key_ring()
        assert sorted(ring.ensure()) == ["ES256", "EdDSA", "RS256"]
        assert ring.ensure() == []
        files = sorted(keys_dir.iterdir())
        assert len(files) == 6  # active and next for each alg
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        public = ring.jwks()
        for key in public["keys"]:
            assert not PRIVATE_MEMBERS & set(key)
        rows = db.session.execute(db.select(SigningKey)).scalars().all()
        assert {r.backend for r in rows} == {"file"}
        for alg in ("ES256", "RS256", "EdDSA"):
            token = ring.sign({"iss": "https://file.example", "n": alg}, alg)
            decoded = decode(token, public)
            assert decoded.header["alg"] == alg
            assert decoded.claims["n"] == alg
            assert ring.verify(token)["n"] == alg

        es_old = next(r.kid for r in rows if r.alg == "ES256" and r.state == "active")
        old_token = ring.sign({"n": 1}, "ES256")
        ring.rotate(["ES256"])
        assert ring.verify(old_token) == {"n": 1}
        assert decode(ring.sign({"n": 2}, "ES256"), ring.jwks()).header["kid"] != es_old
        assert ring.prune() == []
        ring.prune(now=utcnow() + timedelta(days=1))
        assert not (keys_dir / f"{es_old}.pem").exists()
        assert db.session.get(SigningKey, es_old) is None
        with pytest.raises(InvalidJwtError):
            ring.verify(old_token)


def test_keys_of_another_backend_are_replaced_not_used(file_app, tmp_path):
    with file_app.app_context():
        ring = key_ring()
        ring.ensure()
        foreign = db.session.execute(
            db.select(SigningKey).filter_by(alg="ES256", state="active")).scalar_one()
        foreign.backend = "pkcs11"  # as if IDP_KEY_BACKEND had changed since
        db.session.commit()
        ring.invalidate()
        assert ring.ensure() == ["ES256"]
        db.session.refresh(foreign)
        assert foreign.state == "retired" and foreign.publish_until > utcnow()
        token = ring.sign({"n": 1}, "ES256")
        assert decode(token, ring.jwks()).header["kid"] != foreign.kid
        assert foreign.kid in {k["kid"] for k in ring.jwks()["keys"]}
        # Its private half is out of reach here: it stays listed rather than forgotten.
        assert ring.prune(now=utcnow() + timedelta(days=1)) == []
        assert db.session.get(SigningKey, foreign.kid) is not None


def test_rotation_is_audited(app):
    from idp.extensions import db
    from idp.models import AuditEvent

    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--alg", "ES256"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        events = db.session.execute(
            db.select(AuditEvent).filter_by(event="key_rotated")
        ).scalars().all()
        assert [e.detail["alg"] for e in events] == ["ES256"]
