"""Simulated PKI SIMs: one SoftHSM2 token per MSISDN (PKCS#11 v2.40). Development only.

The token's label is the MSISDN and its user PIN the SIM PIN. The Mobile ID key is a
P-256 key generated on the token (CKA_ID 01, never extractable); the certificate issued
for it has the same CKA_ID and the issuing CA certificates follow (CKA_ID 02, 03 ...).
The SIMs live in a SoftHSM2 configuration of their own (``<directory>/softhsm2.conf``),
never in the provider's token directory.

This is the only module of ``connectors`` that imports ``pkcs11``. python-pkcs11
initialises the library without locking, so every PKCS#11 call goes through one
process-wide lock. SoftHSM2 reads ``SOFTHSM2_CONF`` when the library is loaded: a
process uses one SIM directory, and nothing else of SoftHSM2.
"""

import hashlib
import os
import re
import secrets
import subprocess
import threading
from pathlib import Path

import pkcs11
from asn1crypto import csr as asn1_csr
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat
from pkcs11 import Attribute
from pkcs11 import CertificateType
from pkcs11 import KeyType
from pkcs11 import Mechanism
from pkcs11 import ObjectClass
from pkcs11.exceptions import NoSuchKey
from pkcs11.exceptions import NoSuchToken
from pkcs11.exceptions import PinIncorrect
from pkcs11.exceptions import PinInvalid
from pkcs11.exceptions import PinLenRange
from pkcs11.exceptions import PKCS11Error
from pkcs11.util.ec import encode_ec_public_key
from pkcs11.util.ec import encode_named_curve_parameters

