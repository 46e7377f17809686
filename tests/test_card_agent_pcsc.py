"""The card agent on the real PC/SC path: pcscd (started by certs/card-lab.sh) with the
vsmartcard virtual reader, the project's PIV card emulator in it, pyscard watching the
reader and OpenSC's PKCS#11 module signing."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from connectors.card_reader.emulator import PivCard
from connectors.card_reader.emulator import VirtualReader

from .card_agent_support import OPENSC
from .card_agent_support import ORIGIN
from .card_agent_support import Agent
from .card_agent_support import card_lab
from .card_agent_support import verify_token

READER = "Virtual PCD 00 00"  # vpcd's first reader, 127.0.0.1:35963


@pytest.fixture(scope="module")
def lab(tmp_path_factory, token_config, database_url, server_port):
    return card_lab(tmp_path_factory, token_config, database_url, server_port)


@pytest.fixture(scope="module")
def agent(lab):
    running = Agent(["--readers", "pcsc", "--pkcs11-module", OPENSC, "--trusted-origin", ORIGIN])
    yield running
    running.stop()


def reader_state(body):
    return next((r for r in body["readers"] if r["name"] == READER), None)


def make_card(lab, **options):
    emulator = lab[1]["emulator"]
    with open(emulator["key"], "rb") as key, open(emulator["certificate"], "rb") as cert:
        return PivCard(serialization.load_pem_private_key(key.read(), None),
                       x509.load_pem_x509_certificate(cert.read()), emulator["pin"], **options)


@pytest.fixture
def reader(agent, lab):
    """The emulated card, out of the reader; the test inserts it."""
    body = agent.wait_for_status(lambda b: (reader_state(b) or {}).get("card_present") is False)
    if reader_state(body) is None or reader_state(body)["card_present"]:
        pytest.fail(f"{READER} is missing or holds another card: {body}", pytrace=False)
    link = VirtualReader(make_card(lab))
    yield link
    link.remove()
    agent.wait_for_status(lambda b: not reader_state(b)["card_present"])


def insert(agent, link):
    link.insert()
    body = agent.wait_for_status(lambda b: b["state"] == "ready")
    assert body["state"] == "ready", body
    return body


def test_reader_sees_insertion_and_removal(agent, reader):
    body = agent.status().json()
    assert body["mode"] == "pcsc" and body["service"] is True
    assert reader_state(body) == {"name": READER, "card_present": False}
    assert body["state"] == "no_card" and body["card"] is None

    body = insert(agent, reader)
    assert reader_state(body)["card_present"] is True
    assert body["card"]["reader"] == READER
    assert body["card"]["national_id"] == "10384756"
    assert body["card"]["algorithm"] == "ES256"

    reader.remove()
    body = agent.wait_for_status(lambda b: b["state"] == "no_card")
    assert reader_state(body)["card_present"] is False and body["card"] is None

    body = insert(agent, reader)  # put back: seen again
    assert body["card"]["national_id"] == "10384756"


def test_signs_through_opensc(agent, reader):
    insert(agent, reader)
    body, nonce = agent.authenticate("123456")
    assert body["state"] == "done", body
    certificate = verify_token(body["token"], ORIGIN, nonce)
    assert certificate == reader.card.certificate
    assert body["token"]["algorithm"] == "ES256"


def test_wrong_pin_counts_down_to_blocked(agent, reader):
    insert(agent, reader)
    first, _ = agent.authenticate("000000")
    assert (first["error"], first["tries_left"]) == ("wrong_pin", 2)
    second, _ = agent.authenticate("111111")
    assert (second["error"], second["tries_left"]) == ("wrong_pin", 1)
    last, _ = agent.authenticate("222222")
    assert last["state"] == "failed" and last["error"] == "pin_blocked"
    assert reader.card.tries_left == 0
    again = agent.start()
    assert again.status_code == 409 and again.json()["error"] == "pin_blocked"


def test_right_pin_resets_the_counter(agent, reader):
    insert(agent, reader)
    wrong, _ = agent.authenticate("000000")
    assert wrong["tries_left"] == 2
    right, nonce = agent.authenticate("123456")
    assert right["state"] == "done"
    verify_token(right["token"], ORIGIN, nonce)
    assert reader.card.tries_left == 3


def test_blocked_pin_is_refused_before_asking_for_it(agent, reader, lab):
    reader.card = make_card(lab, tries_left=0)
    insert(agent, reader)
    response = agent.start()
    assert response.status_code == 409
    assert response.json()["error"] == "pin_blocked"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_card_removed_mid_signing(agent, reader):
    insert(agent, reader)
    item_id = agent.start().json()["id"]
    reader.remove_on_sign = True  # pulled out when the signature is asked for
    page = agent.enter_pin(item_id, "123456")
    assert "The card was removed." in page.text
    body = agent.poll(item_id).json()
    assert body["state"] == "failed" and body["error"] == "card_removed"
    assert "token" not in body


def test_card_removed_while_waiting_for_the_pin(agent, reader):
    insert(agent, reader)
    item_id = agent.start().json()["id"]
    reader.remove()
    body = agent.wait_for(item_id, "failed")
    assert body["error"] == "card_removed"
    assert "The card was removed." in agent.pin_page(item_id).text


def test_no_card_in_the_reader(agent, reader):
    response = agent.start()
    assert response.status_code == 409 and response.json()["error"] == "no_card"


def test_no_reader_when_pcsc_is_unreachable(tmp_path):
    # pcscd is shared by the whole machine; the agent alone is pointed at a dead socket.
    agent = Agent(["--readers", "pcsc", "--pkcs11-module", OPENSC, "--trusted-origin", ORIGIN],
                  {"PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")})
    try:
        body = agent.status().json()
        assert body["service"] is False and body["readers"] == []
        assert body["state"] == "no_reader"
        response = agent.start()
        assert response.status_code == 409 and response.json()["error"] == "no_reader"
    finally:
        agent.stop()


# The emulator's answers, APDU by APDU (what OpenSC relies on)

SELECT = bytes.fromhex("00A404000BA00000030800001000010000")


def test_emulator_answers_like_a_piv_card(lab):
    card = make_card(lab)
    assert card.transmit(bytes.fromhex("00A4040005D27600012400"))[-2:] == b"\x6a\x82"
    assert card.transmit(bytes.fromhex("00CB3FFF055C035FC10500"))[-2:] == b"\x6a\x82"
    assert card.transmit(bytes.fromhex("00FD000000"))[-2:] == b"\x6d\x00"
    selected = card.transmit(SELECT)
    assert selected[-2:] == b"\x90\x00" and selected[0] == 0x61
    assert card.transmit(bytes.fromhex("00200080"))[-2:] == b"\x63\xc3"  # tries left: 3
    authenticate = bytes.fromhex("0087119A267C2482008120") + bytes(32) + b"\x00"
    assert card.transmit(authenticate)[-2:] == b"\x69\x82"  # PIN not verified
    wrong = bytes.fromhex("00200080083030303030303030")
    assert card.transmit(wrong)[-2:] == b"\x63\xc2"
    right = bytes.fromhex("0020008008313233343536FFFF")
    assert card.transmit(right)[-2:] == b"\x90\x00"
    assert card.transmit(bytes.fromhex("00200080"))[-2:] == b"\x90\x00"
    assert card.tries_left == 3


def test_emulator_chains_long_answers(lab):
    card = make_card(lab)
    card.transmit(SELECT)
    answer = card.transmit(bytes.fromhex("00CB3FFF055C035FC10500"))
    data, status = answer[:-2], answer[-2:]
    assert len(data) == 256 and status[0] == 0x61
    while status[0] == 0x61:
        more = card.transmit(bytes([0x00, 0xC0, 0x00, 0x00, status[1]]))
        data, status = data + more[:-2], more[-2:]
    assert status == b"\x90\x00"
    der = card.certificate.public_bytes(serialization.Encoding.DER)
    assert data.startswith(b"\x53\x82") and der in data
