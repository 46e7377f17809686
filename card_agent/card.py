"""The card through its PKCS#11 module (PKCS#11 v2.40), and the agent's only importer of
`pkcs11`: OpenSC's module for real cards, SoftHSM2 for development cards, any module
configured.

python-pkcs11 initialises the module without locking (C_Initialize(NULL)), so every call
goes through one lock. The authentication certificate is read without the PIN; the PIN
is used for one session that signs once and is closed (logging out)."""

import threading
from dataclasses import dataclass

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from pkcs11 import MGF
from pkcs11 import Attribute
from pkcs11 import Mechanism
from pkcs11 import ObjectClass
from pkcs11 import TokenFlag
from pkcs11.exceptions import PKCS11Error

from .errors import CardError
from .errors import CardFailure
from .errors import PinBlockedError
from .errors import WrongPinError

# The card's answer changed under us: removed, reset, or the session is gone.
FAILURES = (pkcs11.exceptions.DeviceRemoved, pkcs11.exceptions.DeviceError,
            pkcs11.exceptions.TokenNotPresent, pkcs11.exceptions.TokenNotRecognised,
            pkcs11.exceptions.SessionHandleInvalid, pkcs11.exceptions.SessionClosed,
            pkcs11.exceptions.GeneralError, pkcs11.exceptions.FunctionFailed,
            pkcs11.exceptions.SlotIDInvalid)
PIV_MANUFACTURER = "piv_II"  # OpenSC's PIV driver
PSS = {"PS256": (Mechanism.SHA256_RSA_PKCS_PSS, (Mechanism.SHA256, MGF.SHA256, 32))}


@dataclass(frozen=True)
class Slot:
    """A reader as the module sees it (OpenSC: one slot per PC/SC reader, named after it)."""

    slot_id: int
    description: str
    card_present: bool


@dataclass(frozen=True)
class Card:
    """A card found in a slot, with its authentication certificate."""

    slot_id: int
    reader: str
    label: str
    serial: str
    manufacturer: str
    key_id: bytes
    certificate: x509.Certificate
    pin_final_try: bool
    pin_locked: bool

    @property
    def is_piv(self):
        return self.manufacturer == PIV_MANUFACTURER


