"""The card agent with SoftHSM2 development cards (token presence instead of PC/SC): its
HTTP interface as the provider's page and the citizen use it, Web eID tokens checked
independently, and every refusal."""

import base64
import re
import subprocess
import sys

import pytest
import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from .card_agent_support import ORIGIN
from .card_agent_support import OTHER_ORIGIN
from .card_agent_support import ROOT
from .card_agent_support import UNTRUSTED
from .card_agent_support import Agent
from .card_agent_support import card_lab
from .card_agent_support import new_nonce
from .card_agent_support import verify_token

EC_CARD, RSA_CARD = "BAWABA-CARD-10293847", "BAWABA-CARD-10475869"


@pytest.fixture(scope="module")
def lab(tmp_path_factory, token_config, database_url, server_port):
    return card_lab(tmp_path_factory, token_config, database_url, server_port)


def start_agent(lab, label=EC_CARD, **env):
    directory, cards = lab
    softhsm = cards["softhsm"]
    return Agent(["--readers", "token", "--pkcs11-module", softhsm["module"], "--token-label",
                  label, "--trusted-origin", ORIGIN, "--trusted-origin", OTHER_ORIGIN],
                 {"SOFTHSM2_CONF": softhsm["softhsm2_conf"], **env})


@pytest.fixture(scope="module")
def agent(lab):
    running = start_agent(lab)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def nothing_pending(request):
    """Each test leaves no authentication waiting (the agent does one at a time)."""
    yield
    if "agent" in request.fixturenames:
        running = request.getfixturevalue("agent")
        assert running.status().json()["state"] != "busy"


def card_ca(lab):
    return x509.load_pem_x509_certificate(lab[1]["card_ca"].encode())


def test_status_shows_reader_card_and_certificate(agent):
    response = agent.status()
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response.headers["Vary"]
    body = response.json()
    assert body["state"] == "ready" and body["mode"] == "token" and body["service"] is True
    with_card = [r["name"] for r in body["readers"] if r["card_present"]]
    assert len(with_card) == 1  # the other development card's slot counts as empty
    card = body["card"]
    assert card["national_id"] == "10293847"
    assert (card["given_name"], card["family_name"]) == ("Ahmed", "Al Harthy")
    assert card["issuer"] == "Bawaba Development ID Card CA"
    assert card["algorithm"] == "ES256"
    assert card["reader"] == with_card[0]


def test_authenticate_with_the_right_pin(agent, lab):
    nonce = new_nonce()
    started = agent.start(nonce)
    assert started.status_code == 202
    assert started.headers["Access-Control-Allow-Origin"] == ORIGIN
    item = started.json()
    assert item["state"] == "waiting_for_pin"
    assert item["pin_page"] == f"{agent.url}/pin/{item['id']}"
    assert item["certificate"]["national_id"] == "10293847"
    assert agent.poll(item["id"]).json() == {"id": item["id"], "state": "waiting_for_pin",
                                             "origin": ORIGIN}

    page = agent.pin_page(item["id"])
    assert ORIGIN in page.text and "AL HARTHY,AHMED,10293847" in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "Access-Control-Allow-Origin" not in page.headers
    done_page = agent.enter_pin(item["id"], "123456")
    assert done_page.status_code == 200 and "Signed in" in done_page.text

    body = agent.poll(item["id"]).json()
    assert body["state"] == "done"
    token = body["token"]
    assert set(token) == {"unverifiedCertificate", "algorithm", "signature", "format",
                          "appVersion"}
    assert token["algorithm"] == "ES256"
    assert token["appVersion"] == "https://bawaba.example/bawaba-card-agent/0.1.0"
    certificate = verify_token(token, ORIGIN, nonce)
    certificate.verify_directly_issued_by(card_ca(lab))
    assert certificate.subject.get_attributes_for_oid(
        x509.oid.NameOID.SERIAL_NUMBER)[0].value == "10293847"
    with pytest.raises(InvalidSignature):  # bound to this nonce and this origin
        verify_token(token, ORIGIN, new_nonce())
    with pytest.raises(InvalidSignature):
        verify_token(token, OTHER_ORIGIN, nonce)


def test_each_authentication_signs_afresh(agent):
    first, nonce_1 = agent.authenticate("123456")
    second, nonce_2 = agent.authenticate("123456")
    assert first["token"]["signature"] != second["token"]["signature"]
    verify_token(first["token"], ORIGIN, nonce_1)
    verify_token(second["token"], ORIGIN, nonce_2)


