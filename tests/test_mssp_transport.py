"""The MSSP client when the MSSP misbehaves: refused connections, outages, stalls, malformed
and forged answers, and mutual TLS; over real sockets against the simulator."""

import ipaddress
import secrets
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors.mssp import Outcome
from connectors.mssp import StatusCode
from connectors.mssp.errors import MalformedAnswerError
from connectors.mssp.errors import MsspUnavailableError

from .connector_support import closed_port
from .mssp_support import CUSTOMER
from .mssp_support import now
from .mssp_support import shared_simulator
from .mssp_support import start_simulator
from .mssp_support import wait_until
from .pki_support import init_hierarchy

ANSWERS_TO_REQUEST = ["not_json", "html", "empty", "array", "wrong_message", "no_status",
                      "unknown_status", "wrong_ap_trans_id", "wrong_msisdn", "bad_trans_id",
                      "unknown_fault", "huge"]
ANSWERS_TO_QUERY = ["not_json", "wrong_message", "unknown_status", "wrong_ap_trans_id",
                    "wrong_msisdn", "other_trans_id", "bad_signature", "no_chain",
                    "bad_certificate", "unknown_fault"]


@pytest.fixture
def mssp(app, tmp_path_factory):
    simulator = shared_simulator(app, tmp_path_factory)
    yield simulator
    simulator.misbehave(mode="normal")


def start(client, msisdn=CUSTOMER):
    return client.start(msisdn, secrets.token_bytes(32), "Bawaba login", now=now())


def signed_at_the_mssp(mssp, client):
    """A request the phone has signed, not yet fetched."""
    mssp.script(CUSTOMER, behaviour="confirm_after")
    pending = start(client)
    wait_until(lambda: mssp.transaction(CUSTOMER, pending.mssp_trans_id)["state"] == "signed")
    return pending


