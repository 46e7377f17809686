"""The OCSP responder (RFC 6960) over real HTTP, GET and POST: good, revoked (time and
reason), unknown; nonce echoed; signed by the delegated responder; malformedRequest and
unauthorized for bad requests."""

import base64
import os
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

from idp.extensions import db
from idp.models.certificates import Authority

from .pki_support import cli_json
from .pki_support import init_hierarchy
from .pki_support import issue

OCSP_REQUEST = {"Content-Type": "application/ocsp-request"}


def ocsp_url(certificate):
    access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    return next(a.access_location.value for a in access.value
                if a.access_method == x509.AuthorityInformationAccessOID.OCSP)


def build_request(certificate, issuer_cert, nonce=b"n" * 16, algorithm=None):
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer_cert,
                                                       algorithm or hashes.SHA256())
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), False)
    return builder.build().public_bytes(Encoding.DER)


def post(url, body, headers=OCSP_REQUEST):
    response = requests.post(url, data=body, headers=headers, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(response.content)


def check_signed_by_responder(response, ca_cert):
    """The response is signed by a delegated responder certificate issued by the CA."""
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    (responder,) = response.certificates
    responder.verify_directly_issued_by(ca_cert)
    eku = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.OCSP_SIGNING in eku
    assert response.responder_name == responder.subject
    responder.public_key().verify(response.signature, response.tbs_response_bytes,
                                  ec.ECDSA(response.signature_hash_algorithm))
    return responder


def nonce_of(response):
    return response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce


def test_good_over_post_and_get(app, tmp_path, issuer):
    h = init_hierarchy(app)
    _, certificate, _ = issue(app, tmp_path, "card")
    url = ocsp_url(certificate)
    assert url == f"{issuer}/pki/ocsp"

    nonce = os.urandom(32)
    response = post(url, build_request(certificate, h["card"], nonce))
    responder = check_signed_by_responder(response, h["card"])
    assert responder == h["card-ocsp"]
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == certificate.serial_number
    assert response.hash_algorithm.name == "sha256"
    assert nonce_of(response) == nonce
    now = datetime.now(UTC)
    assert response.this_update_utc <= now + timedelta(seconds=5)
    assert response.next_update_utc - response.this_update_utc == timedelta(hours=1)

    # RFC 6960 Appendix A.1: GET with the base64 (then URL-encoded) DER request in the path.
    der = build_request(certificate, h["card"], nonce=None, algorithm=hashes.SHA1())
    encoded = requests.utils.quote(base64.b64encode(der).decode(), safe="")
    fetched = requests.get(f"{url}/{encoded}", timeout=10)
    assert fetched.headers["Content-Type"] == "application/ocsp-response"
    by_get = ocsp.load_der_ocsp_response(fetched.content)
    check_signed_by_responder(by_get, h["card"])
    assert by_get.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert by_get.hash_algorithm.name == "sha1"
    with pytest.raises(x509.ExtensionNotFound):
        nonce_of(by_get)


def test_each_ca_answers_through_its_own_responder(app, tmp_path, issuer):
    h = init_hierarchy(app)
    _, sim_cert, _ = issue(app, tmp_path, "sim")
    sim = post(ocsp_url(sim_cert), build_request(sim_cert, h["sim"]))
    assert check_signed_by_responder(sim, h["sim"]) == h["sim-ocsp"]
    assert sim.certificate_status == ocsp.OCSPCertStatus.GOOD

    card_ca = post(ocsp_url(h["card"]), build_request(h["card"], h["root"]))
    assert check_signed_by_responder(card_ca, h["root"]) == h["root-ocsp"]
    assert card_ca.certificate_status == ocsp.OCSPCertStatus.GOOD


def test_revoked_hold_and_release(app, tmp_path, issuer):
    h = init_hierarchy(app)
    row, certificate, _ = issue(app, tmp_path, "card")
    url = ocsp_url(certificate)

    cli_json(app, "revoke", "--serial", row["serial"], "--reason", "certificateHold")
    held = post(url, build_request(certificate, h["card"]))
    check_signed_by_responder(held, h["card"])
    assert held.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert held.revocation_reason == x509.ReasonFlags.certificate_hold

    cli_json(app, "release", "--serial", row["serial"])
    assert post(url, build_request(certificate, h["card"])).certificate_status == (
        ocsp.OCSPCertStatus.GOOD)

    revoked_row = cli_json(app, "revoke", "--serial", row["serial"], "--reason", "superseded")
    revoked = post(url, build_request(certificate, h["card"]))
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason == x509.ReasonFlags.superseded
    assert revoked.revocation_time_utc.isoformat() == revoked_row["revoked_at"]


def test_unknown_for_serials_never_issued(app, tmp_path, issuer):
    h = init_hierarchy(app)
    _, certificate, _ = issue(app, tmp_path, "card")
    url = ocsp_url(certificate)
    # The card CA's CertID hashes with a serial it never issued: one unknown anywhere, and
    # one the SIM CA issued.
    _, sim_cert, _ = issue(app, tmp_path, "sim")
    template = ocsp.load_der_ocsp_request(build_request(certificate, h["card"]))
    for serial in (certificate.serial_number + 1, sim_cert.serial_number):
        request = (ocsp.OCSPRequestBuilder()
                   .add_certificate_by_hash(template.issuer_name_hash, template.issuer_key_hash,
                                            serial, hashes.SHA256())
                   .build().public_bytes(Encoding.DER))
        unknown = post(url, request)
        check_signed_by_responder(unknown, h["card"])
        assert unknown.serial_number == serial
        assert unknown.certificate_status == ocsp.OCSPCertStatus.UNKNOWN


def _foreign_ca():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Other CA")])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))


def _same_name_other_key(card_ca):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(card_ca.subject)
            .issuer_name(card_ca.subject).public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))


