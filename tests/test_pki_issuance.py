"""The hierarchy (`idp pki init`) and issuance of citizen certificates from requests
(`idp pki issue`), with the CA keys in SoftHSM2; bad requests and bad input refused."""

import json

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

from idp.pki.profiles import CARD_POLICY
from idp.pki.profiles import SIM_POLICY

from .pki_support import NATIONAL_ID
from .pki_support import citizen_key
from .pki_support import cli
from .pki_support import cli_json
from .pki_support import init_hierarchy
from .pki_support import issue
from .pki_support import make_csr


def ext(certificate, cls):
    return certificate.extensions.get_extension_for_class(cls)


def test_init_builds_the_hierarchy_with_token_keys(app):
    h = init_hierarchy(app)
    root = h["root"]
    root.verify_directly_issued_by(root)
    assert isinstance(root.public_key().curve, ec.SECP384R1)
    assert root.signature_hash_algorithm.name == "sha384"
    assert ext(root, x509.BasicConstraints).value.ca
    for name, policy in (("card", CARD_POLICY), ("sim", SIM_POLICY)):
        ca = h[name]
        ca.verify_directly_issued_by(root)
        constraints = ext(ca, x509.BasicConstraints)
        assert constraints.critical and constraints.value.ca
        assert constraints.value.path_length == 0
        usage = ext(ca, x509.KeyUsage)
        assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
        policies = [p.policy_identifier for p in ext(ca, x509.CertificatePolicies).value]
        assert policies == [policy]
    for name, parent in (("root-ocsp", "root"), ("card-ocsp", "card"), ("sim-ocsp", "sim")):
        responder = h[name]
        responder.verify_directly_issued_by(h[parent])
        assert list(ext(responder, x509.ExtendedKeyUsage).value) == [
            ExtendedKeyUsageOID.OCSP_SIGNING]
        assert ext(responder, x509.OCSPNoCheck)
        assert not ext(responder, x509.BasicConstraints).value.ca

    listed = cli_json(app, "authorities")
    assert [(a["name"], a["role"], a["parent"]) for a in listed] == [
        ("root", "root", None), ("card", "issuing", "root"), ("sim", "issuing", "root"),
        ("root-ocsp", "ocsp", "root"), ("card-ocsp", "ocsp", "card"),
        ("sim-ocsp", "ocsp", "sim")]

    again = cli(app, "init")
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_card_certificate_follows_the_profile_not_the_request(app, tmp_path, issuer):
    h = init_hierarchy(app)
    key = citizen_key("p384")
    hostile = make_csr(key, extensions=[
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        (x509.SubjectAlternativeName([x509.DNSName("bank.example")]), False),
    ])
    path = tmp_path / "card.csr"
    path.write_bytes(hostile)
    data = cli_json(app, "issue", "--profile", "card", "--csr", str(path),
                    "--national-id", NATIONAL_ID, "--given-name", "Amina",
                    "--family-name", "Haddad")
    certificate = x509.load_pem_x509_certificate(data["pem"].encode())

    certificate.verify_directly_issued_by(h["card"])
    assert certificate.public_key().public_numbers() == key.public_key().public_numbers()
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == NATIONAL_ID
    assert subject.get_attributes_for_oid(NameOID.GIVEN_NAME)[0].value == "Amina"
    assert subject.get_attributes_for_oid(NameOID.SURNAME)[0].value == "Haddad"
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        f"HADDAD,AMINA,{NATIONAL_ID}")
    assert "Mallory" not in subject.rfc4514_string()

    usage = ext(certificate, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature
    assert not (usage.value.key_cert_sign or usage.value.content_commitment
                or usage.value.key_encipherment)
    assert list(ext(certificate, x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH]
    assert not ext(certificate, x509.BasicConstraints).value.ca
    with pytest.raises(x509.ExtensionNotFound):
        ext(certificate, x509.SubjectAlternativeName)
    policies = [p.policy_identifier for p in ext(certificate, x509.CertificatePolicies).value]
    assert policies == [CARD_POLICY]
    points = ext(certificate, x509.CRLDistributionPoints).value
    assert [p.full_name[0].value for p in points] == [f"{issuer}/pki/crl/card.crl"]
    access = {a.access_method: a.access_location.value
              for a in ext(certificate, x509.AuthorityInformationAccess).value}
    assert access[x509.AuthorityInformationAccessOID.OCSP] == f"{issuer}/pki/ocsp"
    ca_issuers = access[x509.AuthorityInformationAccessOID.CA_ISSUERS]
    assert ca_issuers == f"{issuer}/pki/ca/card.crt"
    assert ext(certificate, x509.AuthorityKeyIdentifier).value.key_identifier == ext(
        h["card"], x509.SubjectKeyIdentifier).value.digest

    # The caIssuers URL serves the issuing CA's certificate over HTTP (DER).
    fetched = requests.get(ca_issuers, timeout=10)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"] == "application/pkix-cert"
    assert x509.load_der_x509_certificate(fetched.content) == h["card"]
    assert requests.get(f"{issuer}/pki/ca/nope.crt", timeout=10).status_code == 404

    assert data["profile"] == "card" and data["status"] == "good"
    assert data["serial"] == format(certificate.serial_number, "x")
    delta = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert 5 * 365 - 1 <= delta.days <= 5 * 365


def test_sim_certificate_comes_from_the_mobile_id_ca(app, tmp_path):
    h = init_hierarchy(app)
    data, certificate, _ = issue(app, tmp_path, "sim", key=citizen_key("rsa2048"), names=None)
    certificate.verify_directly_issued_by(h["sim"])
    with pytest.raises(ValueError):
        certificate.verify_directly_issued_by(h["card"])
    policies = [p.policy_identifier for p in ext(certificate, x509.CertificatePolicies).value]
    assert policies == [SIM_POLICY]
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        NATIONAL_ID)
    assert not certificate.subject.get_attributes_for_oid(NameOID.GIVEN_NAME)
    assert data["issuer"] == "sim"


def test_list_search_and_show(app, tmp_path):
    init_hierarchy(app)
    card, _, _ = issue(app, tmp_path, "card")
    sim, _, _ = issue(app, tmp_path, "sim")
    other, _, _ = issue(app, tmp_path, "card", national_id="38512120000")

    listed = cli_json(app, "list", "--profile", "card")
    assert [c["serial"] for c in listed] == [card["serial"], other["serial"]]
    found = cli_json(app, "search", "--national-id", NATIONAL_ID)
    assert [c["serial"] for c in found] == [card["serial"], sim["serial"]]
    by_serial = cli_json(app, "search", "--serial", card["serial"].upper())
    assert [c["serial"] for c in by_serial] == [card["serial"]]
    good = cli_json(app, "search", "--status", "good")
    assert {card["serial"], sim["serial"], other["serial"]} <= {c["serial"] for c in good}
    shown = cli_json(app, "show", sim["serial"])
    assert shown == sim

    text = cli(app, "search", "--national-id", NATIONAL_ID)
    assert text.exit_code == 0 and card["serial"] in text.output
    pem = cli(app, "show", card["serial"], "--pem")
    assert x509.load_pem_x509_certificate(pem.output.encode()).serial_number == int(
        card["serial"], 16)
    assert "give --national-id" in cli(app, "search").output
    missing = cli(app, "show", "abcdef")
    assert missing.exit_code == 2 and "no certificate" in missing.output
    garbage = cli(app, "show", "not-hex")
    assert garbage.exit_code == 2 and "hexadecimal" in garbage.output


def _bad_signature(pem):
    der = bytearray(x509.load_pem_x509_csr(pem).public_bytes(Encoding.DER))
    der[-5] ^= 0x01  # inside the signature value
    return bytes(der)


def _dsa_csr():
    return make_csr(dsa.generate_private_key(key_size=2048))


BAD_REQUESTS = [
    ("garbage", lambda: b"this is not a request", "unreadable request"),
    ("truncated PEM", lambda: make_csr()[:200], "unreadable request"),
    ("empty", lambda: b"", "empty or oversized"),
    ("wrong signature", lambda: _bad_signature(make_csr()), "does not verify"),
    ("RSA-1024", lambda: make_csr(citizen_key("rsa1024")), "RSA-1024 is not allowed"),
    ("P-521", lambda: make_csr(ec.generate_private_key(ec.SECP521R1())),
     "curve secp521r1 is not allowed"),
    ("secp256k1", lambda: make_csr(ec.generate_private_key(ec.SECP256K1())),
     "curve secp256k1 is not allowed"),
    ("RSA exponent 3", lambda: make_csr(rsa.generate_private_key(3, 2048)),
     "exponent 3 is not allowed"),
    ("Ed25519", lambda: make_csr(ed25519.Ed25519PrivateKey.generate()),
     "is not allowed"),
    ("DSA", _dsa_csr, "is not allowed"),
]


@pytest.mark.parametrize(("case", "make", "message"), BAD_REQUESTS,
                         ids=[c[0] for c in BAD_REQUESTS])
def test_bad_requests_are_refused(app, tmp_path, case, make, message):
    init_hierarchy(app)
    path = tmp_path / "bad.csr"
    path.write_bytes(make())
    result = cli(app, "issue", "--profile", "card", "--csr", str(path),
                 "--national-id", NATIONAL_ID)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert cli_json(app, "list", "--profile", "card") == []


@pytest.mark.parametrize(("args", "message"), [
    (["--profile", "server"], "unknown profile 'server'"),
    (["--national-id", "12"], "national ID must be 4-32 digits or capital letters"),
    (["--national-id", "2900101123<"], "national ID must be"),
    (["--given-name", "Amina\u0000"], "given name must be 1-64 letters"),
    (["--family-name", "H" * 65], "family name must be 1-64 letters"),
    (["--family-name", "<script>"], "family name must be 1-64 letters"),
])
def test_bad_issue_input_is_a_usage_error(app, tmp_path, args, message):
    init_hierarchy(app)
    path = tmp_path / "good.csr"
    path.write_bytes(make_csr())
    base = {"--profile": "card", "--national-id": NATIONAL_ID}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for pair in base.items() for x in pair]
    result = cli(app, "issue", "--csr", str(path), *flat)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert cli_json(app, "list", "--profile", "card") == []


def test_arabic_names_are_kept(app, tmp_path):
    init_hierarchy(app)
    _, certificate, _ = issue(app, tmp_path, "card", names=("أمينة", "حداد"))
    assert certificate.subject.get_attributes_for_oid(NameOID.GIVEN_NAME)[0].value == "أمينة"


def test_issue_needs_the_hierarchy(app, tmp_path):
    path = tmp_path / "good.csr"
    path.write_bytes(make_csr())
    result = cli(app, "issue", "--profile", "card", "--csr", str(path),
                 "--national-id", NATIONAL_ID)
    assert result.exit_code == 2
    assert "no authority 'card'" in result.output
    assert json.loads(cli(app, "list", "--json").output) == []
