"""SMPP v3.4 transport against the SMS simulator's SMPP server, over real sockets."""

import queue
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from connectors.errors import CredentialsRejectedError
from connectors.errors import InvalidMsisdnError
from connectors.errors import NotFoundError
from connectors.errors import RejectedError
from connectors.errors import ThrottledError
from connectors.errors import UnavailableError
from connectors.sms import SmsStatus
from connectors.sms import sms_gateway_from_settings
from connectors.sms.simulator import SmsSimulator
from connectors.sms.simulator import SmsSimulatorConfig
from connectors.sms.smpp import LongMessageMode
from connectors.sms.smpp import SmppSettings
from connectors.sms.smpp import SmppSmsGateway
from connectors.sms.smpp_codes import CommandId
from connectors.sms.smpp_codes import CommandStatus
from connectors.sms.smpp_codes import DataCoding
from connectors.sms.smpp_codes import EsmClass
from connectors.sms.smpp_receipts import parse_receipt
from connectors.sms.smpp_wire import HEADER
from connectors.sms.smpp_wire import Pdu
from connectors.sms.smpp_wire import cstring

from .connector_support import closed_port
from .connector_support import wait_until

MSISDN = "+96891234567"
ARABIC = "بوابة: رمز التحقق 482913"
BILINGUAL = ("بوابة: رمز التحقق لتسجيل الدخول هو 482913. لا تشاركه مع أحد.\n"
             "Bawaba: your sign-in code is 482913. Do not share it.")


@pytest.fixture(scope="module")
def simulator():
    sim = SmsSimulator(SmsSimulatorConfig(smpp_port=0, http_port=0)).start()
    yield sim
    sim.stop()


@pytest.fixture(autouse=True)
def fresh_simulator(simulator):
    simulator.outbox.clear()
    simulator.control.configure({"mode": "normal"})
    yield


@pytest.fixture
def reports():
    return queue.Queue()


@pytest.fixture
def make_gateway(simulator, reports):
    made = []

    def make(**overrides):
        values = dict(host="127.0.0.1", port=simulator.smpp.port, system_id="bawaba",
                      password="simulate", timeout=5.0)
        values.update(overrides)
        gateway = SmppSmsGateway(SmppSettings(**values), on_delivery=reports.put)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


def newest(simulator):
    return simulator.outbox.messages()[0]


def test_arabic_text_goes_as_ucs2_and_arrives_intact(simulator, make_gateway):
    receipt = make_gateway().send("+968 9123 4567", ARABIC, reference="otp-1")

    assert receipt.status is SmsStatus.ACCEPTED
    message = newest(simulator)
    assert message.text == ARABIC
    assert message.data_coding == DataCoding.UCS2
    assert message.to == MSISDN
    assert message.sender == "Bawaba"
    assert message.transport == "smpp"
    assert (message.id, message.parts) == (receipt.message_id, 1)


def test_plain_text_uses_the_gsm_default_alphabet(simulator, make_gateway):
    text = "Bawaba code 482913 @ $5 [x] €"
    make_gateway().send(MSISDN, text, reference="otp-2")

    message = newest(simulator)
    assert (message.text, message.data_coding) == (text, DataCoding.SMSC_DEFAULT)


def test_ucs2_only_setting_never_uses_gsm(simulator, make_gateway):
    make_gateway(allow_gsm7=False).send(MSISDN, "code 482913", reference="otp-3")

    assert newest(simulator).data_coding == DataCoding.UCS2


@pytest.mark.parametrize(("mode", "submissions"), [
    (LongMessageMode.UDH, 2), (LongMessageMode.SAR, 2), (LongMessageMode.PAYLOAD, 1)])
def test_long_bilingual_message_is_reassembled(simulator, make_gateway, mode, submissions):
    receipt = make_gateway(long_messages=mode).send(MSISDN, BILINGUAL, reference="otp-4")

    message = newest(simulator)
    assert message.text == BILINGUAL
    assert message.parts == submissions
    assert list(receipt.part_ids) == message.part_ids
    assert receipt.message_id == message.id == receipt.part_ids[0]


