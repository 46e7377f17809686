"""CA chains already verified (RFC 5280 §6.1), so that a login verifies only its own
certificate against its issuing CA.

A full path verification proves the CA part of the chain it returns, from the issuing CA up
to the trust anchor: the signatures between CAs, their extensions, path lengths, key
identifiers. None of that depends on the certificate below or on the time, except the CAs'
validity periods. Such a part is remembered by the exact DER of each of its certificates
(which fixes every issuer key and validity period). For a later certificate of the same
issuing CA, cryptography's verifier then takes that CA as its only anchor and checks the leaf
alone (extensions, signature algorithm and key, the signature), and every CA of the part
must be valid at the validation time (in whole seconds, as the full verification counts).

Not remembered: parts with name constraints (they constrain the leaf's names from above its
issuing CA) and parts through certificates a caller offered for one validation only. The
shortcut only ever accepts: anything it does not accept goes to the full verification, whose
outcome and exception stand."""

import threading

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import Store
from cryptography.x509.verification import VerificationError

MAX_PARTS = 64  # issuing CAs remembered per validator


class VerifiedLinks:
    def __init__(self, verify_leaf):
        """verify_leaf(leaf, store, now): cryptography's verification of the leaf with the
        store's certificate as the only anchor and no intermediate; raises
        VerificationError."""
        self.verify_leaf = verify_leaf
        self._parts = {}  # DER of the issuing CA -> (Store of it, CAs issuing CA first)
        self._lock = threading.Lock()

    def remember(self, chain):
        """Keep the CA part of a chain (leaf first, anchor last) a full verification
        returned, when it has a link between two CAs to save."""
        cas = tuple(chain[1:])
        if len(cas) < 2 or any(_constrains_names(ca) for ca in cas):
            return
        key = cas[0].public_bytes(Encoding.DER)
        with self._lock:
            if key in self._parts or len(self._parts) < MAX_PARTS:
                self._parts[key] = (Store([cas[0]]), cas)  # the latest path through it

    def path(self, leaf, now):
        """The chain (leaf first) through a remembered part, or None."""
        for store, cas in tuple(self._parts.values()):
            if cas[0].subject != leaf.issuer or not _all_valid(cas, now):
                continue
            try:
                self.verify_leaf(leaf, store, now)
            except VerificationError:
                continue
            return (leaf, *cas)
        return None

    def __len__(self):
        return len(self._parts)


def _all_valid(cas, now):
    now = now.replace(microsecond=0)  # whole seconds, as cryptography's verifier counts
    return all(ca.not_valid_before_utc <= now <= ca.not_valid_after_utc for ca in cas)


def _constrains_names(ca):
    try:
        ca.extensions.get_extension_for_class(x509.NameConstraints)
    except x509.ExtensionNotFound:
        return False
    return True
