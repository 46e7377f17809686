"""Validation of a citizen's certificate for a PKI login (RFC 5280 §6).

Path building and signature, validity, basicConstraints, keyUsage, name-constraint and
EKU processing of the chain are cryptography's `x509.verification` (client verifier, Web
PKI profile, subjectAltName optional). Around it, in this order, cheap checks first:
1. the certificate can be read;
2. it is valid at `now` (notBefore <= now <= notAfter), and its key is one the CA would
   accept in a request;
3. its purpose: not a CA, keyUsage with the required bits, extendedKeyUsage with the
   required purpose (clientAuth);
4. its certificate policy is the one the login method expects (a SIM certificate never
   passes as a card certificate, nor the reverse);
5. a path to a trust anchor within `max_depth` intermediates, whose intermediate CAs carry
   key identifiers and no non-critical policyConstraints; the CA part of a path verified
   before is reused and only the leaf verified against its issuing CA (links.py);
6. every CA on the path below the anchor asserts that policy (or anyPolicy);
7. revocation of every certificate below the anchor (revocation.py).
Each failure raises its own ValidationError subclass."""

import warnings
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import CertificatePoliciesOID
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import Criticality
from cryptography.x509.verification import ExtensionPolicy
from cryptography.x509.verification import PolicyBuilder
from cryptography.x509.verification import Store
from cryptography.x509.verification import VerificationError

from .csr import check_key
from .errors import CertificateExpiredError
from .errors import CertificateNotYetValidError
from .errors import ChainTooLongError
from .errors import MalformedCertificateError
from .errors import UntrustedCertificateError
from .errors import WeakCertificateKeyError
from .errors import WeakKeyError
from .errors import WrongPolicyError
from .errors import WrongPurposeError
from .links import VerifiedLinks
from .profiles import CLIENT_AUTH

MAX_CERTIFICATE = 64 * 1024
CA_POLICY = ExtensionPolicy.webpki_defaults_ca()
END_ENTITY_POLICY = ExtensionPolicy.webpki_defaults_ee().may_be_present(
    x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)


@dataclass(frozen=True)
class ValidatedCertificate:
    certificate: x509.Certificate
    chain: tuple  # leaf first, trust anchor last
    national_id: str | None
    given_name: str | None
    family_name: str | None
    revocation: tuple  # revocation.Status per certificate below the anchor


def load_certificate(data, strict=True):
    """A certificate from PEM, DER or a cryptography object. strict: refuse what RFC 5280
    forbids even where cryptography only warns (a serial number that is not positive);
    trust anchors are loaded leniently, their serial number plays no part in validation."""
    if isinstance(data, x509.Certificate):
        return data
    if isinstance(data, str):
        data = data.encode()
    if not isinstance(data, bytes) or not data or len(data) > MAX_CERTIFICATE:
        raise MalformedCertificateError("empty or oversized certificate")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error" if strict else "ignore", CryptographyDeprecationWarning)
            if data.lstrip().startswith(b"-----BEGIN"):
                certificate = x509.load_pem_x509_certificate(data)
            else:
                certificate = x509.load_der_x509_certificate(data)
            certificate.extensions  # noqa: B018  (parsed now: a bad extension, a bad certificate)
    except (ValueError, TypeError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType,
            CryptographyDeprecationWarning) as error:
        # cryptography raises TypeError for some malformed extensions (name constraints)
        raise MalformedCertificateError(f"unreadable certificate: {error}") from None
    return certificate


def build_path(leaf, intermediates, anchors, now, max_depth, server_name=None):
    """The chain (leaf first) cryptography builds and verifies. For a client (the
    default) subjectAltName may be absent; with server_name the Web PKI server profile
    applies unchanged (used by the conformance tests)."""
    return verify_path(leaf, intermediates, Store(list(anchors)), now, max_depth, server_name)


def verify_path(leaf, intermediates, store, now, max_depth, server_name=None):
    """build_path with the anchors' cryptography Store."""
    builder = PolicyBuilder().store(store).time(now).max_chain_depth(max_depth)
    if server_name is not None:
        return builder.build_server_verifier(server_name).verify(leaf, list(intermediates))
    builder = builder.extension_policies(ca_policy=CA_POLICY, ee_policy=END_ENTITY_POLICY)
    return builder.build_client_verifier().verify(leaf, list(intermediates)).chain


def verify_leaf(leaf, store, now):
    """The leaf verified with the store's certificate, its issuing CA, as the only anchor."""
    return verify_path(leaf, (), store, now, 0)


