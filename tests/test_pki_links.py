"""CA links a validator verified once and reuses: only the leaf is verified against its
issuing CA on later validations, the CAs' validity is checked at every validation time, and
whatever the shortcut does not accept ends as a fresh validator would end it."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from idp.pki import errors
from idp.pki.validation import Validator

from .pki_support import SoftCA
from .pki_support import _key_usage

T = datetime.now(UTC).replace(microsecond=0)  # SoftCA roots are valid for a year from now


def ca_under(parent, name, not_after=None, extensions=()):
    """An intermediate CA issued by `parent`, valid until `not_after`."""
    ca = SoftCA.__new__(SoftCA)
    ca.key = ec.generate_private_key(ec.SECP256R1())
    ca.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca.certificate = parent.sign(ca.name, ca.key.public_key(), [
        (x509.BasicConstraints(ca=True, path_length=0), True),
        (_key_usage({"key_cert_sign", "crl_sign"}), True), *extensions,
    ], not_before=T - timedelta(days=30), not_after=not_after or T + timedelta(days=30))
    return ca


def leaf_of(ca, **extra):
    return ca.leaf(policy=None, not_before=T - timedelta(days=1),
                   not_after=T + timedelta(days=10), **extra)


class Counting:
    """Counts the leaf-only verifications a validator's remembered links make."""

    def __init__(self, validator):
        self.calls = 0
        inner = validator.links.verify_leaf

        def verify_leaf(*args):
            self.calls += 1
            return inner(*args)

        validator.links.verify_leaf = verify_leaf


def outcome(validator, certificate, now):
    try:
        return validator.validate(certificate, now).chain
    except errors.PkiError as error:
        return type(error), error.code


@pytest.fixture
def root():
    return SoftCA("Links Root", policy=None)


def test_a_verified_link_is_reused_for_the_next_certificate(root):
    ca = ca_under(root, "Links Issuing CA")
    validator = Validator([root.certificate], None, [ca.certificate])
    counting = Counting(validator)
    first, second = leaf_of(ca), leaf_of(ca)
    assert validator.validate(first, T).chain == (first, ca.certificate, root.certificate)
    assert (len(validator.links), counting.calls) == (1, 0)
    assert validator.validate(second, T).chain == (second, ca.certificate, root.certificate)
    assert counting.calls == 1


def test_the_issuing_ca_validity_is_checked_at_each_validation_one_second_either_side(root):
    end = T + timedelta(days=2)
    ca = ca_under(root, "Links Issuing CA", not_after=end)
    validator = Validator([root.certificate], None, [ca.certificate])
    leaf = leaf_of(ca)
    validator.validate(leaf, T)
    counting = Counting(validator)
    assert validator.validate(leaf, end).chain[1] == ca.certificate
    assert validator.validate(leaf, end + timedelta(microseconds=999999)).chain[1] == (
        ca.certificate)  # X.509 times are whole seconds
    assert counting.calls == 2
    with pytest.raises(errors.CertificateExpiredError, match="the issuing CA"):
        validator.validate(leaf, end + timedelta(seconds=1))
    assert counting.calls == 2
    fresh = Validator([root.certificate], None, [ca.certificate])
    for when in (end, end + timedelta(seconds=1), T - timedelta(days=30, seconds=1)):
        assert outcome(validator, leaf, when) == outcome(fresh, leaf, when)


def test_an_expired_anchor_ends_as_for_a_fresh_validator():
    end = T + timedelta(days=1)
    root = SoftCA.__new__(SoftCA)
    root.key = ec.generate_private_key(ec.SECP256R1())
    root.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Short Root")])
    root.certificate = root.sign(root.name, root.key.public_key(), [
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (_key_usage({"key_cert_sign", "crl_sign"}), True)],
        not_before=T - timedelta(days=30), not_after=end)
    ca = ca_under(root, "Links Issuing CA", not_after=end)
    validator = Validator([root.certificate], None, [ca.certificate])
    leaf = leaf_of(ca)
    validator.validate(leaf, T)
    later = end + timedelta(seconds=1)
    expected = outcome(Validator([root.certificate], None, [ca.certificate]), leaf, later)
    assert expected[0] in (errors.CertificateExpiredError, errors.UntrustedCertificateError)
    assert outcome(validator, leaf, later) == expected


def test_a_ca_of_the_same_name_with_another_key_is_not_trusted(root):
    ca = ca_under(root, "Links Issuing CA")
    validator = Validator([root.certificate], None, [ca.certificate])
    validator.validate(leaf_of(ca), T)
    impostor = ca_under(SoftCA("Other Root", policy=None), "Links Issuing CA")
    with pytest.raises(errors.UntrustedCertificateError):
        validator.validate(leaf_of(impostor), T)


def test_the_leaf_is_still_checked_in_full(root):
    ca = ca_under(root, "Links Issuing CA")
    validator = Validator([root.certificate], None, [ca.certificate])
    validator.validate(leaf_of(ca), T)
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.32473.9.9"),
                                         b"\x05\x00")
    leaf = ca.sign(leaf_of(ca).subject, ec.generate_private_key(ec.SECP256R1()).public_key(), [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage({"digital_signature"}), True),
        (x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        (unknown, True)], not_before=T - timedelta(days=1), not_after=T + timedelta(days=1))
    fresh = Validator([root.certificate], None, [ca.certificate])
    assert outcome(validator, leaf, T) == outcome(fresh, leaf, T) == (
        errors.UntrustedCertificateError, "certificate_untrusted")
    with pytest.raises(errors.WrongPurposeError):
        validator.validate(leaf_of(ca, eku=None), T)


def test_name_constrained_links_are_not_remembered(root):
    constraints = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName("example.gov")], excluded_subtrees=None)
    ca = ca_under(root, "Constrained CA", extensions=[(constraints, True)])
    validator = Validator([root.certificate], None, [ca.certificate])
    validator.validate(leaf_of(ca), T)
    assert len(validator.links) == 0


def test_links_through_offered_intermediates_are_not_remembered(root):
    ca = ca_under(root, "Offered CA")
    validator = Validator([root.certificate], None, [])
    assert validator.validate(leaf_of(ca), T, intermediates=[ca.certificate]).chain[1] == (
        ca.certificate)
    assert len(validator.links) == 0
    with pytest.raises(errors.UntrustedCertificateError):
        validator.validate(leaf_of(ca), T)


def test_a_leaf_directly_under_the_anchor_has_no_link_to_remember(root):
    leaf = leaf_of(root)
    validator = Validator([root.certificate], None, [])
    assert validator.validate(leaf, T).chain == (leaf, root.certificate)
    assert len(validator.links) == 0
