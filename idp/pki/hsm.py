"""The PKCS#11 token (PKCS#11 v2.40), and the only module that imports `pkcs11`.

python-pkcs11 initialises the library without locking, so every call goes through one
process-wide lock; after a fork the library is loaded afresh in the child."""

import hashlib
import os
import threading
import time

import pkcs11
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import Attribute
from pkcs11 import KeyType
from pkcs11 import Mechanism
from pkcs11 import ObjectClass
from pkcs11.exceptions import GeneralError
from pkcs11.exceptions import NoSuchToken
from pkcs11.exceptions import PKCS11Error
from pkcs11.exceptions import TokenNotPresent
from pkcs11.util.ec import encode_ec_public_key
from pkcs11.util.ec import encode_named_curve_parameters
from pkcs11.util.rsa import encode_rsa_public_key

ED25519_OID = "1.3.101.112"
# SoftHSM2 may leave out of its slot list, or fail to describe, a token that another process
# is opening at that very moment (workers starting at once): try again a few times. A wrong
# PIN is never retried.
OPEN_ATTEMPTS = 5
TRANSIENT = (NoSuchToken, TokenNotPresent, GeneralError)
# Signing keys never leave the token, whatever the token's own defaults are.
PRIVATE_TEMPLATE = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}


class TokenError(Exception):
    """The token is missing, locked or refused an operation."""


class Token:
    def __init__(self, module, label, pin, softhsm_conf=None):
        if not module or not label or not pin:
            raise TokenError("PKCS11_MODULE, PKCS11_TOKEN_LABEL and PKCS11_TOKEN_PIN are required")
        self.module, self.label, self._pin = module, label, pin
        self.softhsm_conf = softhsm_conf
        self._lock = threading.Lock()
        self._pid = None
        self._session = None
        self._keys = {}

    def _open(self):
        if self._pid == os.getpid() and self._session is not None:
            return self._session
        if self.softhsm_conf:
            os.environ["SOFTHSM2_CONF"] = self.softhsm_conf
        try:
            lib = pkcs11.lib(self.module)
            if self._pid is not None:
                lib.reinitialize()
            self._session = self._open_session(lib)
        except (PKCS11Error, RuntimeError) as error:
            raise TokenError(f"cannot open token {self.label!r}: {type(error).__name__}") from error
        self._pid, self._keys = os.getpid(), {}
        return self._session

    def _open_session(self, lib):
        for attempt in range(1, OPEN_ATTEMPTS + 1):
            try:
                return lib.get_token(token_label=self.label).open(user_pin=self._pin, rw=True)
            except TRANSIENT:
                if attempt == OPEN_ATTEMPTS:
                    raise
            time.sleep(0.1 * attempt)
            lib.reinitialize()  # the slots are read again

    def generate(self, alg, key_id):
        """Make a key pair for a JWS alg in the token; returns the public key
        (a `cryptography` public key object)."""
        label = f"jws-{key_id}"
        ident = key_id.encode()
        with self._lock:
            session = self._open()
            try:
                if alg == "ES256":
                    params = session.create_domain_parameters(
                        KeyType.EC,
                        {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                        local=True,
                    )
                    public, _ = params.generate_keypair(store=True, label=label, id=ident,
                                                        private_template=PRIVATE_TEMPLATE)
                    return load_der_public_key(encode_ec_public_key(public))
                if alg == "RS256":
                    public, _ = session.generate_keypair(
                        KeyType.RSA, 2048, store=True, label=label, id=ident,
                        private_template=PRIVATE_TEMPLATE,
                    )
                    return load_der_public_key(encode_rsa_public_key(public))
                if alg == "EdDSA":
                    params = session.create_domain_parameters(
                        KeyType.EC_EDWARDS,
                        {Attribute.EC_PARAMS: encode_named_curve_parameters(ED25519_OID)},
                        local=True,
                    )
                    public, _ = params.generate_keypair(store=True, label=label, id=ident,
                                                        private_template=PRIVATE_TEMPLATE)
                    point = _octet_string(public[Attribute.EC_POINT])
                    return Ed25519PublicKey.from_public_bytes(point)
            except PKCS11Error as error:
                raise TokenError(f"key generation failed: {type(error).__name__}") from error
        raise TokenError(f"unsupported algorithm {alg}")

    def sign(self, alg, key_id, data):
        """A JWS signature (RFC 7518 §3) over data with the token's key."""
        with self._lock:
            session = self._open()
            try:
                key = self._keys.get(key_id)
                if key is None:
                    key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=key_id.encode())
                    self._keys[key_id] = key
                if alg == "ES256":  # raw r||s is the JWS form already
                    return key.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA)
                if alg == "RS256":
                    return key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS)
                if alg == "EdDSA":
                    return key.sign(data, mechanism=Mechanism.EDDSA)
            except PKCS11Error as error:
                self._session = None
                raise TokenError(f"signing failed: {type(error).__name__}") from error
        raise TokenError(f"unsupported algorithm {alg}")

    def generate_ec(self, curve, key_id):
        """Make an EC key pair on a named curve ("secp256r1", "secp384r1") labelled
        pki-<key_id>, for the certificate authority; returns the public key."""
        with self._lock:
            session = self._open()
            try:
                params = session.create_domain_parameters(
                    KeyType.EC,
                    {Attribute.EC_PARAMS: encode_named_curve_parameters(curve)},
                    local=True,
                )
                public, _ = params.generate_keypair(
                    store=True, label=f"pki-{key_id}", id=key_id.encode(),
                    private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False},
                )
            except PKCS11Error as error:
                raise TokenError(f"key generation failed: {type(error).__name__}") from error
            return load_der_public_key(encode_ec_public_key(public))

    def sign_ecdsa_digest(self, key_id, digest):
        """CKM_ECDSA over a digest computed on the host; returns raw r||s."""
        with self._lock:
            session = self._open()
            try:
                key = self._keys.get(key_id)
                if key is None:
                    key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=key_id.encode())
                    self._keys[key_id] = key
                return key.sign(digest, mechanism=Mechanism.ECDSA)
            except PKCS11Error as error:
                self._session = None
                raise TokenError(f"signing failed: {type(error).__name__}") from error

    def destroy(self, key_id):
        """Destroy every object (private and public key) with this CKA_ID."""
        with self._lock:
            session = self._open()
            self._keys.pop(key_id, None)
            try:
                for obj in list(session.get_objects({Attribute.ID: key_id.encode()})):
                    obj.destroy()
            except PKCS11Error as error:
                raise TokenError(f"destroying key failed: {type(error).__name__}") from error


def _octet_string(der):
    # CKA_EC_POINT is a DER OCTET STRING wrapping the point (PKCS#11 v3.0 §2.3.5).
    if len(der) == 34 and der[0] == 0x04 and der[1] == 0x20:
        return der[2:]
    return der

