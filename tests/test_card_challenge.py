"""Web eID challenges and authentication tokens (idp/pki/challenge.py): nonces that are
single use, bound to a transaction and an origin, and expire; tokens signed by SoftHSM2
cards whose certificates the PKI core's card CA issued, each rejection its own exception,
validated at a pinned time with revocation over real HTTP."""

import base64
import hashlib
import json
import threading
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

from idp.extensions import db
from idp.models.cards import CardChallenge
from idp.models.cards import CardChallengeStore
from idp.models.types import utcnow
from idp.pki import challenge as webeid
from idp.pki import errors
from idp.pki.profiles import CARD_POLICY
from idp.pki.validation import Validator
from idp.web.pki import validator

from .card_support import APP_VERSION
from .card_support import hierarchy  # noqa: F401  (fixture)
from .card_support import issue_card
from .card_support import soft_cards  # noqa: F401  (fixture)
from .card_support import web_eid_token
from .pki_support import NATIONAL_ID
from .pki_support import SoftCA
from .pki_support import cli_json

ORIGIN = "https://login.bawaba.example"
TX = "tx-one"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def store(ctx):
    return CardChallengeStore()


def issue(store, tx=TX, origin=ORIGIN, now=None):
    return webeid.issue_challenge(store, tx, origin, now or utcnow())


# Challenges


def test_nonce_is_256_random_bits_in_base64_stored_only_as_digest(store):
    first, second = issue(store), issue(store)
    assert len(first.nonce) == 44 and len(base64.b64decode(first.nonce, validate=True)) == 32
    assert first.nonce != second.nonce
    assert first.expires_at - utcnow() <= timedelta(minutes=5)
    rows = db.session.scalars(db.select(CardChallenge).order_by(CardChallenge.id)).all()
    assert [r.nonce_digest for r in rows] == [
        hashlib.sha256(c.nonce.encode()).hexdigest() for c in (first, second)]
    for row in rows:
        assert first.nonce not in [str(getattr(row, c.name)) for c in CardChallenge.__table__.c]
        assert (row.transaction_id, row.origin, row.used_at) == (TX, ORIGIN, None)


def test_nonce_is_single_use(store):
    issued = issue(store)
    taken = webeid.take_challenge(store, issued.nonce, TX, ORIGIN, utcnow())
    assert (taken.nonce, taken.transaction, taken.origin) == (issued.nonce, TX, ORIGIN)
    with pytest.raises(errors.ChallengeReplayedError):
        webeid.take_challenge(store, issued.nonce, TX, ORIGIN, utcnow())


def test_nonce_of_another_transaction_is_refused_and_spent(store):
    issued = issue(store, tx="tx-other")
    with pytest.raises(errors.ChallengeTransactionError):
        webeid.take_challenge(store, issued.nonce, TX, ORIGIN, utcnow())
    with pytest.raises(errors.ChallengeReplayedError):
        webeid.take_challenge(store, issued.nonce, "tx-other", ORIGIN, utcnow())


def test_nonce_for_another_origin_is_refused(store):
    issued = issue(store, origin="https://evil.example")
    with pytest.raises(errors.ChallengeOriginError):
        webeid.take_challenge(store, issued.nonce, TX, ORIGIN, utcnow())


@pytest.mark.parametrize(("offset", "error"), [
    (-1, None), (0, None), (1, errors.ChallengeExpiredError)])
def test_nonce_expiry_one_second_either_side(store, offset, error):
    issued_at = utcnow()
    issued = issue(store, now=issued_at)
    at = issued_at + timedelta(minutes=5, seconds=offset)
    if error is None:
        assert webeid.take_challenge(store, issued.nonce, TX, ORIGIN, at).nonce == issued.nonce
    else:
        with pytest.raises(error):
            webeid.take_challenge(store, issued.nonce, TX, ORIGIN, at)


@pytest.mark.parametrize(("nonce", "error"), [
    (None, errors.ChallengeMissingError), ("", errors.ChallengeMissingError),
    (base64.b64encode(b"\0" * 32).decode(), errors.ChallengeUnknownError)])
