"""The validator every PKI login uses: path to the trust anchor, purpose, policy, validity
at a pinned time, and revocation fetched over real HTTP from the provider's OCSP responder
and CRL distribution points; every failure reason has its own exception."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from idp.extensions import db
from idp.models import AuditEvent
from idp.models.certificates import IssuedCertificate
from idp.pki import errors
from idp.pki.profiles import CARD_POLICY
from idp.pki.profiles import SIM_POLICY
from idp.pki.revocation import RevocationChecker
from idp.pki.revocation import http_fetch
from idp.pki.validation import Validator

from .pki_support import NATIONAL_ID
from .pki_support import SoftCA
from .pki_support import cli_json
from .pki_support import init_hierarchy
from .pki_support import issue

CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port


@pytest.fixture
def h(app, issuer):
    return init_hierarchy(app)


@pytest.fixture
def card(app, tmp_path, h):
    row, certificate, _ = issue(app, tmp_path, "card")
    return row, certificate


def now():
    return datetime.now(UTC)


def validator(h, policy=CARD_POLICY, revocation=True, **options):
    checker = RevocationChecker(**options) if revocation else None
    return Validator([h["root"]], policy, [h["card"], h["sim"]], revocation=checker)


def unreachable(issuer, keep=()):
    """Real HTTP, but the provider's revocation URLs not in `keep` lead nowhere."""
    def fetch(url, *args):
        if not any(part in url for part in keep):
            url = url.replace(issuer, CLOSED)
        return http_fetch(url, *args, timeout=3)
    return fetch


def test_valid_card_certificate(h, card):
    _, certificate = card
    result = validator(h).validate(certificate.public_bytes(Encoding.PEM), now())
    assert result.certificate == certificate
    assert result.chain == (certificate, h["card"], h["root"])
    assert (result.national_id, result.given_name, result.family_name) == (
        NATIONAL_ID, "Amina", "Haddad")
    assert [(s.state, s.source) for s in result.revocation] == [("good", "ocsp")] * 2


@pytest.mark.parametrize(("edge", "offset", "error"), [
    ("not_valid_before_utc", -1, errors.CertificateNotYetValidError),
    ("not_valid_before_utc", 1, None),
    ("not_valid_before_utc", 0, None),
    ("not_valid_after_utc", -1, None),
    ("not_valid_after_utc", 0, None),
    ("not_valid_after_utc", 1, errors.CertificateExpiredError),
])
def test_validity_one_second_either_side(h, card, edge, offset, error):
    _, certificate = card
    at = getattr(certificate, edge) + timedelta(seconds=offset)
    check = validator(h, revocation=False)
    if error is None:
        assert check.validate(certificate, at).national_id == NATIONAL_ID
    else:
        with pytest.raises(error):
            check.validate(certificate, at)


def test_policy_keeps_cards_and_sims_apart(app, tmp_path, h, card):
    _, card_cert = card
    _, sim_cert, _ = issue(app, tmp_path, "sim")
    with pytest.raises(errors.WrongPolicyError):
        validator(h, SIM_POLICY).validate(card_cert, now())
    with pytest.raises(errors.WrongPolicyError):
        validator(h, CARD_POLICY).validate(sim_cert, now())
    assert validator(h, SIM_POLICY).validate(sim_cert, now()).chain[1] == h["sim"]


def test_a_ca_without_the_policy_cannot_issue_for_it(h):
    root = SoftCA()
    issuing = SoftCA("Soft SIM CA", parent=root, policy=SIM_POLICY)
    leaf = issuing.leaf(policy=CARD_POLICY)  # mis-issued: card policy under a SIM CA
    check = Validator([root.certificate], CARD_POLICY, [issuing.certificate])
    with pytest.raises(errors.WrongPolicyError, match="does not assert"):
        check.validate(leaf, now())
    any_policy = SoftCA("Soft any-policy CA", parent=root,
                        policy=x509.ObjectIdentifier("2.5.29.32.0"))
    assert Validator([root.certificate], CARD_POLICY, [any_policy.certificate]).validate(
        any_policy.leaf(), now()).national_id == NATIONAL_ID


