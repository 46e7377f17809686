"""The certificate authority (RFC 5280): the hierarchy of a root CA, the ID card and Mobile
ID issuing CAs and their delegated OCSP responders (RFC 6960 §4.2.2.2), and issuance of
citizen certificates from requests made on a card or SIM.

Private keys are created in and never leave the PKCS#11 token. Storage is the `store`
given to the constructor (see idp.models.certificates.CertificateStore)."""

import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from .csr import load_csr
from .errors import HierarchyExistsError
from .errors import HierarchyMissingError
from .errors import UnknownCertificateError
from .profiles import CLIENT_AUTH
from .profiles import HIERARCHY
from .profiles import OCSP_SIGNING
from .profiles import authority_subject
from .profiles import citizen_subject
from .profiles import find_profile
from .signer import CaKey
from .signer import sign_certificate

NAMES = {NameOID.SERIAL_NUMBER: "serialNumber", NameOID.GIVEN_NAME: "GN",
         NameOID.SURNAME: "SN"}  # RFC 4514 short names for the stored subject


@dataclass(frozen=True)
class Urls:
    """Where relying parties fetch revocation data and issuer certificates."""

    base: str

    def crl(self, authority_name):
        return f"{self.base}/pki/crl/{authority_name}.crl"

    def ca_certificate(self, authority_name):
        return f"{self.base}/pki/ca/{authority_name}.crt"

    @property
    def ocsp(self):
        return f"{self.base}/pki/ocsp"


class CertificateAuthority:
    def __init__(self, token, store, base_url, country="XX",
                 organization="Bawaba (development)"):
        self.token, self.store = token, store
        self.urls = Urls(base_url.rstrip("/"))
        self.country, self.organization = country, organization

    # The hierarchy

    def key(self, authority):
        certificate = x509.load_der_x509_certificate(authority.certificate_der)
        return CaKey(self.token, authority.key_id, authority.curve, certificate.public_key())

    def authority(self, name):
        row = self.store.authority(name)
        if row is None:
            raise HierarchyMissingError(f"no authority {name!r}")
        return row

    def create_hierarchy(self, now):
        """Make every member of HIERARCHY: keys in the token, certificates in storage."""
        if self.store.authorities():
            raise HierarchyExistsError("the hierarchy already exists")
        made = {}
        for spec in HIERARCHY:
            key_id = f"{spec.name}-{secrets.token_hex(6)}"
            public_key = self.token.generate_ec(spec.curve, key_id)
            subject = authority_subject(spec, self.country, self.organization)
            if spec.parent is None:
                key = CaKey(self.token, key_id, spec.curve, public_key)
                certificate = self._sign(subject, subject, public_key, key, now,
                                         now + spec.validity, ROOT_EXTENSIONS)
                parent = None
            else:
                parent = made[spec.parent]
                extensions = (self._issuing_extensions(spec, parent) if spec.role == "issuing"
                              else self._responder_extensions())
                certificate = self._sign_by(parent, subject, public_key, now, spec.validity,
                                            extensions)
            row = self.store.add_authority(spec.name, spec.role, parent, key_id, spec.curve,
                                           certificate.public_bytes(Encoding.DER), now)
            self._record(row if parent is None else parent, certificate, spec.role, None, now)
            made[spec.name] = row
        return list(made.values())

    # Issuance

    def issue(self, profile_name, csr_data, citizen, now):
        """A citizen certificate from a request; returns (stored row, certificate)."""
        profile = find_profile(profile_name)
        csr = load_csr(csr_data)
        issuer = self.authority(profile.authority)
        public_key = csr.public_key()
        extensions = [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.KeyUsage(digital_signature=True, content_commitment=False,
                           key_encipherment=False, data_encipherment=False,
                           key_agreement=False, key_cert_sign=False, crl_sign=False,
                           encipher_only=False, decipher_only=False), True),
            (x509.ExtendedKeyUsage([CLIENT_AUTH]), False),
            (x509.CertificatePolicies([x509.PolicyInformation(profile.policy, None)]), False),
            *self._revocation_pointers(issuer),
        ]
        subject = citizen_subject(citizen, self.country)
        certificate = self._sign_by(issuer, subject, public_key, now, profile.validity,
                                    extensions)
        row = self._record(issuer, certificate, profile.name, citizen.national_id, now)
        return row, certificate

    def find(self, serial):
        row = self.store.certificate(serial_text(serial))
        if row is None:
            raise UnknownCertificateError(f"no certificate {serial!r}")
        return row

    # Building blocks

    def _sign_by(self, issuer, subject, public_key, now, validity, extensions):
        issuer_cert = x509.load_der_x509_certificate(issuer.certificate_der)
        not_after = min(now + validity, issuer_cert.not_valid_after_utc)
        extensions = [
            *extensions,
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),
             False),
        ]
        return self._sign(subject, issuer_cert.subject, public_key, self.key(issuer), now,
                          not_after, extensions)

    def _sign(self, subject, issuer_name, public_key, key, not_before, not_after, extensions):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical)
        return sign_certificate(builder, key)

    def _record(self, issuer, certificate, profile, national_id, now):
        return self.store.add_certificate(
            issuer, serial_text(certificate.serial_number), profile, national_id,
            certificate.subject.rfc4514_string(NAMES), certificate.not_valid_before_utc,
            certificate.not_valid_after_utc, certificate.public_bytes(Encoding.DER), now)

    def _issuing_extensions(self, spec, parent):
        return [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_ca_key_usage(), True),
            (x509.CertificatePolicies([x509.PolicyInformation(spec.policy, None)]), False),
            *self._revocation_pointers(parent),
        ]

    @staticmethod
    def _responder_extensions():
        return [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_signing_key_usage(), True),
            (x509.ExtendedKeyUsage([OCSP_SIGNING]), True),
            (x509.OCSPNoCheck(), False),  # RFC 6960 §4.2.2.2.1
        ]

    def _revocation_pointers(self, issuer):
        return [
            (x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(self.urls.crl(issuer.name))], None, None, None,
            )]), False),
            (x509.AuthorityInformationAccess([
                x509.AccessDescription(x509.AuthorityInformationAccessOID.OCSP,
                                       x509.UniformResourceIdentifier(self.urls.ocsp)),
                x509.AccessDescription(
                    x509.AuthorityInformationAccessOID.CA_ISSUERS,
                    x509.UniformResourceIdentifier(self.urls.ca_certificate(issuer.name))),
            ]), False),
        ]


def _ca_key_usage():
    return x509.KeyUsage(digital_signature=False, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=True, crl_sign=True, encipher_only=False,
                         decipher_only=False)


def _signing_key_usage():
    return x509.KeyUsage(digital_signature=True, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=False, crl_sign=False, encipher_only=False,
                         decipher_only=False)


ROOT_EXTENSIONS = ((x509.BasicConstraints(ca=True, path_length=1), True), (_ca_key_usage(), True))


def serial_text(serial):
    """The stored form of a serial number: lowercase hex without leading zeros. Accepts an
    int or hex text (optionally with colons or a 0x prefix)."""
    if isinstance(serial, int) and not isinstance(serial, bool):
        return format(serial, "x")
    if not isinstance(serial, str):
        raise UnknownCertificateError("serial number must be hexadecimal")
    text = serial.strip().lower().replace(":", "")
    text = text.removeprefix("0x")
    if not text or len(text) > 42 or any(c not in "0123456789abcdef" for c in text):
        raise UnknownCertificateError("serial number must be hexadecimal")
    return format(int(text, 16), "x")