def test_wrong_pin(agent):
    body, _ = agent.authenticate("999999")
    # SoftHSM2 keeps no retry counter, so the card cannot say how many tries are left.
    assert body["state"] == "failed"
    assert body["error"] == "wrong_pin" and body["tries_left"] is None
    assert "token" not in body
    after, nonce = agent.authenticate("123456")
    assert after["state"] == "done"
    verify_token(after["token"], ORIGIN, nonce)


def test_wrong_pin_page_says_so(agent):
    item_id = agent.start().json()["id"]
    page = agent.enter_pin(item_id, "000000")
    assert "The PIN is wrong." in page.text and "<form" not in page.text


def test_empty_pin_asks_again_without_trying_the_card(agent):
    item_id = agent.start().json()["id"]
    page = agent.enter_pin(item_id, "")
    assert page.status_code == 400 and "Enter the PIN." in page.text and "<form" in page.text
    assert agent.poll(item_id).json()["state"] == "waiting_for_pin"
    agent.enter_pin(item_id, "123456")
    assert agent.poll(item_id).json()["state"] == "done"


def test_untrusted_origin_is_refused_without_cors(agent):
    for response in (
        agent.status(UNTRUSTED),
        agent.start(origin=UNTRUSTED),
        requests.options(f"{agent.url}/authenticate", timeout=10, headers={
            "Origin": UNTRUSTED, "Access-Control-Request-Method": "POST"}),
    ):
        assert response.status_code == 403
        assert response.json()["error"] == "origin_not_trusted"
        assert "Access-Control-Allow-Origin" not in response.headers
    assert agent.status().json()["state"] == "ready"  # nothing was started