def test_untrusted_certificates(h, card):
    _, certificate = card
    foreign = SoftCA("Bawaba Development ID Card CA")  # same name as ours, another key
    with pytest.raises(errors.UntrustedCertificateError):
        validator(h, revocation=False).validate(foreign.leaf(), now())
    # Our certificate without our root among the anchors.
    with pytest.raises(errors.UntrustedCertificateError):
        Validator([foreign.certificate], CARD_POLICY, [h["card"]]).validate(certificate, now())
    # Or without the issuing CA to build the path through.
    with pytest.raises(errors.UntrustedCertificateError):
        Validator([h["root"]], CARD_POLICY).validate(certificate, now())
    assert Validator([h["root"]], CARD_POLICY).validate(
        certificate, now(), intermediates=[h["card"].public_bytes(Encoding.DER)]).chain[1] == (
        h["card"])


def test_expired_issuing_ca():
    root = SoftCA()
    issuing = SoftCA("Soft Issuing CA", parent=root)
    leaf = issuing.leaf()
    at = issuing.certificate.not_valid_after_utc + timedelta(seconds=1)
    late_leaf = issuing.leaf(not_after=at + timedelta(days=1))
    check = Validator([root.certificate], CARD_POLICY, [issuing.certificate])
    assert check.validate(leaf, now()).chain[1] == issuing.certificate
    with pytest.raises(errors.CertificateExpiredError, match="the issuing CA"):
        check.validate(late_leaf, at)


@pytest.mark.parametrize(("options", "message"), [
    ({"eku": (ExtendedKeyUsageOID.SERVER_AUTH,)}, "extendedKeyUsage lacks"),
    ({"eku": None}, "no extendedKeyUsage"),
    ({"key_usage": ("key_encipherment",)}, "keyUsage lacks digital_signature"),
    ({"key_usage": None}, "no keyUsage"),
    ({"ca": True}, "is a CA certificate"),
    ({"eku": (ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE)},
     "must not allow any purpose"),
])
def test_wrong_purpose(options, message):
    root = SoftCA()
    with pytest.raises(errors.WrongPurposeError, match=message):
        Validator([root.certificate], CARD_POLICY).validate(root.leaf(**options), now())


@pytest.mark.parametrize("key", ["rsa1024", "rsa2052"])
def test_weak_certificate_keys(key):
    root = SoftCA()
    with pytest.raises(errors.WeakCertificateKeyError, match="not allowed"):
        Validator([root.certificate], CARD_POLICY).validate(root.leaf(key=key), now())


def test_wrong_policy_when_the_leaf_has_none():
    root = SoftCA()
    with pytest.raises(errors.WrongPolicyError):
        Validator([root.certificate], CARD_POLICY).validate(root.leaf(policy=None), now())


def test_chain_depth():
    root = SoftCA()
    chain = [root]
    for n in range(3):
        chain.append(SoftCA(f"Soft CA {n}", parent=chain[-1]))
    leaf = chain[-1].leaf()
    intermediates = [c.certificate for c in chain[1:]]
    assert len(Validator([root.certificate], CARD_POLICY, intermediates, max_depth=3)
               .validate(leaf, now()).chain) == 5
    with pytest.raises(errors.ChainTooLongError):
        Validator([root.certificate], CARD_POLICY, intermediates, max_depth=2).validate(
            leaf, now())


@pytest.mark.parametrize("data", [b"", b"garbage", b"-----BEGIN CERTIFICATE-----\nAA==\n"
                                  b"-----END CERTIFICATE-----\n", b"\x30" * 70000])
def test_malformed_certificates(h, data):
    with pytest.raises(errors.MalformedCertificateError):
        validator(h, revocation=False).validate(data, now())


def test_revoked_hold_and_release_over_ocsp(app, h, card):
    row, certificate = card
    check = validator(h)
    cli_json(app, "revoke", "--serial", row["serial"], "--reason", "certificateHold")
    with pytest.raises(errors.CertificateOnHoldError) as held:
        check.validate(certificate, now())
    assert held.value.reason == "certificateHold"
    cli_json(app, "release", "--serial", row["serial"])
    assert check.validate(certificate, now(), bypass_cache=True).revocation[0].state == "good"
    revoked = cli_json(app, "revoke", "--serial", row["serial"], "--reason", "keyCompromise")
    with pytest.raises(errors.CertificateRevokedError) as final:
        check.validate(certificate, now(), bypass_cache=True)
    assert type(final.value) is errors.CertificateRevokedError
    assert final.value.reason == "keyCompromise"
    assert final.value.revoked_at.isoformat() == revoked["revoked_at"]