def test_missing_and_unknown_nonces(store, nonce, error):
    issue(store)
    with pytest.raises(error):
        webeid.take_challenge(store, nonce, TX, ORIGIN, utcnow())


def test_single_use_holds_under_concurrent_takes(app, store):
    issued = issue(store)
    outcomes = []
    barrier = threading.Barrier(6)

    def take():
        with app.app_context():
            barrier.wait()
            try:
                webeid.take_challenge(CardChallengeStore(), issued.nonce, TX, ORIGIN, utcnow())
                outcomes.append("taken")
            except errors.ChallengeReplayedError:
                outcomes.append("replayed")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["replayed"] * 5 + ["taken"]


# Tokens


@pytest.fixture
def card_validator(hierarchy, ctx):  # noqa: F811
    return validator("card")


def challenge_for(nonce=None):
    return webeid.Challenge(nonce or base64.b64encode(b"n" * 32).decode(), TX, ORIGIN,
                            utcnow() + timedelta(minutes=5))


def validate(token, card_validator, challenge=None, now=None):
    return webeid.validate_token(token, challenge or challenge_for(), card_validator,
                                 now or utcnow())


@pytest.mark.parametrize(("kind", "algorithm"), [
    ("p256", "ES256"), ("p384", "ES384"), ("rsa2048", "RS256"), ("rsa2048", "PS256"),
    ("rsa2048", "RS384"), ("rsa2048", "PS512")])
def test_tokens_signed_by_cards_are_accepted(app, soft_cards, card_validator, kind,  # noqa: F811
                                             algorithm):
    certificate = issue_card(app, soft_cards, kind)
    issued = challenge_for()
    token = web_eid_token(soft_cards, certificate, ORIGIN, issued.nonce, kind, algorithm)
    result = validate(token, card_validator, issued)
    assert result.national_id == NATIONAL_ID
    assert result.algorithm == algorithm and result.app_version == APP_VERSION
    assert result.certificate.certificate == certificate
    assert [s.state for s in result.certificate.revocation] == ["good", "good"]


def test_other_minor_versions_of_format_1_are_accepted(app, soft_cards, card_validator):  # noqa: F811
    certificate = issue_card(app, soft_cards)
    issued = challenge_for()
    for version in ("web-eid:1", "web-eid:1.1"):
        token = web_eid_token(soft_cards, certificate, ORIGIN, issued.nonce, format=version)
        assert validate(token, card_validator, issued).national_id == NATIONAL_ID


@pytest.fixture
def good(app, soft_cards, card_validator):  # noqa: F811
    """A card certificate and a valid token for challenge_for()."""
    certificate = issue_card(app, soft_cards)
    issued = challenge_for()
    return certificate, issued, json.loads(
        web_eid_token(soft_cards, certificate, ORIGIN, issued.nonce))


@pytest.mark.parametrize("signed_for", ["origin", "nonce", "data"])
def test_signature_over_anything_else_is_refused(soft_cards, card_validator, good,  # noqa: F811
                                                 signed_for):
    certificate, issued, _ = good
    other = base64.b64encode(b"o" * 32).decode()
    origin, nonce, signed = ORIGIN, issued.nonce, None
    if signed_for == "origin":
        origin = "https://evil.example"  # a relaying site's own origin
    elif signed_for == "nonce":
        nonce = other  # the nonce of another transaction
    else:
        signed = b"something else entirely"
    token = web_eid_token(soft_cards, certificate, origin, nonce, signed=signed)
    with pytest.raises(errors.InvalidSignatureError):
        validate(token, card_validator, issued)


def test_signature_of_another_card_is_refused(app, soft_cards, card_validator, good):  # noqa: F811
    certificate, issued, _ = good
    forged = json.loads(web_eid_token(soft_cards, certificate, ORIGIN, issued.nonce, "p384",
                                      "ES384"))
    forged["algorithm"] = "ES256"
    with pytest.raises(errors.InvalidSignatureError):
        validate(json.dumps(forged), card_validator, issued)


