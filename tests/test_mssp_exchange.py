"""Mobile ID signatures through the MSSP simulator over real sockets: MSS_Signature and
MSS_StatusQuery in asynchronous client-server mode, each phone answer and refusal mapped
to its outcome and exception."""

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors.errors import CredentialsRejectedError
from connectors.errors import InvalidDataError
from connectors.errors import InvalidMsisdnError
from connectors.errors import NotFoundError
from connectors.errors import RejectedError
from connectors.errors import UnavailableError
from connectors.mssp import Outcome
from connectors.mssp import StatusCode
from connectors.mssp import verification_code
from connectors.mssp.errors import BadRequestError
from connectors.mssp.errors import CardBlockedError
from connectors.mssp.errors import NoKeyError
from connectors.mssp.errors import NotACustomerError
from connectors.mssp.errors import PhoneUnreachableError
from connectors.mssp.errors import PinBlockedError
from connectors.mssp.errors import TransactionExpiredError
from connectors.mssp.errors import UnknownClientError
from connectors.mssp.errors import UserCancelledError
from idp.pki.profiles import SIM_POLICY

from .mssp_support import CUSTOMER
from .mssp_support import NO_CERTIFICATE
from .mssp_support import NO_KEY
from .mssp_support import SECOND
from .mssp_support import SIMS
from .mssp_support import UNKNOWN
from .mssp_support import now
from .mssp_support import shared_simulator
from .mssp_support import wait_until


@pytest.fixture
def mssp(app, tmp_path_factory):
    return shared_simulator(app, tmp_path_factory)


def start(client, msisdn=CUSTOMER, data=None):
    data = data or secrets.token_bytes(32)
    return client.start(msisdn, data, f"Bawaba login {verification_code(data)}", now=now())


def test_confirmed_request_returns_the_sim_signature_and_its_mobile_id_chain(mssp):
    mssp.script(CUSTOMER, behaviour="confirm_after", delay=0.2, pin="1234")
    client = mssp.client()
    data = secrets.token_bytes(32)
    pending = start(client, data=data)
    assert (pending.msisdn, pending.data, pending.operator) == (CUSTOMER, data, "dev")
    assert pending.verification_code == verification_code(data)

    signature = client.wait(pending)

    assert signature.status is StatusCode.VALID_SIGNATURE
    assert (signature.msisdn, signature.data) == (CUSTOMER, data)
    assert signature.mssp_trans_id == pending.mssp_trans_id
    leaf = signature.certificate
    leaf.public_key().verify(signature.signature, data, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        leaf.public_key().verify(signature.signature, data + b"!", ec.ECDSA(hashes.SHA256()))
    mobile_id_ca = mssp.authorities["sim"]
    leaf.verify_directly_issued_by(mobile_id_ca)
    assert signature.chain == (leaf, mobile_id_ca)
    policies = leaf.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier for p in policies] == [SIM_POLICY]
    serial = leaf.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    assert [a.value for a in serial] == ["10293847"]
    phone = mssp.transaction(CUSTOMER, pending.mssp_trans_id)
    assert (phone["state"], phone["code"]) == ("signed", verification_code(data))
    assert phone["display_text"] == f"Bawaba login {verification_code(data)}"


def test_polling_before_the_answer_is_outstanding(mssp):
    client = mssp.client()
    pending = start(client)

    result = client.poll(pending, now=now())

    assert (result.outcome, result.signature) == (Outcome.OUTSTANDING, None)
    assert mssp.transaction(CUSTOMER, pending.mssp_trans_id)["state"] == "pending"


@pytest.mark.parametrize(("behaviour", "error", "family", "code"), [
    ("cancel", UserCancelledError, RejectedError, "401"),
    ("wrong_pin_until_blocked", PinBlockedError, RejectedError, "402"),
    ("card_blocked", CardBlockedError, RejectedError, "403"),
    ("unreachable", PhoneUnreachableError, UnavailableError, "209"),
])
def test_scripted_phone_answers_become_outcomes(mssp, behaviour, error, family, code):
    mssp.script(SECOND, behaviour=behaviour, delay=0.1)
    client = mssp.client()
    pending = start(client, SECOND)

    with pytest.raises(error) as raised:
        client.wait(pending)

    assert raised.value.outcome is error.outcome
    assert isinstance(raised.value, family)
    assert (raised.value.code, raised.value.connector) == (code, "mssp")
    assert mssp.transaction(SECOND, pending.mssp_trans_id)["state"] == "failed"


@pytest.mark.parametrize(("msisdn", "script", "error", "code"), [
    (UNKNOWN, None, NotACustomerError, "105"),
    (SECOND, "not_a_customer", NotACustomerError, "105"),
    (NO_KEY, None, NoKeyError, "404"),
    (NO_CERTIFICATE, None, NoKeyError, "422"),
])
def test_refusals_at_request_time_become_outcomes(mssp, msisdn, script, error, code):
    if script:
        mssp.script(msisdn, behaviour=script)
    with pytest.raises(error) as raised:
        start(mssp.client(), msisdn)
    assert raised.value.code == code
    assert raised.value.outcome in (Outcome.NOT_A_CUSTOMER, Outcome.NO_KEY)
    if error is NotACustomerError:
        assert isinstance(raised.value, NotFoundError)


