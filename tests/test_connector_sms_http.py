"""HTTPS-gateway transport and the simulator's HTTP side (outbox, page, control)."""

import pytest
import requests

from connectors.errors import ConfigurationError
from connectors.errors import CredentialsRejectedError
from connectors.errors import InvalidDataError
from connectors.errors import InvalidMsisdnError
from connectors.errors import NotFoundError
from connectors.errors import RejectedError
from connectors.errors import ThrottledError
from connectors.errors import UnavailableError
from connectors.sms import SmsStatus
from connectors.sms import sms_gateway_from_settings
from connectors.sms.http_gateway import HttpGatewaySettings
from connectors.sms.http_gateway import HttpSmsGateway
from connectors.sms.http_gateway import parse_delivery_report
from connectors.sms.memory import InMemorySmsGateway
from connectors.sms.simulator import SmsSimulator
from connectors.sms.simulator import SmsSimulatorConfig

from .connector_support import CaptureServer
from .connector_support import closed_port

MSISDN = "+96891234567"
OTHER = "+96892345678"
TEXT = "بوابة: رمز التحقق 482913\nBawaba: your code is 482913"


@pytest.fixture(scope="module")
def simulator():
    sim = SmsSimulator(SmsSimulatorConfig(smpp_port=0, http_port=0)).start()
    yield sim
    sim.stop()


@pytest.fixture(autouse=True)
def fresh_simulator(simulator):
    simulator.outbox.clear()
    simulator.control.configure({"mode": "normal"})
    requests.delete(simulator.http.url + "/outbox", timeout=5)
    yield


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_gateway(simulator, sleeps):
    made = []

    def make(**overrides):
        values = dict(url=simulator.api_url, api_key="dev-sms-key", timeout=5.0, retries=2,
                      backoff=0.25)
        values.update(overrides)
        gateway = HttpSmsGateway(HttpGatewaySettings(**values), sleep=sleeps.append)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


def outbox(simulator, **params):
    answer = requests.get(simulator.http.url + "/outbox", params=params, timeout=5)
    assert answer.status_code == 200
    return answer.json()["messages"]


def test_send_reaches_the_outbox(simulator, make_gateway):
    gateway = make_gateway()
    receipt = gateway.send("0096891234567", TEXT, reference="otp-1")

    assert receipt.status is SmsStatus.ACCEPTED
    assert receipt.part_ids == (receipt.message_id,)
    [message] = outbox(simulator)
    assert (message["id"], message["to"], message["text"]) == (receipt.message_id, MSISDN, TEXT)
    assert (message["sender"], message["reference"], message["transport"]) == (
        "Bawaba", "otp-1", "http")
    assert gateway.delivery_status(receipt.message_id) is SmsStatus.DELIVERED


def test_status_of_unknown_message_is_not_found(make_gateway):
    with pytest.raises(NotFoundError):
        make_gateway().delivery_status("no-such-id")


def test_gateway_down_is_retried_with_backoff_then_unavailable(simulator, make_gateway, sleeps):
    simulator.control.configure({"mode": "down"})

    with pytest.raises(UnavailableError) as caught:
        make_gateway().send(MSISDN, TEXT, reference="otp-2")
    assert caught.value.code == "503"
    assert sleeps == [0.25, 0.5]
    assert outbox(simulator) == []


def test_transient_5xx_is_retried_and_sent_once(simulator, make_gateway, sleeps):
    simulator.control.configure({"mode": "down", "count": 1})

    receipt = make_gateway().send(MSISDN, TEXT, reference="otp-3")

    assert sleeps == [0.25]
    assert [m["id"] for m in outbox(simulator)] == [receipt.message_id]


def test_throttled_is_not_retried(simulator, make_gateway, sleeps):
    simulator.control.configure({"mode": "throttle"})

    with pytest.raises(ThrottledError) as caught:
        make_gateway().send(MSISDN, TEXT, reference="otp-4")
    assert (caught.value.code, caught.value.retry_after) == ("throttled", 1.0)
    assert sleeps == []


def test_rejected_message(simulator, make_gateway, sleeps):
    simulator.control.configure({"mode": "reject"})

    with pytest.raises(RejectedError) as caught:
        make_gateway().send(MSISDN, TEXT, reference="otp-5")
    assert caught.value.code == "rejected"
    assert sleeps == []


def test_wrong_api_key(make_gateway):
    with pytest.raises(CredentialsRejectedError) as caught:
        make_gateway(api_key="wrong").send(MSISDN, TEXT, reference="otp-6")
    assert caught.value.code == "401"


def test_wrong_url_is_unavailable(simulator, make_gateway):
    with pytest.raises(UnavailableError) as caught:
        make_gateway(url=simulator.http.url + "/nowhere").send(MSISDN, TEXT, reference="otp-7")
    assert caught.value.code == "404"