class Validator:
    def __init__(self, anchors, policy=None, intermediates=(), max_depth=2, revocation=None,
                 key_usage=("digital_signature",), extended_key_usage=CLIENT_AUTH):
        if not anchors:
            raise ValueError("a validator needs at least one trust anchor")
        self.anchors = [load_certificate(a, strict=False) for a in anchors]
        self.intermediates = [load_certificate(c) for c in intermediates]
        self.policy, self.max_depth, self.revocation = policy, max_depth, revocation
        self.key_usage, self.extended_key_usage = tuple(key_usage or ()), extended_key_usage
        self.store = Store(self.anchors)
        self.links = VerifiedLinks(verify_leaf)

    def validate(self, certificate, now, intermediates=(), bypass_cache=False):
        leaf = load_certificate(certificate)
        check_validity(leaf, now, "the certificate")
        check_leaf_key(leaf)
        self.check_purpose(leaf)
        if self.policy is not None and self.policy not in _policies(leaf):
            raise WrongPolicyError(f"certificate policies {_policies(leaf)} lack {self.policy}")
        offered = load_intermediates(intermediates)
        chain = None if offered else self.links.path(leaf, now)
        if chain is None:
            chain = self.path(leaf, [*self.intermediates, *offered], now)
            if not offered:
                self.links.remember(chain)
        if self.policy is not None:
            for ca in chain[1:-1]:
                policies = _policies(ca)
                if self.policy not in policies and CertificatePoliciesOID.ANY_POLICY not in (
                        policies):
                    raise WrongPolicyError(f"{ca.subject.rfc4514_string()} does not assert "
                                           f"policy {self.policy}")
        statuses = ()
        if self.revocation is not None:
            statuses = tuple(self.revocation.check(cert, issuer, now, bypass_cache)
                             for cert, issuer in zip(chain, chain[1:], strict=False))
        subject = leaf.subject
        return ValidatedCertificate(leaf, tuple(chain), _attribute(subject, NameOID.SERIAL_NUMBER),
                                    _attribute(subject, NameOID.GIVEN_NAME),
                                    _attribute(subject, NameOID.SURNAME), statuses)

    def check_purpose(self, leaf):
        extensions = leaf.extensions
        try:
            if extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                raise WrongPurposeError("the certificate is a CA certificate")
        except x509.ExtensionNotFound:
            pass
        if self.key_usage:
            try:
                usage = extensions.get_extension_for_class(x509.KeyUsage).value
            except x509.ExtensionNotFound:
                raise WrongPurposeError("the certificate has no keyUsage") from None
            missing = [bit for bit in self.key_usage if not getattr(usage, bit)]
            if missing:
                raise WrongPurposeError(f"keyUsage lacks {', '.join(missing)}")
        if self.extended_key_usage is not None:
            try:
                purposes = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except x509.ExtensionNotFound:
                raise WrongPurposeError("the certificate has no extendedKeyUsage") from None
            if self.extended_key_usage not in purposes:
                raise WrongPurposeError(f"extendedKeyUsage lacks {self.extended_key_usage}")
            if ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in purposes:
                raise WrongPurposeError("extendedKeyUsage must not allow any purpose")

    def path(self, leaf, pool, now, server_name=None):
        try:
            chain = verify_path(leaf, pool, self.store, now, self.max_depth, server_name)
        except VerificationError as error:
            detail = str(error)
        else:
            check_ca_extensions(chain)
            return chain
        for issuer in pool:  # an issuing CA out of its validity is the precise reason
            if issuer.subject == leaf.issuer:
                check_validity(issuer, now, f"the issuing CA {issuer.subject.rfc4514_string()}")
        try:
            build_path(leaf, pool, self.anchors, now, min(self.max_depth + 8, 255), server_name)
        except VerificationError:
            raise UntrustedCertificateError(detail) from None
        raise ChainTooLongError(f"more than {self.max_depth} intermediates")


def load_intermediates(items):
    """Certificates offered to build the path through; unreadable ones are left out (they
    could not be part of a valid path anyway)."""
    readable = []
    for item in items:
        try:
            readable.append(load_certificate(item))
        except MalformedCertificateError:
            continue
    return readable


def check_leaf_key(leaf):
    """The same keys the CA accepts in requests: ECDSA P-256/P-384, RSA 2048-4096."""
    try:
        check_key(leaf.public_key())
    except (WeakKeyError, UnsupportedAlgorithm) as error:
        raise WeakCertificateKeyError(str(error)) from None


def check_ca_extensions(chain):
    """What RFC 5280 requires of intermediate CAs and cryptography does not check: key
    identifiers (§4.2.1.1, §4.2.1.2) and a critical policyConstraints (§4.2.1.11)."""
    for ca in chain[1:-1]:
        name = ca.subject.rfc4514_string()
        for cls in (x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier):
            try:
                ca.extensions.get_extension_for_class(cls)
            except x509.ExtensionNotFound:
                raise UntrustedCertificateError(f"{name} lacks {cls.__name__}") from None
        try:
            constraints = ca.extensions.get_extension_for_class(x509.PolicyConstraints)
        except x509.ExtensionNotFound:
            continue
        if not constraints.critical:
            raise UntrustedCertificateError(f"{name} has a non-critical policyConstraints")


def check_validity(certificate, now, what):
    """notBefore <= now <= notAfter, in the whole seconds X.509 times have (RFC 5280
    §4.1.2.5)."""
    now = now.replace(microsecond=0)
    if now < certificate.not_valid_before_utc:
        raise CertificateNotYetValidError(
            f"{what} is valid from {certificate.not_valid_before_utc.isoformat()}")
    if now > certificate.not_valid_after_utc:
        raise CertificateExpiredError(
            f"{what} expired at {certificate.not_valid_after_utc.isoformat()}")


def _policies(certificate):
    try:
        value = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return []
    return [p.policy_identifier for p in value]


def _attribute(name, oid):
    values = name.get_attributes_for_oid(oid)
    return values[0].value if values else None