class CardModule:
    def __init__(self, path, token_label=None):
        self.path, self.token_label = path, token_label
        self._lock = threading.Lock()
        self._lib = None

    def serialised(self):
        """Hold this while talking to a card behind the module's back (PC/SC), so the
        agent's own PKCS#11 calls do not interleave."""
        return self._lock

    def _library(self):
        if self._lib is None:
            try:
                self._lib = pkcs11.lib(self.path)
            except (PKCS11Error, RuntimeError, OSError) as error:
                raise CardError(f"cannot load PKCS#11 module {self.path}: {error}") from None
        return self._lib

    def slots(self):
        """Every slot; one holds a card when its token is initialised (and has the
        configured label, if any)."""
        with self._lock:
            try:
                found = []
                for slot in self._library().get_slots():
                    present = bool(slot.flags & pkcs11.SlotFlag.TOKEN_PRESENT)
                    if present:
                        try:
                            present = _usable(slot.get_token(), self.token_label)
                        except FAILURES:
                            present = False
                    found.append(Slot(slot.slot_id, slot.slot_description.strip(), present))
                return found
            except FAILURES as error:
                raise CardFailure(f"listing slots failed: {type(error).__name__}") from None

    def find_card(self, readers=None):
        """The first present card (in a reader of `readers`, when given) that holds an
        authentication certificate, or None."""
        with self._lock:
            try:
                for slot in self._library().get_slots(token_present=True):
                    description = slot.slot_description.strip()
                    if readers is not None and description not in readers:
                        continue
                    try:
                        card = self._read_card(slot, description)
                    except FAILURES:
                        continue  # pulled out while being read
                    if card is not None:
                        return card
                return None
            except PKCS11Error as error:
                raise CardFailure(f"reading cards failed: {type(error).__name__}") from None

    def _read_card(self, slot, description):
        token = slot.get_token()
        if not _usable(token, self.token_label):
            return None
        with token.open() as session:
            candidates = []
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
                try:
                    certificate = x509.load_der_x509_certificate(obj[Attribute.VALUE])
                except ValueError:
                    continue
                rank = _authentication_rank(certificate)
                if rank:
                    candidates.append((rank, obj[Attribute.ID], certificate))
        if not candidates:
            return None
        candidates.sort(key=lambda c: c[0], reverse=True)
        _, key_id, certificate = candidates[0]
        flags = token.flags
        return Card(slot.slot_id, description, token.label, token.serial.decode(errors="replace"),
                    token.manufacturer_id.strip(), key_id, certificate,
                    bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
                    bool(flags & TokenFlag.USER_PIN_LOCKED))

    def pin_state(self, card):
        """(final try, locked) as the module reports them now; (False, False) when the
        card is gone."""
        with self._lock:
            try:
                flags = self._token(card).flags
            except PKCS11Error:
                return False, False
        return bool(flags & TokenFlag.USER_PIN_FINAL_TRY), bool(flags & TokenFlag.USER_PIN_LOCKED)

    def sign(self, card, pin, value, algorithm):
        """The JWS signature (RFC 7518 §3) of value by the card's authentication key,
        after logging in with pin. ECDSA comes back as raw r ‖ s."""
        from .webeid import hash_function

        with self._lock:
            try:
                token = self._token(card)
                session = token.open(user_pin=pin)
            except pkcs11.exceptions.PinIncorrect:
                raise WrongPinError() from None
            except (pkcs11.exceptions.PinLenRange, pkcs11.exceptions.PinInvalid):
                raise WrongPinError(detail="the PIN has the wrong length or characters") from None
            except pkcs11.exceptions.PinLocked:
                raise PinBlockedError() from None
            except PKCS11Error as error:
                raise CardFailure(f"login failed: {type(error).__name__}") from None
            try:
                key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=card.key_id)
                again = pin if _always_authenticate(key) else None
                if isinstance(card.certificate.public_key(), ec.EllipticCurvePublicKey):
                    digest = hash_function(algorithm)(value).digest()
                    return key.sign(digest, mechanism=Mechanism.ECDSA, pin=again)
                if algorithm in PSS:
                    mechanism, parameters = PSS[algorithm]
                    return key.sign(value, mechanism=mechanism, mechanism_param=parameters,
                                    pin=again)
                return key.sign(value, mechanism=Mechanism.SHA256_RSA_PKCS, pin=again)
            except pkcs11.exceptions.NoSuchKey:
                raise CardError("the card has no private key for its certificate") from None
            except pkcs11.exceptions.PinLocked:
                raise PinBlockedError() from None
            except PKCS11Error as error:
                raise CardFailure(f"signing failed: {type(error).__name__}") from None
            finally:
                try:
                    session.close()
                except PKCS11Error:
                    pass  # the card is gone; the module forgets the session with it

    def _token(self, card):
        for slot in self._library().get_slots(token_present=True):
            if slot.slot_id == card.slot_id:
                token = slot.get_token()
                if token.serial.decode(errors="replace") == card.serial:
                    return token
        raise pkcs11.exceptions.TokenNotPresent()


def _usable(token, label):
    return (bool(token.flags & TokenFlag.TOKEN_INITIALIZED)
            and (label is None or token.label == label))


def _always_authenticate(key):
    try:
        return bool(key[Attribute.ALWAYS_AUTHENTICATE])
    except PKCS11Error:
        return False


def _authentication_rank(certificate):
    """How well a certificate fits authentication: 0 = not at all (a CA, or a signing
    certificate with nonRepudiation), 2 = TLS client authentication, 1 = digitalSignature."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.digital_signature or usage.content_commitment or usage.key_cert_sign:
            return 0
    except x509.ExtensionNotFound:
        pass
    try:
        purposes = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        return 2 if ExtendedKeyUsageOID.CLIENT_AUTH in purposes else 0
    except x509.ExtensionNotFound:
        return 1