def test_very_long_message_in_many_segments(simulator, make_gateway):
    text = "رسالة طويلة " * 40
    receipt = make_gateway().send(MSISDN, text, reference="otp-5")

    assert newest(simulator).text == text
    assert len(receipt.part_ids) == newest(simulator).parts > 3


def test_delivery_receipt_reaches_the_callback(make_gateway, reports):
    gateway = make_gateway()
    receipt = gateway.send(MSISDN, BILINGUAL, reference="otp-6")

    report = reports.get(timeout=10)
    assert (report.message_id, report.status, report.error_code) == (
        receipt.message_id, SmsStatus.DELIVERED, "000")
    assert report.done_at is not None
    assert gateway.delivery_status(receipt.message_id) is SmsStatus.DELIVERED
    assert gateway.delivery_status(receipt.part_ids[1]) is SmsStatus.DELIVERED


def test_undeliverable_receipt(simulator, make_gateway, reports):
    simulator.control.configure({"mode": "undeliverable", "count": 1})
    gateway = make_gateway()
    receipt = gateway.send(MSISDN, ARABIC, reference="otp-7")

    report = reports.get(timeout=10)
    assert (report.message_id, report.status, report.error_code) == (
        receipt.message_id, SmsStatus.UNDELIVERABLE, "001")
    assert gateway.delivery_status(receipt.message_id) is SmsStatus.UNDELIVERABLE
    assert newest(simulator).status == "undeliverable"


