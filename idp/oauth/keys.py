"""Signing keys and the JWKS (RFC 7517; JWS algorithms per RFC 7518 and RFC 8037).

Rotation publishes the next key before it is used, switches to it, and keeps retired keys in
the JWKS until every token they signed has expired or lost its use as an `id_token_hint`.
Every worker reads the key table, so a rotation done by `idp keys rotate` reaches all of
them within IDP_KEY_CACHE_SECONDS."""

import base64
import json
import logging
import secrets
import threading
import time
from datetime import timedelta

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from .. import audit
from ..extensions import db
from ..models import SigningKey
from ..models.keys import ACTIVE
from ..models.keys import NEXT
from ..models.keys import RETIRED
from ..models.keys import all_keys
from ..models.types import utcnow
from .filekeys import FileKeys

log = logging.getLogger(__name__)
ALGORITHMS = ("ES256", "RS256", "EdDSA")
KEY_TYPES = {"ES256": "EC", "RS256": "RSA", "EdDSA": "OKP"}


class InvalidJwtError(Exception):
    pass


class _EdDSA(type(JWSRegistry.algorithms["EdDSA"])):
    # RFC 9864 deprecates the name "EdDSA" in favour of "Ed25519", which relying parties do
    # not widely accept yet; Bawaba issues it on purpose, so reading it back is not a warning.
    security_warning = None


class _Registry(JWSRegistry):
    algorithms = {**JWSRegistry.algorithms, "EdDSA": _EdDSA()}


VERIFY_REGISTRY = _Registry(algorithms=ALGORITHMS)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class KeyRing:
    """Per-process view of the signing keys; the database is the source of truth."""

    def __init__(self, app):
        self.config = app.config
        self._backends = {}
        self._loaded_at = 0.0
        self._active = {}
        self._published = []
        self._key_set = KeySet([])
        self._lock = threading.Lock()

    @property
    def kind(self):
        """The configured backend: where new keys are made and the signing keys live."""
        return self.config["IDP_KEY_BACKEND"]

    @property
    def backend(self):
        return self.backend_for(self.kind)

    def backend_for(self, kind):
        if kind not in self._backends:
            if kind == "file":
                self._backends[kind] = FileKeys(self.config["IDP_KEY_DIR"])
            elif kind == "pkcs11":
                from ..pki.hsm import Token

                self._backends[kind] = Token(
                    self.config["PKCS11_MODULE"],
                    self.config["PKCS11_TOKEN_LABEL"],
                    self.config["PKCS11_TOKEN_PIN"],
                    self.config.get("SOFTHSM2_CONF"),
                )
            else:
                raise ValueError(f"unknown key backend {kind!r}")
        return self._backends[kind]

    def _refresh(self, force=False):
        if not force and time.monotonic() - self._loaded_at < self.config["IDP_KEY_CACHE_SECONDS"]:
            return
        now = utcnow()
        rows = all_keys()
        with self._lock:
            self._active = {
                r.alg: (r.kid, r.alg) for r in rows if r.state == ACTIVE and r.backend == self.kind
            }
            self._published = [
                r.public_jwk
                for r in rows
                if r.state in (NEXT, ACTIVE) or (r.publish_until and r.publish_until > now)
            ]
            # Parsed once per refresh, not per verification.
            self._key_set = KeySet.import_key_set({"keys": self._published})
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
            decoded = jwt.decode(token, self._key_set, registry=VERIFY_REGISTRY)
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
        key, and publish a fresh next key. Keys of a backend no longer configured are
        retired too, so switching IDP_KEY_BACKEND takes one rotation."""
        now = now or utcnow()
        retention = timedelta(seconds=max_signed_lifetime(self.config))
        rows = all_keys()
        for alg in algorithms:
            of_alg = [r for r in rows if r.alg == alg]
            upcoming = next((r for r in of_alg if r.state == NEXT and r.backend == self.kind),
                            None)
            for row in of_alg:
                if row.state == ACTIVE:
                    row.state, row.retired_at = RETIRED, now
                    row.publish_until = now + retention
                elif row.state == NEXT and row is not upcoming:  # never signed anything
                    row.state, row.retired_at, row.publish_until = RETIRED, now, now
            if upcoming is None:
                upcoming = self.generate(alg, ACTIVE)
            upcoming.state, upcoming.activated_at = ACTIVE, now
            self.generate(alg, NEXT)
            audit.record("key_rotated", alg=alg, active=upcoming.kid, backend=self.kind)
        db.session.commit()
        self.invalidate()

    def ensure(self, algorithms=ALGORITHMS):
        """Create keys for algorithms without an active key in the configured backend
        (first start, or a changed IDP_KEY_BACKEND)."""
        rows = all_keys()
        missing = [
            a for a in algorithms
            if not any(r.alg == a and r.state == ACTIVE and r.backend == self.kind for r in rows)
        ]
        if missing:
            self.rotate(missing)
        return missing

    def prune(self, now=None):
        """Destroy retired keys whose publication window is over. A key whose backend
        cannot be reached stays listed (and is logged) until it can be destroyed."""
        from ..pki.hsm import TokenError

        now = now or utcnow()
        gone = []
        for row in all_keys():
            if row.state != RETIRED or not row.publish_until or row.publish_until > now:
                continue
            try:
                self.backend_for(row.backend).destroy(row.kid)
            except (TokenError, OSError, ValueError) as error:
                log.warning("cannot destroy retired key %s in %s: %s", row.kid, row.backend,
                            error)
                continue
            db.session.delete(row)
            gone.append(row)
            audit.record("key_destroyed", alg=row.alg, kid=row.kid, backend=row.backend)
        db.session.commit()
        self.invalidate()
        return gone


def max_signed_lifetime(config):
    """How long after signing a token may still be checked against its key: until access
    and ID tokens expire, and for as long as a session lives, since an ID token is an
    `id_token_hint` at logout or re-authorization even after it expired."""
    return max(config["IDP_ID_TOKEN_TTL"], config["IDP_ACCESS_TOKEN_TTL"],
               config["IDP_SESSION_ABSOLUTE_TTL"]) + 300


def key_ring():
    return current_app.extensions["idp.keys"]