def test_revoked_issuing_ca(app, h, card):
    _, certificate = card
    cli_json(app, "revoke", "--serial", format(h["card"].serial_number, "x"), "--reason",
             "cACompromise")
    with pytest.raises(errors.CertificateRevokedError, match="cACompromise"):
        validator(h).validate(certificate, now())


def test_revocation_is_seen_within_one_cache_period_and_at_once_when_bypassed(app, h, card):
    row, certificate = card
    period = timedelta(minutes=5)
    check = validator(h, cache_max=period)
    t0 = now()
    assert check.validate(certificate, t0).revocation[0].source == "ocsp"
    cli_json(app, "revoke", "--serial", row["serial"], "--reason", "keyCompromise")

    # Cached answer: still good until the cache period ends...
    assert check.validate(certificate, t0 + period - timedelta(seconds=1)).national_id
    # ...refused at once when the cache is bypassed...
    with pytest.raises(errors.CertificateRevokedError):
        check.validate(certificate, t0, bypass_cache=True)
    # ...and by everyone once the period is over.
    with pytest.raises(errors.CertificateRevokedError):
        validator(h, cache_max=period).validate(certificate, t0)
    with pytest.raises(errors.CertificateRevokedError):
        check.validate(certificate, t0 + period + timedelta(seconds=1))


def test_crl_fallback_when_the_responder_is_unreachable(app, issuer, h, card):
    row, certificate = card
    check = validator(h, fetch=unreachable(issuer, keep=("/pki/crl/",)))
    result = check.validate(certificate, now())
    assert [(s.state, s.source) for s in result.revocation] == [("good", "crl")] * 2
    cli_json(app, "revoke", "--serial", row["serial"], "--reason", "superseded")
    assert check.validate(certificate, now()).national_id  # CRL cached until nextUpdate
    with pytest.raises(errors.CertificateRevokedError, match=r"superseded, crl"):
        check.validate(certificate, now(), bypass_cache=True)


def test_fail_closed_and_audited_fail_open(app, issuer, h, card):
    _, certificate = card
    with pytest.raises(errors.RevocationUnknownError, match="OCSP: .* unreachable.*CRL: "):
        validator(h, fetch=unreachable(issuer)).validate(certificate, now())

    events = []
    check = validator(h, fetch=unreachable(issuer), fail_open=True,
                      on_event=lambda event, **detail: events.append((event, detail)))
    assert [s.state for s in check.validate(certificate, now()).revocation] == ["unknown"] * 2
    assert [e for e, _ in events] == ["revocation_fail_open"] * 2
    assert events[0][1]["serial"] == format(certificate.serial_number, "x")


def test_application_validator_fails_closed_or_open_with_an_audit_entry(app, tmp_path, issuer):
    # A configured extra trust anchor whose certificates name no OCSP responder and no CRL.
    foreign = SoftCA("Partner Root CA")
    anchor = tmp_path / "anchor.pem"
    anchor.write_bytes(foreign.certificate.public_bytes(Encoding.PEM))
    leaf = foreign.leaf()
    from idp.web.pki import validator as app_validator

    app.config["PKI_TRUST_ANCHORS"] = [str(anchor)]
    app.extensions.pop("idp.pki.revocation", None)
    try:
        with app.test_request_context():
            with pytest.raises(errors.RevocationUnknownError, match="no OCSP responder"):
                app_validator("card").validate(leaf, now())
            app.config["PKI_REVOCATION_FAIL_OPEN"] = True
            app.extensions.pop("idp.pki.revocation", None)
            result = app_validator("card").validate(leaf, now())
            assert [s.state for s in result.revocation] == ["unknown"]
            db.session.commit()
            rows = db.session.execute(db.select(AuditEvent).filter_by(
                event="revocation_fail_open")).scalars().all()
            assert [(r.outcome, r.detail["serial"]) for r in rows] == [
                ("warning", format(leaf.serial_number, "x"))]
    finally:
        app.config["PKI_REVOCATION_FAIL_OPEN"] = False
        app.config["PKI_TRUST_ANCHORS"] = []
        app.extensions.pop("idp.pki.revocation", None)


