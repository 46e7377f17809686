"""Revocation, hold and release (`idp pki revoke|release`), and the CRLs served at the
distribution point over real HTTP: signed, DER, increasing cRLNumber, nextUpdate at most
24 hours ahead, regenerated on every change."""

from datetime import timedelta

import pytest
import requests
from cryptography import x509

from idp.extensions import db
from idp.models import AuditEvent
from idp.models.certificates import Authority
from idp.models.certificates import PublishedCrl

from .pki_support import cli
from .pki_support import cli_json
from .pki_support import init_hierarchy
from .pki_support import issue


def fetch_crl(certificate):
    """The CRL at the certificate's distribution point, as a relying party gets it."""
    point = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    response = requests.get(point.value[0].full_name[0].value, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pkix-crl"
    return x509.load_der_x509_crl(response.content)


def crl_number(crl):
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def reason_of(crl, certificate):
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
    if entry is None:
        return None
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.value
    except x509.ExtensionNotFound:
        return "unspecified"


def test_revocation_publishes_a_signed_crl(app, tmp_path, issuer):
    h = init_hierarchy(app)
    row, certificate, _ = issue(app, tmp_path, "card")
    before = fetch_crl(certificate)
    assert before.is_signature_valid(h["card"].public_key())
    assert before.get_revoked_certificate_by_serial_number(certificate.serial_number) is None

    revoked = cli_json(app, "revoke", "--serial", row["serial"], "--reason", "keyCompromise")
    assert revoked["status"] == "revoked"
    assert revoked["revocation_reason"] == "keyCompromise"

    after = fetch_crl(certificate)
    assert after.is_signature_valid(h["card"].public_key())
    assert not after.is_signature_valid(h["sim"].public_key())
    assert after.issuer == h["card"].subject
    assert crl_number(after) == crl_number(before) + 1
    assert after.next_update_utc - after.last_update_utc <= timedelta(hours=24)
    entry = after.get_revoked_certificate_by_serial_number(certificate.serial_number)
    assert entry.revocation_date_utc.isoformat() == revoked["revoked_at"]
    assert reason_of(after, certificate) == "keyCompromise"
    aki = after.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = h["card"].extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest

    with app.app_context():
        events = db.session.execute(
            db.select(AuditEvent).filter_by(event="pki_certificate_revoked")).scalars().all()
    assert [(e.subject, e.detail["serial"], e.detail["reason"]) for e in events] == [
        (row["national_id"], row["serial"], "keyCompromise")]


def test_every_reason_code_reaches_the_crl(app, tmp_path, issuer):
    init_hierarchy(app)
    reasons = ["unspecified", "keyCompromise", "affiliationChanged", "superseded",
               "cessationOfOperation", "certificateHold", "privilegeWithdrawn"]
    issued = [issue(app, tmp_path, "sim")[:2] for _ in reasons]
    for (row, _), reason in zip(issued, reasons, strict=True):
        cli_json(app, "revoke", "--serial", row["serial"], "--reason", reason)
    crl = fetch_crl(issued[0][1])
    assert [reason_of(crl, cert) for _, cert in issued] == reasons
    assert len(crl) == len(reasons)


def test_hold_and_release(app, tmp_path, issuer):
    init_hierarchy(app)
    row, certificate, _ = issue(app, tmp_path, "card")
    serial = row["serial"]

    held = cli_json(app, "revoke", "--serial", serial, "--reason", "certificateHold")
    assert held["status"] == "hold"
    on_hold = fetch_crl(certificate)
    assert reason_of(on_hold, certificate) == "certificateHold"
    assert [c["serial"] for c in cli_json(app, "search", "--status", "hold")] == [serial]
    assert cli_json(app, "search", "--status", "revoked") == []
    again = cli(app, "revoke", "--serial", serial, "--reason", "certificateHold")
    assert again.exit_code == 2 and "already revoked" in again.output

    released = cli_json(app, "release", "--serial", serial)
    assert released["status"] == "good"
    assert released["revoked_at"] is None and released["revocation_reason"] is None
    after = fetch_crl(certificate)
    assert reason_of(after, certificate) is None
    assert crl_number(after) == crl_number(on_hold) + 1

    not_held = cli(app, "release", "--serial", serial)
    assert not_held.exit_code == 2 and "not on hold" in not_held.output

    # A hold can become a final revocation, which cannot be released.
    cli_json(app, "revoke", "--serial", serial, "--reason", "certificateHold")
    final = cli_json(app, "revoke", "--serial", serial, "--reason", "keyCompromise")
    assert final["status"] == "revoked"
    assert reason_of(fetch_crl(certificate), certificate) == "keyCompromise"
    assert "not on hold" in cli(app, "release", "--serial", serial).output
    twice = cli(app, "revoke", "--serial", serial, "--reason", "superseded")
    assert twice.exit_code == 2 and "already revoked" in twice.output


@pytest.mark.parametrize(("serial", "reason", "message"), [
    ("abcdef0123", "keyCompromise", "no certificate 'abcdef0123'"),
    ("zz", "keyCompromise", "serial number must be hexadecimal"),
    (None, "removeFromCRL", "reason must be one of"),
    (None, "stolen", "reason must be one of"),
    (None, "cACompromise", "cACompromise is for CA certificates"),
])
def test_bad_revocations_are_usage_errors(app, tmp_path, issuer, serial, reason, message):
    init_hierarchy(app)
    row, certificate, _ = issue(app, tmp_path, "card")
    before = crl_number(fetch_crl(certificate))
    result = cli(app, "revoke", "--serial", serial or row["serial"], "--reason", reason)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert cli_json(app, "show", row["serial"])["status"] == "good"
    assert crl_number(fetch_crl(certificate)) == before


def test_crl_command_and_distribution_points(app, tmp_path, issuer):
    h = init_hierarchy(app)
    out = tmp_path / "root.crl"
    result = cli(app, "crl", "--authority", "root", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("published CRL 2 of root")
    written = x509.load_der_x509_crl(out.read_bytes())
    assert written.is_signature_valid(h["root"].public_key())
    served = requests.get(f"{issuer}/pki/crl/root.crl", timeout=10)
    assert x509.load_der_x509_crl(served.content) == written

    # Issuing CA certificates point at the root's CRL, which lists a revoked CA.
    card_serial = format(h["card"].serial_number, "x")
    cli_json(app, "revoke", "--serial", card_serial, "--reason", "cACompromise")
    root_crl = fetch_crl(h["card"])
    assert reason_of(root_crl, h["card"]) == "cACompromise"
    assert crl_number(root_crl) == 3

    for name in ("nope", "card-ocsp"):
        missing = requests.get(f"{issuer}/pki/crl/{name}.crl", timeout=10)
        assert missing.status_code == 404
        assert missing.json()["error"] == "not_found"
    responder = cli(app, "crl", "--authority", "card-ocsp")
    assert responder.exit_code == 2 and "is an OCSP responder" in responder.output
    unknown = cli(app, "crl", "--authority", "nope")
    assert unknown.exit_code == 2 and "no authority 'nope'" in unknown.output


def test_expired_crl_is_republished_or_unavailable(app, tmp_path, issuer):
    h = init_hierarchy(app)
    _, certificate, _ = issue(app, tmp_path, "card")
    first = fetch_crl(certificate)
    with app.app_context():  # the published CRL has passed its nextUpdate
        db.session.execute(db.update(PublishedCrl).values(
            this_update=first.last_update_utc - timedelta(days=2),
            next_update=first.last_update_utc - timedelta(days=1)))
        db.session.commit()
    fresh = fetch_crl(certificate)
    assert crl_number(fresh) == crl_number(first) + 1
    assert fresh.is_signature_valid(h["card"].public_key())

    with app.app_context():  # expired again, and the CA key cannot be reached
        db.session.execute(db.update(PublishedCrl).values(
            next_update=first.last_update_utc - timedelta(days=1)))
        db.session.execute(db.update(Authority).filter_by(name="card")
                           .values(key_id="no-such-key"))
        db.session.commit()
    response = requests.get(f"{issuer}/pki/crl/card.crl", timeout=10)
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