def test_connection_refused_is_unavailable(make_gateway, sleeps):
    with pytest.raises(UnavailableError) as caught:
        make_gateway(url=f"http://127.0.0.1:{closed_port()}/api").send(
            MSISDN, TEXT, reference="otp-8")
    assert caught.value.code == "connection"
    assert len(sleeps) == 2


def test_timeout_is_unavailable(simulator, make_gateway):
    simulator.control.configure({"mode": "slow", "delay": 5})

    with pytest.raises(UnavailableError) as caught:
        make_gateway(timeout=0.3, retries=0).send(MSISDN, TEXT, reference="otp-9")
    assert caught.value.code == "timeout"


def test_invalid_number_is_refused_before_sending(simulator, make_gateway):
    with pytest.raises(InvalidMsisdnError):
        make_gateway().send("+96824123456", TEXT, reference="otp-10")   # a landline
    assert outbox(simulator) == []


def test_idempotency_key_prevents_duplicates(simulator):
    headers = {"X-API-Key": "dev-sms-key", "Idempotency-Key": "otp-11"}
    body = {"to": MSISDN, "text": TEXT, "reference": "otp-11"}
    first = requests.post(simulator.api_url, json=body, headers=headers, timeout=5)
    second = requests.post(simulator.api_url, json=body, headers=headers, timeout=5)

    assert first.status_code == 202
    assert second.status_code == 200
    assert first.json() == second.json()
    assert len(outbox(simulator)) == 1