def test_concurrent_senders_share_one_session(simulator, make_gateway, reports):
    gateway = make_gateway()
    texts = [f"{BILINGUAL} #{n}" for n in range(24)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        receipts = list(pool.map(
            lambda text: gateway.send(MSISDN, text, reference=text[-3:]), texts))

    by_id = {m.id: m for m in simulator.outbox.messages()}
    assert [by_id[r.message_id].text for r in receipts] == texts
    wait_until(lambda: simulator.smpp.connection_count == 1)      # one session, no rebinds
    delivered = {reports.get(timeout=10).message_id for _ in texts}
    assert delivered == {r.message_id for r in receipts}


class ReceiptPdu:
    """The fields of a received deliver_sm that parse_receipt reads."""

    def __init__(self, esm_class, short_message, **tlvs):
        self.esm_class = esm_class
        self.short_message = short_message
        self.__dict__.update(tlvs)


def test_receipt_read_from_text_when_tlvs_are_absent():
    pdu = ReceiptPdu(EsmClass.DELIVERY_RECEIPT,
                     b"id:0a1b2c sub:001 dlvrd:000 submit date:2611221530 "
                     b"done date:2611221531 stat:EXPIRED err:027 text:")
    report = parse_receipt(pdu)
    assert (report.message_id, report.status, report.error_code) == (
        "0a1b2c", SmsStatus.EXPIRED, "027")
    assert report.done_at.isoformat() == "2026-11-22T15:31:00+00:00"


def test_receipt_tlvs_win_over_text():
    pdu = ReceiptPdu(EsmClass.DELIVERY_RECEIPT, b"id:ignored stat:DELIVRD err:000",
                     receipted_message_id=b"ff00", message_state=5)
    report = parse_receipt(pdu)
    assert (report.message_id, report.status) == ("ff00", SmsStatus.UNDELIVERABLE)


def test_mobile_originated_message_is_not_a_receipt():
    assert parse_receipt(ReceiptPdu(EsmClass.DEFAULT, b"id:1 stat:DELIVRD")) is None


def test_status_of_unknown_message_is_not_found(make_gateway):
    with pytest.raises(NotFoundError):
        make_gateway().delivery_status("no-such-id")


def test_wrong_password_is_a_credentials_error(make_gateway):
    with pytest.raises(CredentialsRejectedError) as caught:
        make_gateway(password="wrong").send(MSISDN, ARABIC, reference="otp-8")
    assert caught.value.code == "ESME_RINVPASWD"
    assert isinstance(caught.value, UnavailableError)


def test_unknown_system_id_is_a_credentials_error(make_gateway):
    with pytest.raises(CredentialsRejectedError) as caught:
        make_gateway(system_id="intruder").send(MSISDN, ARABIC, reference="otp-9")
    assert caught.value.code == "ESME_RINVSYSID"


@pytest.mark.parametrize(("mode", "error", "code"), [
    ("down", UnavailableError, "ESME_RSYSERR"),
    ("throttle", ThrottledError, "ESME_RTHROTTLED"),
    ("reject", RejectedError, "ESME_RSUBMITFAIL"),
])
def test_scripted_failures_map_to_connector_errors(simulator, make_gateway, mode, error, code):
    gateway = make_gateway()
    gateway.send(MSISDN, ARABIC, reference="warm-up")    # bound before the failure
    simulator.outbox.clear()
    simulator.control.configure({"mode": mode})

    with pytest.raises(error) as caught:
        gateway.send(MSISDN, ARABIC, reference="otp-10")
    assert caught.value.code == code
    assert caught.value.connector == "sms"
    assert simulator.outbox.messages() == []


def test_bind_during_outage_is_unavailable(simulator, make_gateway):
    simulator.control.configure({"mode": "down"})

    with pytest.raises(UnavailableError) as caught:
        make_gateway().send(MSISDN, ARABIC, reference="otp-11")
    assert caught.value.code == "ESME_RSYSERR"
    assert not isinstance(caught.value, CredentialsRejectedError)


def test_session_survives_a_failed_submission(simulator, make_gateway):
    gateway = make_gateway()
    gateway.send(MSISDN, ARABIC, reference="warm-up")
    simulator.control.configure({"mode": "throttle", "count": 1})

    with pytest.raises(ThrottledError):
        gateway.send(MSISDN, ARABIC, reference="otp-12")
    gateway.send(MSISDN, "after", reference="otp-13")
    assert newest(simulator).text == "after"


def test_slow_centre_times_out_as_unavailable(simulator, make_gateway):
    simulator.control.configure({"mode": "slow", "delay": 5})

    with pytest.raises(UnavailableError) as caught:
        make_gateway(timeout=0.5).send(MSISDN, ARABIC, reference="otp-14")
    assert caught.value.code == "timeout"


def test_connection_refused_is_unavailable(make_gateway):
    with pytest.raises(UnavailableError) as caught:
        make_gateway(port=closed_port()).send(MSISDN, ARABIC, reference="otp-15")
    assert caught.value.code == "connection"


def test_rebinds_after_the_centre_drops_the_link(simulator, make_gateway):
    gateway = make_gateway()
    gateway.send(MSISDN, ARABIC, reference="warm-up")
    assert gateway.connected

    simulator.smpp.drop_connections()
    wait_until(lambda: not gateway.connected)
    gateway.send(MSISDN, "again", reference="otp-16")

    assert gateway.connected
    assert newest(simulator).text == "again"


def test_idle_session_is_kept_alive_with_enquire_link(simulator, make_gateway):
    gateway = make_gateway(timeout=0.2, enquire_link_interval=0.2)
    gateway.send(MSISDN, ARABIC, reference="warm-up")
    before = simulator.smpp.enquire_links

    wait_until(lambda: simulator.smpp.enquire_links >= before + 3)
    assert gateway.connected
    gateway.send(MSISDN, "still bound", reference="otp-17")
    assert newest(simulator).text == "still bound"


@pytest.mark.parametrize("number", ["12345", "+96824123456", "+96891234567ext12", ""])
def test_invalid_numbers_are_refused_before_sending(simulator, make_gateway, number):
    with pytest.raises(InvalidMsisdnError) as caught:
        make_gateway(port=closed_port()).send(number, ARABIC, reference="otp-18")
    assert caught.value.field == "to_msisdn"


def test_factory_builds_the_smpp_transport_from_text_settings(simulator, reports):
    settings = {key: str(value) for key, value in simulator.settings("smpp").items()}
    settings["SMS_SMPP_LONG_MESSAGES"] = "sar"
    gateway = sms_gateway_from_settings(settings, on_delivery=reports.put)
    try:
        receipt = gateway.send("91234567", BILINGUAL, reference="otp-19")
    finally:
        gateway.close()
    assert isinstance(gateway, SmppSmsGateway)
    assert newest(simulator).id == receipt.message_id
    assert newest(simulator).to == MSISDN


def test_outbox_json_shows_smpp_messages(simulator, make_gateway):
    make_gateway().send(MSISDN, ARABIC, reference="otp-20")

    body = requests.get(simulator.http.url + "/outbox", params={"to": MSISDN}, timeout=5).json()
    assert [m["text"] for m in body["messages"]] == [ARABIC]
    assert body["messages"][0]["transport"] == "smpp"


class RawEsme:
    """A hand-written SMPP client, to check the server's state machine."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sequence = 0

    def request(self, command_id, body=b""):
        self.sequence += 1
        self.sock.sendall(Pdu(command_id, 0, self.sequence, body).encode())
        return self.read()

    def read(self):
        header = self._exactly(HEADER.size)
        if not header:
            return None
        length, command_id, status, sequence = HEADER.unpack(header)
        return Pdu(command_id, status, sequence, self._exactly(length - HEADER.size))

    def _exactly(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                return data
            data += chunk
        return data

    def close(self):
        self.sock.close()


def bind_body(system_id="bawaba", password="simulate"):
    return cstring(system_id) + cstring(password) + cstring("") + bytes((0x34, 0, 0)) + cstring("")


def submit_body(destination="96891234567", text=b"hi"):
    return (cstring("") + bytes((5, 0)) + cstring("Bawaba") + bytes((1, 1)) + cstring(destination)
            + bytes((0, 0, 0)) + cstring("") + cstring("") + bytes((0, 0, 0, 0))
            + bytes((len(text),)) + text)


def test_server_state_machine():
    sim = SmsSimulator(SmsSimulatorConfig(smpp_port=0, http_port=0)).start()
    esme = RawEsme(sim.smpp.port)
    try:
        refused = esme.request(CommandId.SUBMIT_SM, submit_body())
        assert (refused.command_id, refused.status) == (
            CommandId.SUBMIT_SM_RESP, CommandStatus.ESME_RINVBNDSTS)
        unknown = esme.request(0x00000021)                        # submit_multi: unsupported
        assert (unknown.command_id, unknown.status) == (
            CommandId.GENERIC_NACK, CommandStatus.ESME_RINVCMDID)
        bound = esme.request(CommandId.BIND_TRANSMITTER, bind_body())
        assert (bound.command_id, bound.status) == (
            CommandId.BIND_TRANSMITTER_RESP, CommandStatus.ESME_ROK)
        again = esme.request(CommandId.BIND_TRANSMITTER, bind_body())
        assert again.status == CommandStatus.ESME_RALYBND
        bad_destination = esme.request(CommandId.SUBMIT_SM, submit_body("not-a-number"))
        assert bad_destination.status == CommandStatus.ESME_RINVDSTADR
        accepted = esme.request(CommandId.SUBMIT_SM, submit_body())
        assert accepted.status == CommandStatus.ESME_ROK
        assert sim.outbox.messages()[0].id == accepted.body.rstrip(b"\0").decode()
        link = esme.request(CommandId.ENQUIRE_LINK)
        assert (link.command_id, link.sequence) == (CommandId.ENQUIRE_LINK_RESP, esme.sequence)
        unbound = esme.request(CommandId.UNBIND)
        assert (unbound.command_id, unbound.status) == (CommandId.UNBIND_RESP, 0)
        assert esme.read() is None                               # the server hung up
    finally:
        esme.close()
        sim.stop()


def test_receiver_bind_cannot_submit():
    sim = SmsSimulator(SmsSimulatorConfig(smpp_port=0, http_port=0)).start()
    esme = RawEsme(sim.smpp.port)
    try:
        assert esme.request(CommandId.BIND_RECEIVER, bind_body()).status == 0
        refused = esme.request(CommandId.SUBMIT_SM, submit_body())
        assert refused.status == CommandStatus.ESME_RINVBNDSTS
        assert sim.outbox.messages() == []
    finally:
        esme.close()
        sim.stop()