def test_unknown_to_the_responder_is_refused_without_crl_fallback(app, h, card):
    row, certificate = card
    with app.app_context():  # the CA forgets the certificate: its responder says unknown
        db.session.execute(db.delete(IssuedCertificate).filter_by(serial=row["serial"]))
        db.session.commit()
    with pytest.raises(errors.RevocationUnknownError, match="does not know"):
        validator(h).validate(certificate, now())


def test_application_validator(app, issuer, h, card):
    _, certificate = card
    with app.app_context():
        from idp.web.pki import validator as app_validator

        assert app_validator("card").validate(certificate, now()).national_id == NATIONAL_ID
        with pytest.raises(errors.WrongPolicyError):
            app_validator("sim").validate(certificate, now())
        with pytest.raises(errors.UnknownProfileError):
            app_validator("server")


# OCSP answers that must not be believed. A middleman between the validator and the real
# responder alters requests or answers; the CRL is out of reach so the reason shows.


def middleman(issuer, alter_request=None, alter_response=None):
    def fetch(url, body=None, content_type=None):
        if body is None:
            return http_fetch(url.replace(issuer, CLOSED), timeout=3)
        if alter_request:
            body = alter_request(body)
        answer = http_fetch(url, body, content_type)
        return alter_response(answer) if alter_response else answer
    return fetch


def _rebuild(body, nonce=None, serial_delta=0):
    request = ocsp.load_der_ocsp_request(body)
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        request.issuer_name_hash, request.issuer_key_hash,
        request.serial_number + serial_delta, request.hash_algorithm)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), False)
    return builder.build().public_bytes(Encoding.DER)


def _forged(h, certificate):
    def alter(_answer):
        rogue = SoftCA("Bawaba Development ID Card CA OCSP Responder")
        builder = (ocsp.OCSPResponseBuilder()
                   .add_response(cert=certificate, issuer=h["card"], algorithm=hashes.SHA256(),
                                 cert_status=ocsp.OCSPCertStatus.GOOD, this_update=now(),
                                 next_update=now() + timedelta(hours=1),
                                 revocation_time=None, revocation_reason=None)
                   .responder_id(ocsp.OCSPResponderEncoding.HASH, rogue.certificate)
                   .certificates([rogue.certificate]))
        return builder.sign(rogue.key, hashes.SHA256()).public_bytes(Encoding.DER)
    return alter


TRY_LATER = ocsp.OCSPResponseBuilder.build_unsuccessful(
    ocsp.OCSPResponseStatus.TRY_LATER).public_bytes(Encoding.DER)


@pytest.mark.parametrize(("case", "message"), [
    ("nonce stripped", "does not carry our nonce"),
    ("nonce replaced", "does not carry our nonce"),
    ("another serial", "about another certificate"),
    ("forged responder", "not authorised by the issuer"),
    ("try later", "answered TRY_LATER"),
    ("garbage", "unreadable OCSP response"),
    ("stale", "stale"),
])
def test_untrustworthy_ocsp_answers(issuer, h, card, case, message):
    _, certificate = card
    alter_request = alter_response = None
    at = now()
    if case == "nonce stripped":
        alter_request = _rebuild
    elif case == "nonce replaced":
        alter_request = lambda body: _rebuild(body, nonce=b"x" * 16)  # noqa: E731
    elif case == "another serial":
        alter_request = lambda body: _rebuild(body, serial_delta=1)  # noqa: E731
    elif case == "forged responder":
        alter_response = _forged(h, certificate)
    elif case == "try later":
        alter_response = lambda _: TRY_LATER  # noqa: E731
    elif case == "garbage":
        alter_response = lambda _: b"\x30\x00"  # noqa: E731
    else:
        at = now() + timedelta(hours=1, minutes=1)
    check = validator(h, fetch=middleman(issuer, alter_request, alter_response))
    with pytest.raises(errors.RevocationUnknownError, match=message):
        check.validate(certificate, at)


def test_nonce_can_be_optional(issuer, h, card):
    _, certificate = card
    check = validator(h, require_nonce=False, fetch=middleman(issuer, _rebuild))
    assert check.validate(certificate, now()).revocation[0].source == "ocsp"