def test_preflight_for_a_trusted_origin(agent):
    response = requests.options(f"{agent.url}/authenticate", timeout=10, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
        "Access-Control-Request-Private-Network": "true"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert response.headers["Access-Control-Allow-Private-Network"] == "true"


def test_a_page_signs_only_for_its_own_origin(agent):
    response = agent.start(origin=ORIGIN, body_origin=OTHER_ORIGIN)
    assert response.status_code == 403 and response.json()["error"] == "origin_not_trusted"
    missing = requests.post(f"{agent.url}/authenticate", timeout=10,
                            json={"origin": ORIGIN, "nonce": new_nonce()})
    assert missing.status_code == 403 and missing.json()["error"] == "origin_not_trusted"


def test_another_trusted_origin_cannot_see_or_cancel_the_authentication(agent):
    item_id = agent.start().json()["id"]
    assert agent.poll(item_id, OTHER_ORIGIN).status_code == 404
    deleted = requests.delete(f"{agent.url}/authenticate/{item_id}", timeout=10,
                              headers={"Origin": OTHER_ORIGIN})
    assert deleted.status_code == 404 and deleted.json()["error"] == "not_found"
    assert agent.poll(item_id).json()["state"] == "waiting_for_pin"
    requests.delete(f"{agent.url}/authenticate/{item_id}", headers={"Origin": ORIGIN},
                    timeout=10)


@pytest.mark.parametrize("body, error", [
    ("not json", "bad_request"),
    ('["origin", "nonce"]', "bad_request"),
    ('{"origin": "https://login.bawaba.test", "nonce": "short"}', "bad_request"),
    ('{"origin": "https://login.bawaba.test", "nonce": "%s"}' % ("a" * 257), "bad_request"),
    ('{"origin": "https://login.bawaba.test", "nonce": "%s!"}' % ("a" * 44), "bad_request"),
    ('{"origin": "https://login.bawaba.test/", "nonce": "%s"}' % ("a" * 44), "bad_request"),
    ('{"nonce": "%s"}' % ("a" * 44), "bad_request"),
])
def test_malformed_requests(agent, body, error):
    response = requests.post(f"{agent.url}/authenticate", data=body, timeout=10, headers={
        "Origin": ORIGIN, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_oversized_request(agent):
    response = requests.post(f"{agent.url}/authenticate", timeout=10,
                             data='{"origin": "%s"}' % ("a" * 20000), headers={
                                 "Origin": ORIGIN, "Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"] == "bad_request"


def test_unknown_authentication_and_wrong_host(agent):
    unknown = agent.poll("x" * 43)
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    assert agent.pin_page("x" * 43).status_code == 404
    rebound = requests.get(f"{agent.url}/status", timeout=10,
                           headers={"Host": "attacker.example:80"})
    assert rebound.status_code == 400 and rebound.json()["error"] == "bad_request"


def test_one_authentication_at_a_time(agent):
    first = agent.start().json()["id"]
    busy = agent.start()
    assert busy.status_code == 409 and busy.json()["error"] == "busy"
    assert agent.status().json()["state"] == "busy"
    cancelled = requests.delete(f"{agent.url}/authenticate/{first}", timeout=10,
                                headers={"Origin": ORIGIN})
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "failed"
    assert cancelled.json()["error"] == "user_cancelled"
    second = agent.start(origin=OTHER_ORIGIN)
    assert second.status_code == 202
    requests.delete(f"{agent.url}/authenticate/{second.json()['id']}", timeout=10,
                    headers={"Origin": OTHER_ORIGIN})


def test_citizen_cancels_on_the_pin_page(agent):
    item_id = agent.start().json()["id"]
    page = agent.enter_pin(item_id, "", action="cancel")
    assert page.status_code == 200 and "Cancelled." in page.text
    body = agent.poll(item_id).json()
    assert body["state"] == "failed" and body["error"] == "user_cancelled"


def test_pin_form_only_from_the_agents_own_page(agent):
    item_id = agent.start().json()["id"]
    forged = agent.enter_pin(item_id, "123456", origin=ORIGIN)
    assert forged.status_code == 403
    no_token = requests.post(f"{agent.url}/pin/{item_id}", timeout=10,
                             data={"pin": "123456", "form_token": "guess"})
    assert no_token.status_code == 404
    assert agent.poll(item_id).json()["state"] == "waiting_for_pin"
    page = agent.enter_pin(item_id, "", action="cancel")
    assert "Cancelled." in page.text


def test_pin_page_in_arabic(agent):
    item_id = agent.start().json()["id"]
    page = agent.pin_page(item_id, **{"Accept-Language": "ar, en;q=0.5"})
    assert 'lang="ar" dir="rtl"' in page.text and "الرمز السري" in page.text
    assert ORIGIN in page.text
    agent.enter_pin(item_id, "", action="cancel")


def test_pin_not_entered_in_time(lab):
    agent = start_agent(lab, CARD_AGENT_PIN_TIMEOUT="1")
    try:
        item_id = agent.start().json()["id"]
        body = agent.wait_for(item_id, "failed")
        assert body["error"] == "timeout"
        page = agent.pin_page(item_id)
        assert "The PIN was not entered in time." in page.text and "<form" not in page.text
        assert agent.start().status_code == 202  # no longer busy
    finally:
        agent.stop()


@pytest.mark.parametrize("algorithm", ["RS256", "PS256"])
def test_rsa_card(lab, algorithm):
    agent = start_agent(lab, RSA_CARD, CARD_AGENT_RSA_ALGORITHM=algorithm)
    try:
        assert agent.status().json()["card"]["algorithm"] == algorithm
        body, nonce = agent.authenticate("123456")
        assert body["token"]["algorithm"] == algorithm
        certificate = verify_token(body["token"], ORIGIN, nonce)
        certificate.verify_directly_issued_by(card_ca(lab))
    finally:
        agent.stop()


def test_no_card(lab):
    agent = start_agent(lab, "NO-SUCH-CARD")
    try:
        assert agent.status().json()["state"] == "no_card"
        response = agent.start()
        assert response.status_code == 409 and response.json()["error"] == "no_card"
    finally:
        agent.stop()


@pytest.mark.parametrize("args, message", [
    ([], "no trusted origins"),
    (["--trusted-origin", "http://portal.example"], "http only on a loopback host"),
    (["--trusted-origin", "https://portal.example/login"], "scheme://host[:port]"),
])
def test_refuses_to_start_with_bad_settings(tmp_path, args, message):
    result = subprocess.run([sys.executable, "-m", "card_agent", "--config",
                             str(_empty_config(tmp_path)), *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert message in result.stderr


def _empty_config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("")
    return path


def test_token_is_plain_base64(agent):
    body, _ = agent.authenticate("123456")
    for field in ("unverifiedCertificate", "signature"):
        assert re.fullmatch(r"[A-Za-z0-9+/]+=*", body["token"][field])
        base64.b64decode(body["token"][field], validate=True)
    assert len(base64.b64decode(body["token"]["signature"])) == 64  # raw r ‖ s of P-256
