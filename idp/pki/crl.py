"""Revocation by the certificate authority and the CRLs it publishes (RFC 5280 §5).

Reasons are RFC 5280 §5.3.1 CRLReason names. certificateHold suspends a certificate and
can be released; every other reason is final. Each change publishes a new CRL with the
next cRLNumber (§5.2.3); a CRL is valid for at most 24 hours."""

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .errors import AlreadyRevokedError
from .errors import InvalidReasonError
from .errors import NotOnHoldError
from .signer import sign_crl

HOLD = "certificateHold"
REASONS = tuple(
    flag.value for flag in x509.ReasonFlags if flag is not x509.ReasonFlags.remove_from_crl
)
MAX_VALIDITY = timedelta(hours=24)


def revoke(ca, serial, reason, now, crl_validity=MAX_VALIDITY):
    """Revoke (or put on hold) a certificate this CA issued; returns its stored row."""
    if reason not in REASONS:
        raise InvalidReasonError(f"reason must be one of {', '.join(REASONS)}")
    row = ca.find(serial)
    if row.status == "revoked" and (row.revocation_reason != HOLD or reason == HOLD):
        raise AlreadyRevokedError(f"certificate {row.serial} is already revoked")
    if reason in ("cACompromise", "aACompromise") and row.profile in ("card", "sim"):
        raise InvalidReasonError(f"{reason} is for CA certificates")
    # CRLs and OCSP carry whole seconds (RFC 5280 §4.1.2.5); so does the record.
    row.status, row.revocation_reason = "revoked", reason
    row.revoked_at = now.replace(microsecond=0)
    publish(ca, row.issuer, now, crl_validity)
    return row


def release(ca, serial, now, crl_validity=MAX_VALIDITY):
    """Take a certificate off hold (RFC 5280 §5.3.1: certificateHold is reversible)."""
    row = ca.find(serial)
    if row.status != "revoked" or row.revocation_reason != HOLD:
        raise NotOnHoldError(f"certificate {row.serial} is not on hold")
    row.status, row.revocation_reason, row.revoked_at = "good", None, None
    publish(ca, row.issuer, now, crl_validity)
    return row


def publish(ca, authority, now, validity=MAX_VALIDITY):
    """Sign and store a complete CRL for authority; returns the cryptography CRL."""
    validity = min(validity, MAX_VALIDITY)
    ca.store.lock(authority)
    latest = ca.store.latest_crl(authority)
    number = (latest.number + 1) if latest else 1
    issuer = x509.load_der_x509_certificate(authority.certificate_der)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now)
        .next_update(now + validity)
        .add_extension(x509.CRLNumber(number), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), False
        )
    )
    for row in ca.store.revoked(authority):
        entry = (x509.RevokedCertificateBuilder()
                 .serial_number(int(row.serial, 16))
                 .revocation_date(row.revoked_at))
        if row.revocation_reason and row.revocation_reason != "unspecified":
            # §5.3.1: the reasonCode extension is omitted rather than "unspecified"
            entry = entry.add_extension(x509.CRLReason(x509.ReasonFlags(row.revocation_reason)),
                                        False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = sign_crl(builder, ca.key(authority))
    ca.store.add_crl(authority, number, now, now + validity, crl.public_bytes(Encoding.DER))
    return crl


def current(ca, authority, now, validity=MAX_VALIDITY):
    """The latest CRL's DER while it is valid; otherwise a new one is published."""
    latest = ca.store.latest_crl(authority)
    if latest is not None and latest.this_update <= now < latest.next_update:
        return latest.der
    return publish(ca, authority, now, validity).public_bytes(Encoding.DER)