@pytest.mark.parametrize("case", ["garbage", "empty", "wrong content type", "long nonce",
                                  "GET not base64", "GET garbage", "other issuer",
                                  "issuer name with another key"])
def test_bad_requests(app, tmp_path, issuer, case):
    h = init_hierarchy(app)
    _, certificate, _ = issue(app, tmp_path, "card")
    url = f"{issuer}/pki/ocsp"
    good = build_request(certificate, h["card"])
    expected = ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    if case == "garbage":
        response = post(url, b"\x30\x03\x02\x01\x01")
    elif case == "empty":
        response = post(url, b"")
    elif case == "wrong content type":
        response = post(url, good, headers={"Content-Type": "application/json"})
    elif case == "long nonce":
        response = post(url, build_request(certificate, h["card"], nonce=b"n" * 33))
    elif case == "GET not base64":
        response = ocsp.load_der_ocsp_response(requests.get(f"{url}/%25%25%25", timeout=10)
                                               .content)
    elif case == "GET garbage":
        encoded = base64.b64encode(b"garbage").decode()
        response = ocsp.load_der_ocsp_response(requests.get(f"{url}/{encoded}", timeout=10)
                                               .content)
    elif case == "other issuer":
        other = _foreign_ca()
        response = post(url, build_request(other, other))
        expected = ocsp.OCSPResponseStatus.UNAUTHORIZED
    else:
        impostor = _same_name_other_key(h["card"])
        response = post(url, build_request(certificate, impostor))
        expected = ocsp.OCSPResponseStatus.UNAUTHORIZED
    assert response.response_status == expected
    with pytest.raises(ValueError):
        response.certificate_status  # noqa: B018  (unsuccessful responses carry no status)


def test_no_hierarchy_means_unauthorized(app, issuer):
    other = _foreign_ca()
    response = post(f"{issuer}/pki/ocsp", build_request(other, other))
    assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_try_later_when_the_responder_key_is_gone(app, tmp_path, issuer):
    h = init_hierarchy(app)
    _, certificate, _ = issue(app, tmp_path, "card")
    with app.app_context():
        db.session.execute(db.update(Authority).filter_by(name="card-ocsp")
                           .values(key_id="no-such-key"))
        db.session.commit()
    response = post(ocsp_url(certificate), build_request(certificate, h["card"]))
    assert response.response_status == ocsp.OCSPResponseStatus.TRY_LATER
    # The other CAs still answer.
    root_answer = post(ocsp_url(h["card"]), build_request(h["card"], h["root"]))
    assert root_answer.certificate_status == ocsp.OCSPCertStatus.GOOD