def test_refused_connection_is_mssp_unavailable(mssp):
    client = mssp.client(base_url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(MsspUnavailableError) as raised:
        start(client)
    assert (raised.value.code, raised.value.outcome) == ("connection", Outcome.MSSP_UNAVAILABLE)

    pending = start(mssp.client())
    with pytest.raises(MsspUnavailableError):
        client.poll(pending, now=now())


def test_outage_is_mssp_unavailable_and_polling_again_recovers(mssp):
    client = mssp.client()
    mssp.misbehave(mode="down", count=1)
    with pytest.raises(MsspUnavailableError) as raised:
        start(client)
    assert raised.value.code == "503"

    pending = start(client)
    mssp.misbehave(mode="down", count=1)
    with pytest.raises(MsspUnavailableError):
        client.poll(pending, now=now())
    assert client.poll(pending, now=now()).outcome is Outcome.OUTSTANDING


def test_slow_mssp_is_mssp_unavailable(mssp):
    mssp.misbehave(mode="slow", delay=60)
    with pytest.raises(MsspUnavailableError) as raised:
        start(mssp.client(read_timeout=0.3))
    assert raised.value.code == "timeout"


@pytest.mark.parametrize("variant", ANSWERS_TO_REQUEST)
def test_malformed_answer_to_a_request(mssp, variant):
    mssp.misbehave(mode="malformed", variant=variant, count=1)
    with pytest.raises(MalformedAnswerError) as raised:
        start(mssp.client())
    assert raised.value.outcome is Outcome.MALFORMED_ANSWER
    assert start(mssp.client()).mssp_trans_id


@pytest.mark.parametrize("variant", ANSWERS_TO_QUERY)
def test_malformed_answer_to_a_status_query(mssp, variant):
    client = mssp.client()
    pending = signed_at_the_mssp(mssp, client)
    mssp.misbehave(mode="malformed", variant=variant, count=1)

    with pytest.raises(MalformedAnswerError):
        client.poll(pending, now=now())

    assert client.poll(pending, now=now()).outcome is Outcome.SIGNED


def test_forged_signature_over_other_data_is_passed_on_unverified(mssp):
    """The connector does not validate: a forged answer reaches the caller, whose check
    of the signature over the data it asked for must refuse it."""
    client = mssp.client()
    pending = signed_at_the_mssp(mssp, client)
    mssp.misbehave(mode="forged", variant="other_data", count=1)

    signature = client.poll(pending, now=now()).signature

    with pytest.raises(InvalidSignature):
        signature.certificate.public_key().verify(signature.signature, pending.data,
                                                  ec.ECDSA(hashes.SHA256()))


def test_forged_chain_of_another_sim_is_passed_on_unverified(mssp):
    client = mssp.client()
    pending = signed_at_the_mssp(mssp, client)
    mssp.misbehave(mode="forged", variant="other_chain", count=1)

    signature = client.poll(pending, now=now()).signature

    national_id = signature.certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    assert national_id[0].value != "10293847"


def test_control_rejects_unknown_modes_and_variants(mssp):
    for body in ({"mode": "explode"}, {"mode": "malformed", "variant": "nonsense"},
                 {"mode": "slow", "delay": 1000}, {"mode": "down", "count": 0}, []):
        answer = requests.post(mssp.url + "/control", json=body, timeout=5)
        assert answer.status_code == 400
        assert answer.json()["error"] == "invalid_request"
    assert requests.get(mssp.url + "/control", timeout=5).json()["mode"] == "normal"


# Mutual TLS

def _certificate(subject, key, issuer=None, issuer_key=None, ca=False, server=False):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    start_at = datetime.now(UTC) - timedelta(minutes=5)
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer.subject if issuer else name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(start_at)
               .not_valid_after(start_at + timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), True)
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(
        key.public_key()), False)
    if issuer:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _write(path, certificate, key):
    path.with_suffix(".crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return str(path.with_suffix(".crt")), str(path.with_suffix(".key"))


@pytest.fixture
def tls_mssp(app, tmp_path):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Test MSSP CA", ca_key, ca=True)
    ca_file, _ = _write(tmp_path / "ca", ca, ca_key)
    keys = {name: ec.generate_private_key(ec.SECP256R1()) for name in ("server", "ap")}
    server = _write(tmp_path / "server", _certificate("127.0.0.1", keys["server"], ca, ca_key,
                                                      server=True), keys["server"])
    ap = _write(tmp_path / "ap", _certificate("bawaba-dev", keys["ap"], ca, ca_key), keys["ap"])
    simulator = start_simulator(tmp_path / "tls-sims", "--tls-cert", server[0], "--tls-key",
                                server[1], "--client-ca", ca_file)
    try:
        simulator.http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        simulator.http.verify, simulator.http.cert = ca_file, ap
        simulator.personalise(app, CUSTOMER, init_hierarchy(app))
        yield simulator, ca_file, ap
    finally:
        simulator.stop()


def test_mutual_tls_with_the_ap_certificate(tls_mssp):
    simulator, ca_file, (cert, key) = tls_mssp
    assert simulator.url.startswith("https://")
    simulator.script(CUSTOMER, behaviour="confirm_after")
    client = simulator.client(ca_file=ca_file, client_cert=cert, client_key=key)

    signature = client.wait(start(client))

    assert signature.status is StatusCode.VALID_SIGNATURE


@pytest.mark.parametrize("settings", ["no_client_certificate", "untrusted_server"])
def test_tls_failures_are_mssp_unavailable(tls_mssp, settings):
    simulator, ca_file, (cert, key) = tls_mssp
    overrides = ({"ca_file": ca_file} if settings == "no_client_certificate"
                 else {"client_cert": cert, "client_key": key})
    with pytest.raises(MsspUnavailableError) as raised:
        start(simulator.client(**overrides))
    assert raised.value.code in ("tls", "connection")
    assert simulator.phone(CUSTOMER)["requests"] == 0
