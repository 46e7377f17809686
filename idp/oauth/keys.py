"""Signing keys and the JWKS (RFC 7517; JWS algorithms per RFC 7518 and RFC 8037).

Rotation publishes the next key before it is used, switches to it, and keeps retired keys in
the JWKS until every token they signed has expired. Every worker reads the key table, so a
rotation done by `idp keys rotate` reaches all of them within IDP_KEY_CACHE_SECONDS."""

import base64
import json
import secrets
import threading
import time
from datetime import timedelta

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry
from joserfc.jwk import KeySet

from ..extensions import db
from ..models import SigningKey
from ..models.keys import ACTIVE
from ..models.keys import NEXT
from ..models.keys import RETIRED
from ..models.keys import all_keys
from ..models.types import utcnow
from .filekeys import FileKeys

ALGORITHMS = ("ES256", "RS256", "EdDSA")
KEY_TYPES = {"ES256": "EC", "RS256": "RSA", "EdDSA": "OKP"}


class InvalidJwtError(Exception):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class KeyRing:
    """Per-process view of the signing keys; the database is the source of truth."""

    def __init__(self, app):
        self.config = app.config
        self._backend = None
        self._loaded_at = 0.0
        self._active = {}
        self._published = []
        self._lock = threading.Lock()

    @property
    def backend(self):
        if self._backend is None:
            if self.config["IDP_KEY_BACKEND"] == "file":
                self._backend = FileKeys(self.config["IDP_KEY_DIR"])
            else:
                from ..pki.hsm import Token

                self._backend = Token(
                    self.config["PKCS11_MODULE"],
                    self.config["PKCS11_TOKEN_LABEL"],
                    self.config["PKCS11_TOKEN_PIN"],
                    self.config.get("SOFTHSM2_CONF"),
                )
        return self._backend

    def _refresh(self, force=False):
        if not force and time.monotonic() - self._loaded_at < self.config["IDP_KEY_CACHE_SECONDS"]:
            return
        now = utcnow()
        rows = all_keys()
        with self._lock:
            self._active = {r.alg: (r.kid, r.alg) for r in rows if r.state == ACTIVE}
            self._published = [
                r.public_jwk
                for r in rows
                if r.state in (NEXT, ACTIVE) or (r.publish_until and r.publish_until > now)
            ]
            self._loaded_at = time.monotonic()

    def invalidate(self):
        self._loaded_at = 0.0

    def jwks(self):
        self._refresh()
        return {"keys": list(self._published)}

    def sign(self, claims, alg, typ="JWT"):
        """Compact JWS (RFC 7515 §7.1) of claims, signed by the active key for alg."""
        self._refresh()
        if alg not in self._active:
            self._refresh(force=True)
        if alg not in self._active:
            raise RuntimeError(f"no active {alg} signing key; run `idp keys rotate`")
        kid, alg = self._active[alg]
        header = {"alg": alg, "kid": kid, "typ": typ}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = self.backend.sign(alg, kid, signing_input.encode())
        return signing_input + "." + b64url(signature)

    def verify(self, token, typ=None):
        """Decode a JWT this provider signed; signature, kid and typ checked, claims not."""
        self._refresh()
        try:
            key_set = KeySet.import_key_set({"keys": self._published})
            decoded = jwt.decode(token, key_set, algorithms=list(ALGORITHMS))
        except (JoseError, ValueError, TypeError) as error:
            raise InvalidJwtError(str(error)) from error
        if typ is not None and decoded.header.get("typ") != typ:
            raise InvalidJwtError("wrong typ")
        return decoded.claims

    # Administration

    def generate(self, alg, state):
        kid = secrets.token_urlsafe(12)
        public = self.backend.generate(alg, kid)
        jwk = JWKRegistry.import_key(public, KEY_TYPES[alg]).as_dict(private=False)
        jwk.update({"kid": kid, "alg": alg, "use": "sig"})
        row = SigningKey(
            kid=kid,
            alg=alg,
            state=state,
            backend=self.config["IDP_KEY_BACKEND"],
            public_jwk=jwk,
            activated_at=utcnow() if state == ACTIVE else None,
        )
        db.session.add(row)
        return row

    def rotate(self, algorithms=ALGORITHMS, now=None):
        """Promote each alg's published next key (making one if needed), retire the active
        key, and publish a fresh next key."""
        now = now or utcnow()
        retention = timedelta(seconds=max_signed_lifetime(self.config))
        rows = all_keys()
        for alg in algorithms:
            of_alg = [r for r in rows if r.alg == alg]
            for row in of_alg:
                if row.state == ACTIVE:
                    row.state, row.retired_at = RETIRED, now
                    row.publish_until = now + retention
            upcoming = next((r for r in of_alg if r.state == NEXT), None)
            if upcoming is None:
                upcoming = self.generate(alg, ACTIVE)
            upcoming.state, upcoming.activated_at = ACTIVE, now
            self.generate(alg, NEXT)
        db.session.commit()
        self.invalidate()

    def ensure(self, algorithms=ALGORITHMS):
        """Create keys for algorithms that have none active (first start)."""
        rows = all_keys()
        missing = [a for a in algorithms if not any(r.alg == a and r.state == ACTIVE for r in rows)]
        if missing:
            self.rotate(missing)
        return missing

    def prune(self, now=None):
        """Destroy retired keys whose publication window is over."""
        now = now or utcnow()
        gone = [
            r
            for r in all_keys()
            if r.state == RETIRED and r.publish_until and r.publish_until <= now
        ]
        for row in gone:
            self.backend.destroy(row.kid)
            db.session.delete(row)
        db.session.commit()
        self.invalidate()
        return gone


def max_signed_lifetime(config):
    """How long after signing a token may still be checked against its key."""
    return max(config["IDP_ID_TOKEN_TTL"], config["IDP_ACCESS_TOKEN_TTL"]) + 300


def key_ring():
    return current_app.extensions["idp.keys"]