def test_blocked_pin_stays_blocked_until_the_sim_is_reset(mssp):
    client = mssp.client()
    mssp.script(SECOND, behaviour="wrong_pin_until_blocked")
    with pytest.raises(PinBlockedError):
        client.wait(start(client, SECOND))
    assert (mssp.phone(SECOND)["pin_blocked"], mssp.phone(SECOND)["pin_tries_left"]) == (
        True, 0)

    mssp.script(SECOND, behaviour="confirm_after", pin=SIMS[SECOND].pin)
    with pytest.raises(PinBlockedError):
        client.wait(start(client, SECOND))

    mssp.script(SECOND, behaviour="reset")
    mssp.script(SECOND, behaviour="confirm_after", pin=SIMS[SECOND].pin)
    assert client.wait(start(client, SECOND)).status is StatusCode.VALID_SIGNATURE


def test_a_wrong_pin_costs_a_try_and_the_request_stays_pending(mssp):
    mssp.script(CUSTOMER, behaviour="confirm_after", pin="0000")
    client = mssp.client()
    pending = start(client)
    wait_until(lambda: mssp.phone(CUSTOMER)["pin_tries_left"] == 2)

    assert client.poll(pending, now=now()).outcome is Outcome.OUTSTANDING
    assert mssp.transaction(CUSTOMER, pending.mssp_trans_id)["notice"] == (
        "Wrong PIN: 2 tries left")


def test_request_expires_at_the_mssp_after_its_timeout(mssp):
    mssp.script(CUSTOMER, behaviour="never_answer")
    client = mssp.client(transaction_timeout=1)
    pending = start(client)

    with pytest.raises(TransactionExpiredError) as raised:
        client.wait(pending)

    assert (raised.value.code, raised.value.outcome) == ("208", Outcome.EXPIRED)
    assert mssp.transaction(CUSTOMER, pending.mssp_trans_id)["fault"] == "EXPIRED_TRANSACTION"


def test_client_stops_believing_outstanding_after_the_deadline(mssp):
    client = mssp.client()
    pending = start(client)
    assert client.poll(pending, now=pending.deadline - (pending.deadline - pending.started_at)
                       / 2).outcome is Outcome.OUTSTANDING

    with pytest.raises(TransactionExpiredError) as raised:
        client.poll(pending, now=pending.deadline)

    assert raised.value.code == "deadline"


@pytest.mark.parametrize("overrides", [{"ap_password": "wrong-password"},
                                       {"ap_id": "someone-else"}])
def test_wrong_ap_credentials_are_an_unknown_client(mssp, overrides):
    with pytest.raises(UnknownClientError) as raised:
        start(mssp.client(**overrides))
    assert raised.value.code == "104"
    assert raised.value.outcome is Outcome.UNKNOWN_CLIENT
    assert isinstance(raised.value, CredentialsRejectedError)
    assert "wrong-password" not in str(raised.value)

    pending = start(mssp.client())
    with pytest.raises(UnknownClientError):
        mssp.client(**overrides).poll(pending, now=now())


def test_unsupported_signature_profile_is_a_bad_request(mssp):
    with pytest.raises(BadRequestError) as raised:
        start(mssp.client(signature_profile="urn:other:profile"))
    assert (raised.value.code, raised.value.outcome) == ("109", Outcome.BAD_REQUEST)


@pytest.mark.parametrize(("msisdn", "data", "text", "error"), [
    ("12", b"x", "Login", InvalidMsisdnError),
    ("+442079460000", b"x", "Login", InvalidMsisdnError),  # a landline
    (CUSTOMER, b"", "Login", InvalidDataError),
    (CUSTOMER, b"x" * 1025, "Login", InvalidDataError),
    (CUSTOMER, b"x", "", InvalidDataError),
    (CUSTOMER, b"x", "L" * 161, InvalidDataError),
    (CUSTOMER, b"x", "Login\x07", InvalidDataError),
])
def test_bad_input_is_refused_before_anything_is_sent(mssp, msisdn, data, text, error):
    before = mssp.phone(CUSTOMER)["requests"]
    with pytest.raises(error):
        mssp.client().start(msisdn, data, text, now=now())
    assert mssp.phone(CUSTOMER)["requests"] == before


def test_local_numbers_are_sent_in_e164_form(mssp):
    mssp.script(CUSTOMER, behaviour="confirm_after")
    client = mssp.client()
    pending = client.start("9123 4567", b"challenge", "Bawaba login", now=now())
    assert pending.msisdn == CUSTOMER
    assert client.wait(pending).msisdn == CUSTOMER


def test_parallel_confirmations_on_several_sims_all_verify(mssp):
    phones = [m for m, sim in SIMS.items() if sim.certificate]
    for msisdn in phones:
        mssp.script(msisdn, behaviour="confirm_after")
    client = mssp.client()
    requests = [(msisdn, secrets.token_bytes(32)) for msisdn in phones * 4]
    with ThreadPoolExecutor(max_workers=8) as pool:
        signatures = list(pool.map(lambda r: client.wait(start(client, *r)), requests))

    for (msisdn, data), signature in zip(requests, signatures, strict=True):
        assert (signature.msisdn, signature.data) == (msisdn, data)
        signature.certificate.public_key().verify(signature.signature, data,
                                                  ec.ECDSA(hashes.SHA256()))