@pytest.mark.parametrize(("body", "error"), [
    ({"to": "12345", "text": "x"}, "invalid_destination"),
    ({"to": MSISDN, "text": ""}, "invalid_text"),
    ({"to": MSISDN, "text": "x", "callback_url": "ftp://x"}, "invalid_request"),
    (["not", "an", "object"], "invalid_request"),
])
def test_gateway_api_rejects_bad_submissions(simulator, body, error):
    answer = requests.post(simulator.api_url, json=body, headers={"X-API-Key": "dev-sms-key"},
                           timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"] == error
    assert outbox(simulator) == []


def test_delivery_report_is_posted_to_the_callback(simulator, make_gateway):
    with CaptureServer() as callback:
        gateway = make_gateway(callback_url=callback.url + "/sms/reports")
        receipt = gateway.send(MSISDN, TEXT, reference="otp-12")
        assert callback.arrived.wait(10)

    [(path, body)] = callback.received
    report = parse_delivery_report(body)
    assert path == "/sms/reports"
    assert (report.message_id, report.status, report.error_code) == (
        receipt.message_id, SmsStatus.DELIVERED, "000")
    assert report.done_at is not None


def test_failed_delivery_report(simulator, make_gateway):
    simulator.control.configure({"mode": "undeliverable", "count": 1})
    with CaptureServer() as callback:
        make_gateway(callback_url=callback.url).send(MSISDN, TEXT, reference="otp-13")
        assert callback.arrived.wait(10)

    assert parse_delivery_report(callback.received[0][1]).status is SmsStatus.UNDELIVERABLE


@pytest.mark.parametrize("body", [
    [], {"status": "delivered"}, {"message_id": "x", "status": "teleported"},
    {"message_id": "x", "status": "delivered", "done_at": "yesterday"}])
def test_malformed_delivery_reports(body):
    with pytest.raises(InvalidDataError):
        parse_delivery_report(body)


def test_outbox_filters_by_number_newest_first(simulator, make_gateway):
    gateway = make_gateway()
    gateway.send(MSISDN, "first", reference="a")
    gateway.send(OTHER, "other", reference="b")
    gateway.send(MSISDN, "second", reference="c")

    assert [m["text"] for m in outbox(simulator, to=MSISDN)] == ["second", "first"]
    assert [m["text"] for m in outbox(simulator, to="96891234567")] == ["second", "first"]
    assert [m["text"] for m in outbox(simulator, to=OTHER)] == ["other"]
    assert [m["text"] for m in outbox(simulator)] == ["second", "other", "first"]
    assert [m["text"] for m in outbox(simulator, to=MSISDN, limit=1)] == ["second"]
    assert outbox(simulator, to="+96899999999") == []


def test_unencoded_plus_in_query_still_matches(simulator, make_gateway):
    make_gateway().send(MSISDN, "hello", reference="d")

    answer = requests.get(f"{simulator.http.url}/outbox?to=+96891234567", timeout=5)
    assert [m["text"] for m in answer.json()["messages"]] == ["hello"]


def test_delete_outbox(simulator, make_gateway):
    make_gateway().send(MSISDN, "bye", reference="e")

    answer = requests.delete(simulator.http.url + "/outbox", timeout=5)
    assert answer.status_code == 204
    assert outbox(simulator) == []


def test_negative_limit_is_refused(simulator):
    answer = requests.get(simulator.http.url + "/outbox", params={"limit": -1}, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_outbox_page_renders_arabic_and_escapes_text(simulator, make_gateway):
    gateway = make_gateway()
    gateway.send(MSISDN, TEXT, reference="f")
    gateway.send(OTHER, "<script>alert(1)</script>", reference="g")

    page = requests.get(simulator.http.url + "/", timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    html = page.text
    assert '<meta charset="utf-8">' in html
    assert '<div dir="auto">بوابة: رمز التحقق 482913</div>' in html
    assert '<span class="code" title="code">482913</span>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "src=" not in html and "<link" not in html          # no outside resources


def test_control_validation(simulator):
    url = simulator.http.url + "/control"
    for body in ({"mode": "explode"}, {"mode": "down", "count": 0},
                 {"mode": "slow", "delay": -1}, "down"):
        answer = requests.post(url, json=body, timeout=5)
        assert answer.status_code == 400
        assert answer.json()["error"] == "invalid_request"
    answer = requests.post(url, json={"mode": "throttle", "count": 2}, timeout=5)
    assert answer.json() == {"mode": "throttle", "count": 2, "delay": 5.0}
    assert requests.get(url, timeout=5).json()["mode"] == "throttle"


def test_factory_builds_the_http_transport(simulator):
    settings = {**simulator.settings("http"), "SMS_TIMEOUT": "3", "SMS_HTTP_RETRIES": "0"}
    gateway = sms_gateway_from_settings(settings)
    try:
        receipt = gateway.send(MSISDN, TEXT, reference="otp-14")
    finally:
        gateway.close()
    assert isinstance(gateway, HttpSmsGateway)
    assert outbox(simulator)[0]["id"] == receipt.message_id


@pytest.mark.parametrize(("settings", "message"), [
    ({}, "SMS_TRANSPORT is required"),
    ({"SMS_TRANSPORT": "pigeon"}, "SMS_TRANSPORT must be one of smpp, http, memory"),
    ({"SMS_TRANSPORT": "http", "SMS_HTTP_URL": "http://x"}, "SMS_HTTP_API_KEY is required"),
    ({"SMS_TRANSPORT": "http", "SMS_HTTP_URL": "x", "SMS_HTTP_API_KEY": "k"},
     "SMS gateway URL must be http(s)"),
    ({"SMS_TRANSPORT": "http", "SMS_HTTP_URL": "http://x", "SMS_HTTP_API_KEY": "k",
      "SMS_TIMEOUT": "soon"}, "SMS_TIMEOUT must be a number"),
    ({"SMS_TRANSPORT": "smpp", "SMS_SMPP_HOST": "h", "SMS_SMPP_SYSTEM_ID": "bawaba",
      "SMS_SMPP_PASSWORD": "much-too-long"}, "SMPP password must be ASCII, at most 8 characters"),
    ({"SMS_TRANSPORT": "smpp", "SMS_SMPP_HOST": "h", "SMS_SMPP_SYSTEM_ID": "bawaba",
      "SMS_SMPP_PASSWORD": "p", "SMS_SMPP_PORT": "many"}, "SMS_SMPP_PORT must be an integer"),
    ({"SMS_TRANSPORT": "smpp", "SMS_SMPP_HOST": "h", "SMS_SMPP_SYSTEM_ID": "bawaba",
      "SMS_SMPP_PASSWORD": "p", "SMS_SMPP_LONG_MESSAGES": "carrier-pigeon"},
     "SMS_SMPP_LONG_MESSAGES must be one of udh, sar, payload"),
    ({"SMS_TRANSPORT": "smpp", "SMS_SMPP_HOST": "h", "SMS_SMPP_SYSTEM_ID": "bawaba",
      "SMS_SMPP_PASSWORD": "p", "SMS_SENDER": "Bawaba National Portal"},
     "SMS sender must be a number or 1-11 letters and digits"),
])
def test_factory_reports_bad_settings(settings, message):
    with pytest.raises(ConfigurationError) as caught:
        sms_gateway_from_settings(settings)
    assert str(caught.value) == message
    assert caught.value.connector == "sms"


def test_http_transport_needs_a_callback_url_to_report_deliveries():
    settings = {"SMS_TRANSPORT": "http", "SMS_HTTP_URL": "http://x", "SMS_HTTP_API_KEY": "k"}
    with pytest.raises(ConfigurationError) as caught:
        sms_gateway_from_settings(settings, on_delivery=lambda report: None)
    assert "SMS_HTTP_CALLBACK_URL" in str(caught.value)


def test_memory_transport_for_tests_without_network():
    reports = []
    gateway = sms_gateway_from_settings({"SMS_TRANSPORT": "memory"}, on_delivery=reports.append)
    receipt = gateway.send("91234567", TEXT, reference="otp-15")

    assert isinstance(gateway, InMemorySmsGateway)
    assert [m.text for m in gateway.messages_to(MSISDN)] == [TEXT]
    assert reports[0].message_id == receipt.message_id
    assert gateway.delivery_status(receipt.message_id) is SmsStatus.DELIVERED
    gateway.fail_with = ThrottledError("scripted", connector="sms")
    with pytest.raises(ThrottledError):
        gateway.send(MSISDN, TEXT, reference="otp-16")
