"""The simulator's handset pages, used as a person would over HTTP: the pending request
with its text and verification code, the SIM PIN, cancel; and the control API's refusals."""

import secrets
from urllib.parse import urljoin

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from connectors.mssp import Outcome
from connectors.mssp import verification_code
from connectors.mssp.errors import PinBlockedError
from connectors.mssp.errors import UserCancelledError

from .mssp_support import CUSTOMER
from .mssp_support import NO_KEY
from .mssp_support import SECOND
from .mssp_support import UNKNOWN
from .mssp_support import Forms
from .mssp_support import now
from .mssp_support import shared_simulator


@pytest.fixture
def mssp(app, tmp_path_factory):
    return shared_simulator(app, tmp_path_factory)


class Phone:
    """A person looking at the handset page of one MSISDN."""

    def __init__(self, mssp, msisdn):
        self.path = f"/handset/{msisdn}"
        self.url = mssp.url + self.path
        self.http = requests.Session()

    def page(self):
        answer = self.http.get(self.url, timeout=10)
        assert answer.status_code == 200
        return answer, Forms(answer.text)

    def submit(self, action, **data):
        answer = self.http.post(urljoin(self.url, action), data=data, allow_redirects=False,
                                timeout=10)
        assert answer.status_code == 303
        assert answer.headers["Location"].endswith(self.path)
        return self.page()


def request_signature(mssp, msisdn=CUSTOMER, text=None):
    client = mssp.client()
    data = secrets.token_bytes(32)
    text = text or f"Bawaba login {verification_code(data)}"
    return client, client.start(msisdn, data, text, now=now())


def test_person_confirms_on_the_handset_page_with_the_sim_pin(mssp):
    client, pending = request_signature(mssp)
    index = requests.get(f"{mssp.url}/handset", timeout=10)
    assert CUSTOMER in index.text and "Ahmed Al Harthy" in index.text
    phone = Phone(mssp, CUSTOMER)

    page, forms = phone.page()
    assert forms.codes == [pending.verification_code]
    assert f"Bawaba login {pending.verification_code}" in page.text
    confirm, cancel = forms.forms
    assert confirm["inputs"] == ["pin"] and cancel["inputs"] == []

    page, forms = phone.submit(confirm["action"], pin="9999")
    assert forms.alerts == ["Wrong PIN: 2 tries left"]
    assert client.poll(pending, now=now()).outcome is Outcome.OUTSTANDING

    page, forms = phone.submit(confirm["action"], pin="")
    assert mssp.phone(CUSTOMER)["pin_tries_left"] == 2

    page, forms = phone.submit(confirm["action"], pin="1234")
    assert "No pending request" in page.text and "signed" in page.text
    signature = client.poll(pending, now=now()).signature
    signature.certificate.public_key().verify(signature.signature, pending.data,
                                              ec.ECDSA(hashes.SHA256()))
    assert mssp.phone(CUSTOMER)["pin_tries_left"] == 3


def test_person_cancels_on_the_handset_page(mssp):
    client, pending = request_signature(mssp, SECOND)
    phone = Phone(mssp, SECOND)
    _, forms = phone.page()

    page, _ = phone.submit(forms.forms[1]["action"])

    assert "USER_CANCEL" in page.text
    with pytest.raises(UserCancelledError):
        client.poll(pending, now=now())


def test_three_wrong_pins_on_the_handset_page_block_the_pin(mssp):
    client, pending = request_signature(mssp, SECOND)
    phone = Phone(mssp, SECOND)
    _, forms = phone.page()
    action = forms.forms[0]["action"]
    for wrong in ("0000", "1111"):
        phone.submit(action, pin=wrong)

    page, forms = phone.submit(action, pin="2222")

    assert "PIN blocked" in page.text and forms.forms == []
    with pytest.raises(PinBlockedError):
        client.poll(pending, now=now())


def test_display_text_is_shown_as_text(mssp):
    request_signature(mssp, text="<b>Bawaba</b> & co")
    page, _ = Phone(mssp, CUSTOMER).page()
    assert "&lt;b&gt;Bawaba&lt;/b&gt; &amp; co" in page.text
    assert "<b>Bawaba" not in page.text


def test_handset_refuses_unknown_phones_and_other_phones_requests(mssp):
    _, pending = request_signature(mssp)
    http = requests.Session()
    assert http.get(f"{mssp.url}/handset/{UNKNOWN}", timeout=10).status_code == 404
    for msisdn, trans_id in ((SECOND, pending.mssp_trans_id), (CUSTOMER, "f" * 20)):
        answer = http.post(f"{mssp.url}/handset/{msisdn}/{trans_id}/confirm",
                           data={"pin": "1234"}, timeout=10)
        assert answer.status_code == 404
    assert mssp.transaction(CUSTOMER, pending.mssp_trans_id)["state"] == "pending"


@pytest.mark.parametrize(("body", "description"), [
    ({"behaviour": "dance"}, "behaviour must be one of"),
    ({"behaviour": "confirm_after", "delay": 500}, "delay must be between 0 and 120"),
    ({"behaviour": "confirm_after", "delay": True}, "delay must be between 0 and 120"),
    ({"behaviour": "confirm_after", "pin": 1234}, "pin must be text"),
    ([], "body must be a JSON object"),
])
def test_control_refuses_bad_scripts(mssp, body, description):
    answer = requests.post(f"{mssp.url}/control/{CUSTOMER}", json=body, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert answer.json()["error_description"].startswith(description)
    assert mssp.phone(CUSTOMER)["behaviour"] == "manual"


def test_control_refuses_unknown_sims_and_bad_personalisation(mssp):
    http = requests.Session()
    for method, path in (("get", ""), ("post", ""), ("get", "/csr"), ("put", "/certificate")):
        answer = http.request(method, f"{mssp.url}/control/{UNKNOWN}{path}", json={},
                              timeout=10)
        assert (answer.status_code, answer.json()["error"]) == (404, "not_found")
    assert http.get(f"{mssp.url}/control/{NO_KEY}/csr", timeout=10).status_code == 409
    answer = http.put(f"{mssp.url}/control/{CUSTOMER}/certificate",
                      json={"chain": ["not a certificate"]}, timeout=10)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
    other = mssp.authorities["sim"].public_bytes(Encoding.PEM).decode()
    answer = http.put(f"{mssp.url}/control/{CUSTOMER}/certificate", json={"chain": [other]},
                      timeout=10)
    assert (answer.status_code, answer.json()["error"]) == (409, "wrong_key")