@pytest.mark.parametrize("raw", [
    None, "", "x" * 99, "not json" * 20, json.dumps(["a"] * 30), json.dumps("s" * 120),
    json.dumps({"padding": "p" * 10001}), "[" * 5000 + "]" * 5000])
def test_malformed_tokens(card_validator, raw):
    with pytest.raises(errors.MalformedTokenError):
        validate(raw, card_validator)


@pytest.mark.parametrize("field", webeid.FIELDS)
def test_each_field_is_required(card_validator, good, field):
    _, issued, token = good
    for absent in ("remove", None):
        changed = {k: v for k, v in token.items() if k != field}
        if absent is None:
            changed[field] = None
        with pytest.raises(errors.TokenFieldMissingError, match=field):
            validate(json.dumps(changed), card_validator, issued)


@pytest.mark.parametrize("value", [42, "", ["x"], {"a": "b"}, True])
@pytest.mark.parametrize("field", webeid.FIELDS)
def test_fields_must_be_non_empty_strings(card_validator, good, field, value):
    _, issued, token = good
    with pytest.raises(errors.TokenFieldTypeError, match=field):
        validate(json.dumps({**token, field: value}), card_validator, issued)


@pytest.mark.parametrize("value", ["web-eid:2.0", "web-eid:1.0.1", "webeid:1.0", "WEB-EID:1.0",
                                   "web-eid:1.x", "web-eid:0.9", " web-eid:1.0"])
def test_unknown_formats(card_validator, good, value):
    _, issued, token = good
    with pytest.raises(errors.TokenFormatError):
        validate(json.dumps({**token, "format": value}), card_validator, issued)


@pytest.mark.parametrize("value", ["none", "HS256", "EdDSA", "es256", "ES256 ", "RS1"])
def test_algorithms_outside_the_allowed_list(card_validator, good, value):
    _, issued, token = good
    with pytest.raises(errors.AlgorithmNotAllowedError):
        validate(json.dumps({**token, "algorithm": value}), card_validator, issued)


@pytest.mark.parametrize("value", ["RS256", "PS256", "ES384", "ES512"])
def test_algorithm_must_fit_the_key(card_validator, good, value):
    _, issued, token = good
    with pytest.raises(errors.AlgorithmKeyMismatchError):
        validate(json.dumps({**token, "algorithm": value}), card_validator, issued)


@pytest.mark.parametrize("field", ["unverifiedCertificate", "signature"])
@pytest.mark.parametrize("mangle", [
    lambda v: v + "!", lambda v: v[:-1], lambda v: v.replace("+", "-") + "-_",
    lambda v: "é" + v, lambda v: v[:-2] + " " + v[-2:]])
def test_malformed_base64(card_validator, good, field, mangle):
    _, issued, token = good
    with pytest.raises(errors.TokenEncodingError, match=field):
        validate(json.dumps({**token, field: mangle(token[field])}), card_validator, issued)


def test_unreadable_certificate(card_validator, good):
    _, issued, token = good
    junk = base64.b64encode(b"\x30\x82\x01\x00" + b"\0" * 300).decode()
    with pytest.raises(errors.MalformedCertificateError):
        validate(json.dumps({**token, "unverifiedCertificate": junk}), card_validator, issued)


def test_certificate_validity_one_second_either_side(app, soft_cards, hierarchy, ctx):  # noqa: F811
    certificate = issue_card(app, soft_cards)
    issued = challenge_for()
    token = web_eid_token(soft_cards, certificate, ORIGIN, issued.nonce)
    # Without revocation: an OCSP answer of today says nothing about another day.
    check = Validator([hierarchy["root"]], CARD_POLICY, [hierarchy["card"]])
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    for at, error in ((start - timedelta(seconds=1), errors.CertificateNotYetValidError),
                      (start, None), (end, None),
                      (end + timedelta(seconds=1), errors.CertificateExpiredError)):
        if error is None:
            assert validate(token, check, issued, at).national_id == NATIONAL_ID
        else:
            with pytest.raises(error):
                validate(token, check, issued, at)