KEY_ID = b"\x01"
KEY_LABEL = "mobile-id"
MODULES = ("/usr/lib/softhsm/libsofthsm2.so",
           "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
LABEL_LINE = re.compile(r"^\s*Label:\s+(\S.*?)\s*$", re.MULTILINE)
LOCK = threading.RLock()


class SimTokenError(Exception):
    """The SIM token is missing or refused an operation."""


class WrongPinError(SimTokenError):
    """The PIN does not open the SIM."""


class NoSimKeyError(SimTokenError):
    """The SIM has no Mobile ID key."""


def find_module() -> str:
    for module in MODULES:
        if os.path.exists(module):
            return module
    raise SimTokenError("libsofthsm2.so not found; run scripts/bootstrap.sh")


class SimTokens:
    """The SIM tokens in one directory."""

    def __init__(self, directory: Path, module: str | None = None):
        self.directory = Path(directory).resolve()
        self.module = module or find_module()
        self.conf = self.directory / "softhsm2.conf"
        self._lib = None

    # Token creation (softhsm2-util)

    def _environment(self) -> dict:
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf)}

    def _prepare_directory(self) -> None:
        tokens = self.directory / "tokens"
        tokens.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        if not self.conf.exists():
            self.conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                                 "log.level = ERROR\n")

    def labels(self) -> set[str]:
        self._prepare_directory()
        shown = subprocess.run(["softhsm2-util", "--show-slots"], env=self._environment(),
                               capture_output=True, text=True, check=False)
        return set(LABEL_LINE.findall(shown.stdout))

    def create(self, msisdn: str, pin: str) -> bool:
        """Make the token of ``msisdn`` unless it exists; True if made."""
        with LOCK:
            if msisdn in self.labels():
                return False
            subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", msisdn,
                            "--so-pin", secrets.token_hex(8), "--pin", pin],
                           env=self._environment(), stdin=subprocess.DEVNULL,
                           capture_output=True, check=True)
            if self._lib is not None:
                self._lib.reinitialize()  # SoftHSM2 lists tokens at C_Initialize
            return True

    # PKCS#11

    def _token(self, msisdn: str):
        if self._lib is None:
            os.environ["SOFTHSM2_CONF"] = str(self.conf)
            self._lib = pkcs11.lib(self.module)
        try:
            return self._lib.get_token(token_label=msisdn)
        except NoSuchToken:
            raise SimTokenError(f"no SIM token {msisdn}") from None

    def _open(self, msisdn: str, pin: str | None, rw: bool = False):
        try:
            return self._token(msisdn).open(user_pin=pin, rw=rw)
        except (PinIncorrect, PinInvalid, PinLenRange):
            raise WrongPinError(f"wrong PIN for {msisdn}") from None
        except PKCS11Error as error:
            raise SimTokenError(f"cannot open {msisdn}: {type(error).__name__}") from None

    def has_key(self, msisdn: str) -> bool:
        with LOCK, self._open(msisdn, None) as session:
            return bool(list(session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY,
                                                  Attribute.ID: KEY_ID})))

    def generate_key(self, msisdn: str, pin: str) -> bool:
        """Make the P-256 Mobile ID key on the SIM unless it has one; True if made."""
        with LOCK:
            if self.has_key(msisdn):
                return False
            with self._open(msisdn, pin, rw=True) as session:
                params = session.create_domain_parameters(
                    KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                    local=True)
                params.generate_keypair(store=True, label=KEY_LABEL, id=KEY_ID,
                                        private_template={Attribute.SENSITIVE: True,
                                                          Attribute.EXTRACTABLE: False})
            return True

    def public_key_der(self, msisdn: str) -> bytes:
        """The Mobile ID key as a DER SubjectPublicKeyInfo."""
        with LOCK, self._open(msisdn, None) as session:
            keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY,
                                             Attribute.ID: KEY_ID}))
            if not keys:
                raise NoSimKeyError(f"{msisdn} has no Mobile ID key")
            return encode_ec_public_key(keys[0])

    def certificate_request(self, msisdn: str, pin: str) -> bytes:
        """A PKCS#10 request (RFC 2986) for the SIM key, signed on the SIM; PEM."""
        info = asn1_csr.CertificationRequestInfo({
            "version": "v1",
            "subject": asn1_x509.Name.build({"common_name": msisdn}),
            "subject_pk_info": asn1_keys.PublicKeyInfo.load(self.public_key_der(msisdn)),
            "attributes": [],
        })
        request = asn1_csr.CertificationRequest({
            "certification_request_info": info,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": self.sign(msisdn, pin, info.dump()),
        })
        return x509.load_der_x509_csr(request.dump()).public_bytes(Encoding.PEM)

    def install(self, msisdn: str, pin: str, chain: list[x509.Certificate]) -> None:
        """Store the certificate (first) and its issuing CAs, replacing earlier ones."""
        spki = chain[0].public_key().public_bytes(Encoding.DER,
                                                  PublicFormat.SubjectPublicKeyInfo)
        with LOCK:
            if spki != self.public_key_der(msisdn):
                raise SimTokenError(f"the certificate is not for the key of {msisdn}")
            with self._open(msisdn, pin, rw=True) as session:
                for old in list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})):
                    old.destroy()
                for index, certificate in enumerate(chain):
                    session.create_object({
                        Attribute.CLASS: ObjectClass.CERTIFICATE,
                        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                        Attribute.TOKEN: True, Attribute.PRIVATE: False,
                        Attribute.LABEL: KEY_LABEL if index == 0 else "issuer",
                        Attribute.ID: bytes([index + 1]),
                        Attribute.SUBJECT: certificate.subject.public_bytes(),
                        Attribute.VALUE: certificate.public_bytes(Encoding.DER)})

    def chain(self, msisdn: str) -> list[x509.Certificate]:
        """The SIM's certificate and issuing CAs (no PIN needed); empty if none."""
        with LOCK, self._open(msisdn, None) as session:
            found = sorted((c[Attribute.ID], c[Attribute.VALUE]) for c in session.get_objects(
                {Attribute.CLASS: ObjectClass.CERTIFICATE}))
        if not found or found[0][0] != KEY_ID:
            return []
        return [x509.load_der_x509_certificate(value) for _, value in found]

    def sign(self, msisdn: str, pin: str, data: bytes) -> bytes:
        """Sign SHA-256(data) with the SIM key after logging in with ``pin``: ECDSA as a DER
        ECDSA-Sig-Value, RSA as PKCS#1 v1.5. WrongPinError if the PIN is wrong."""
        with LOCK, self._open(msisdn, pin) as session:
            try:
                key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=KEY_ID)
            except NoSuchKey:
                raise NoSimKeyError(f"{msisdn} has no Mobile ID key") from None
            try:
                if key.key_type == KeyType.EC:
                    raw = key.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA)
                    half = len(raw) // 2
                    return encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                                int.from_bytes(raw[half:], "big"))
                return key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS)
            except PKCS11Error as error:
                raise SimTokenError(f"signing failed: {type(error).__name__}") from None
