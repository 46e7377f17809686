"""The login validators a process keeps: the same validator while the CAs, their status and
their CRLs stay the same, a new one (and no cached revocation answer) as soon as a CA is
revoked, put on hold, released, renewed or removed or a CRL is published, so that the next
login is judged on the CAs as they are."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from idp.extensions import db
from idp.models.certificates import Authority
from idp.models.certificates import IssuedCertificate
from idp.models.certificates import PublishedCrl
from idp.models.types import utcnow
from idp.pki import errors
from idp.web.pki import validator

from .card_support import audit_rows
from .card_support import card_login  # noqa: F401  (fixture)
from .card_support import hierarchy  # noqa: F401  (fixture)
from .card_support import issue_card
from .card_support import soft_cards  # noqa: F401  (fixture)
from .pki_support import SoftCA
from .pki_support import cli_json
from .test_card_login_journey import journey  # noqa: F401  (fixture)


@pytest.fixture
def card(app, soft_cards, hierarchy):  # noqa: F811
    return issue_card(app, soft_cards)


def serial_of(certificate):
    return format(certificate.serial_number, "x")


def validate(app, certificate):
    with app.test_request_context():
        return validator("card").validate(certificate, utcnow())


def kept(app):
    with app.test_request_context():
        return validator("card")


def test_the_validator_is_kept_while_nothing_changes(app, soft_cards, hierarchy, card):  # noqa: F811
    first = kept(app)
    assert validate(app, card).chain[1] == hierarchy["card"]
    assert kept(app) is first and len(first.links) == 1
    issue_card(app, soft_cards)  # a citizen certificate changes no CA
    assert kept(app) is first
    with app.test_request_context():
        assert validator("sim") is not first and validator("sim").revocation is first.revocation


def test_a_published_crl_gives_a_new_validator_and_forgets_cached_answers(app, hierarchy, card):  # noqa: F811
    validate(app, card)
    first = kept(app)
    assert first.revocation._answers
    result = app.test_cli_runner().invoke(args=["pki", "crl", "--authority", "card"])
    assert result.exit_code == 0, result.output
    second = kept(app)
    assert second is not first and not second.revocation._answers
    assert validate(app, card).revocation[0].source == "ocsp"


@pytest.mark.parametrize(("reason", "error"), [
    ("cACompromise", errors.CertificateRevokedError),
    ("certificateHold", errors.CertificateOnHoldError)])
def test_a_revoked_issuing_ca_fails_the_next_validation(app, hierarchy, card, reason, error):  # noqa: F811
    validate(app, card)  # its OCSP answers, the CA's "good" among them, are cached
    cli_json(app, "revoke", "--serial", serial_of(hierarchy["card"]), "--reason", reason)
    with pytest.raises(error, match=serial_of(hierarchy["card"])) as raised:
        validate(app, card)
    assert raised.value.reason == reason
    if reason == "certificateHold":
        cli_json(app, "release", "--serial", serial_of(hierarchy["card"]))
        assert [s.state for s in validate(app, card).revocation] == ["good", "good"]


def test_a_removed_issuing_ca_is_no_longer_trusted(app, hierarchy, card):  # noqa: F811
    validate(app, card)
    with app.app_context():
        ids = [db.session.scalars(db.select(Authority.id).filter_by(name=name)).one()
               for name in ("card", "card-ocsp")]
        db.session.execute(db.delete(PublishedCrl).where(PublishedCrl.authority_id.in_(ids)))
        db.session.execute(db.delete(IssuedCertificate).where(
            IssuedCertificate.issuer_id.in_(ids)))
        db.session.execute(db.delete(Authority).filter_by(name="card-ocsp"))
        db.session.execute(db.delete(Authority).filter_by(name="card"))
        db.session.commit()
    with pytest.raises(errors.UntrustedCertificateError):
        validate(app, card)


def test_a_renewed_issuing_ca_with_another_key_no_longer_trusts_old_cards(app, hierarchy,  # noqa: F811
                                                                         card):
    validate(app, card)
    old = hierarchy["card"]
    other = SoftCA("Stand-in root")  # any certificate of the same name with another key
    renewed = other.sign(old.subject, ec.generate_private_key(ec.SECP256R1()).public_key(),
                         list((e.value, e.critical) for e in old.extensions
                              if e.oid.dotted_string not in ("2.5.29.14", "2.5.29.35")),
                         not_before=utcnow() - timedelta(days=1))
    with app.app_context():
        db.session.execute(db.update(Authority).filter_by(name="card").values(
            certificate_der=renewed.public_bytes(Encoding.DER)))
        db.session.commit()
    with pytest.raises(errors.UntrustedCertificateError):
        validate(app, card)


def test_the_next_card_login_after_the_ca_is_revoked_is_refused(app, journey, hierarchy):  # noqa: F811
    certificate = journey.card()
    journey.open()
    assert journey.post(journey.sign(certificate, journey.challenge())).status_code == 303
    cli_json(app, "revoke", "--serial", serial_of(hierarchy["card"]), "--reason",
             "cACompromise")
    again = journey.other()
    response = again.post(again.sign(certificate, again.challenge()))
    assert response.status_code == 401
    assert audit_rows(app)[-1].detail == {
        "method": "card", "reason": "certificate_revoked",
        "certificate_serial": serial_of(certificate),
        "certificate_issuer": certificate.issuer.rfc4514_string()}


@pytest.mark.parametrize("reason", ["cACompromise", "certificateHold"])
def test_a_revoked_root_anchors_nothing(app, hierarchy, card, reason):  # noqa: F811
    validate(app, card)
    cli_json(app, "revoke", "--serial", serial_of(hierarchy["root"]), "--reason", reason)
    with pytest.raises(errors.HierarchyMissingError, match="every root is revoked or on hold"):
        validate(app, card)
    if reason == "certificateHold":
        cli_json(app, "release", "--serial", serial_of(hierarchy["root"]))
        assert validate(app, card).chain[-1] == hierarchy["root"]


def test_the_providers_own_ocsp_responder_is_answered_in_process(app, hierarchy, card):  # noqa: F811
    # Over HTTP, a validation in the only free worker would wait for a worker to answer it.
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509 import ocsp

    from idp.pki.errors import RevocationSourceError
    from idp.web.pki import revocation_fetch

    closed = "http://127.0.0.1:9"  # nothing listens there
    fetch = revocation_fetch({**app.config, "PKI_BASE_URL": closed, "PKI_FETCH_TIMEOUT": 2})
    request = ocsp.OCSPRequestBuilder().add_certificate(
        card, hierarchy["card"], hashes.SHA256()).build().public_bytes(Encoding.DER)
    with app.test_request_context():
        answer = ocsp.load_der_ocsp_response(
            fetch(f"{closed}/pki/ocsp", request, "application/ocsp-request"))
        with pytest.raises(RevocationSourceError, match="unreachable"):
            fetch(f"{closed}/pki/crl/card.crl")  # anything else still goes over HTTP
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == card.serial_number