def test_expired_and_not_yet_valid_certificates_at_the_present(app, soft_cards,  # noqa: F811
                                                                card_validator):
    issued = challenge_for()
    expired = issue_card(app, soft_cards, now=utcnow() - timedelta(days=5 * 366))
    future = issue_card(app, soft_cards, now=utcnow() + timedelta(days=1))
    for certificate, error in ((expired, errors.CertificateExpiredError),
                               (future, errors.CertificateNotYetValidError)):
        token = web_eid_token(soft_cards, certificate, ORIGIN, issued.nonce)
        with pytest.raises(error):
            validate(token, card_validator, issued)


@pytest.mark.parametrize(("reason", "error"), [
    ("keyCompromise", errors.CertificateRevokedError),
    ("certificateHold", errors.CertificateOnHoldError)])
def test_revoked_certificates(app, soft_cards, card_validator, reason, error):  # noqa: F811
    certificate = issue_card(app, soft_cards)
    cli_json(app, "revoke", "--serial", format(certificate.serial_number, "x"),
             "--reason", reason)
    issued = challenge_for()
    token = web_eid_token(soft_cards, certificate, ORIGIN, issued.nonce)
    with pytest.raises(error):
        validate(token, card_validator, issued)


def foreign_certificate(public_key):
    """The card's key certified by a CA nobody trusts, with our own CA's name."""
    ca = SoftCA("Bawaba Development ID Card CA")
    subject = x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, NATIONAL_ID),
                         x509.NameAttribute(NameOID.COMMON_NAME, NATIONAL_ID)])
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=False, crl_sign=False, encipher_only=False,
                          decipher_only=False)
    return ca.sign(subject, public_key, [
        (x509.BasicConstraints(ca=False, path_length=None), True), (usage, True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        (x509.CertificatePolicies([x509.PolicyInformation(CARD_POLICY, None)]), False)])


def test_untrusted_certificate(soft_cards, card_validator, good):  # noqa: F811
    certificate, issued, _ = good
    foreign = foreign_certificate(certificate.public_key())
    token = web_eid_token(soft_cards, foreign, ORIGIN, issued.nonce)
    with pytest.raises(errors.UntrustedCertificateError):
        validate(token, card_validator, issued)


def test_sim_certificate_presented_as_a_card(app, soft_cards, card_validator):  # noqa: F811
    sim = issue_card(app, soft_cards, profile="sim")
    issued = challenge_for()
    token = web_eid_token(soft_cards, sim, ORIGIN, issued.nonce)
    with pytest.raises(errors.WrongPolicyError):
        validate(token, card_validator, issued)


def test_cheap_checks_come_first(app, soft_cards, card_validator):  # noqa: F811
    expired = issue_card(app, soft_cards, now=utcnow() - timedelta(days=5 * 366))
    issued = challenge_for()
    token = json.loads(web_eid_token(soft_cards, expired, ORIGIN, issued.nonce,
                                     signed=b"other data"))
    # The certificate is refused before its signature is looked at ...
    with pytest.raises(errors.CertificateExpiredError):
        validate(json.dumps(token), card_validator, issued)
    # ... and a token that cannot be a token before its certificate is.
    for changed, error in (({"signature": "%%"}, errors.TokenEncodingError),
                           ({"algorithm": "none"}, errors.AlgorithmNotAllowedError),
                           ({"format": "web-eid:9"}, errors.TokenFormatError),
                           ({"appVersion": None}, errors.TokenFieldMissingError)):
        with pytest.raises(error):
            validate(json.dumps({**token, **changed}), card_validator, issued)


def test_the_token_never_chooses_the_nonce_or_origin(soft_cards, card_validator, good):  # noqa: F811
    certificate, issued, token = good
    # Extra fields a careless implementation might read are ignored.
    other = challenge_for(base64.b64encode(b"x" * 32).decode())
    token.update(nonce=other.nonce, origin="https://evil.example", challenge=other.nonce)
    assert validate(json.dumps(token), card_validator, issued).national_id == NATIONAL_ID
    with pytest.raises(errors.InvalidSignatureError):
        validate(json.dumps(token), card_validator, other)
    der = base64.b64decode(token["unverifiedCertificate"])
    assert x509.load_der_x509_certificate(der).public_bytes(Encoding.DER) == der
