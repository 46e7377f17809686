"""Helpers for the card agent tests: the card lab made by certs/card-lab.sh against the
test provider's CA, the agent run as the citizen runs it (its own process, its own
PKCS#11 module), a person using its PIN page over HTTP, and an independent check of Web
eID tokens with cryptography."""

import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "https://login.bawaba.test"
OTHER_ORIGIN = "https://tax.bawaba.test"
UNTRUSTED = "https://evil.example"
OPENSC = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
WAIT = 20  # seconds: the most any state change may take before a test fails
_labs = {}


def card_lab(tmp_path_factory, token_config, database_url, server_port):
    """certs/card-lab.sh run once per session: pcscd started, cards personalised by the
    test provider's ID-card CA. Returns (lab directory, cards.json)."""
    key = (database_url, server_port)
    if key not in _labs:
        instance = tmp_path_factory.mktemp("card-lab-instance")
        settings = {"SECRET_KEY": "test-secret-key", "IDP_ENV": "development",
                    "IDP_ISSUER": f"http://127.0.0.1:{server_port}",
                    "IDP_DATABASE_URL": database_url, **token_config}
        (instance / "config.py").write_text(
            "".join(f"{k} = {v!r}\n" for k, v in settings.items()))
        lab = tmp_path_factory.mktemp("card-lab")
        result = subprocess.run(["bash", str(ROOT / "certs" / "card-lab.sh"), str(lab)],
                                env={**os.environ, "IDP_INSTANCE_PATH": str(instance)},
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            pytest.fail(f"certs/card-lab.sh failed (pcscd, vpcd or personalisation):\n"
                        f"{result.stdout}\n{result.stderr}", pytrace=False)
        _labs[key] = (lab, json.loads((lab / "cards.json").read_text()))
    return _labs[key]


def new_nonce():
    return base64.b64encode(secrets.token_bytes(32)).decode()


class Agent:
    """A running bawaba-card-agent and the HTTP calls a page and a person make."""

    def __init__(self, args, env=None):
        command = [sys.executable, "-m", "card_agent", "--port", "0", "--no-browser", *args]
        self.process = subprocess.Popen(command, env={**os.environ, **(env or {})}, cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        line = _read_line(self.process, WAIT)
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line or "")
        if not match:
            self.stop()
            pytest.fail(f"the card agent did not start: {line!r}", pytrace=False)
        self.url = match.group(1)
        self.log = []
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self):
        for line in self.process.stdout:
            self.log.append(line)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        drainer = getattr(self, "_drainer", None)
        if drainer is not None:
            drainer.join(10)
        self.process.stdout.close()

    # The provider's page

    def status(self, origin=ORIGIN):
        return requests.get(f"{self.url}/status", headers={"Origin": origin}, timeout=WAIT)

    def start(self, nonce=None, origin=ORIGIN, body_origin=None):
        body = {"origin": body_origin or origin, "nonce": nonce or new_nonce()}
        return requests.post(f"{self.url}/authenticate", json=body, headers={"Origin": origin},
                             timeout=WAIT)

    def poll(self, item_id, origin=ORIGIN):
        return requests.get(f"{self.url}/authenticate/{item_id}", headers={"Origin": origin},
                            timeout=WAIT)

    def wait_for(self, item_id, state, origin=ORIGIN):
        deadline = time.monotonic() + WAIT
        while True:
            body = self.poll(item_id, origin).json()
            if body["state"] == state or time.monotonic() > deadline:
                return body
            time.sleep(0.2)

    def wait_for_status(self, predicate):
        deadline = time.monotonic() + WAIT
        while True:
            body = self.status().json()
            if predicate(body) or time.monotonic() > deadline:
                return body
            time.sleep(0.2)

    # The person at the PIN page

    def pin_page(self, item_id, **headers):
        return requests.get(f"{self.url}/pin/{item_id}", headers=headers, timeout=WAIT)

    def enter_pin(self, item_id, pin, action="sign", origin=None):
        page = self.pin_page(item_id)
        assert page.status_code == 200, page.text
        token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
        return requests.post(f"{self.url}/pin/{item_id}",
                             data={"form_token": token, "pin": pin, "action": action},
                             headers={"Origin": origin or self.url}, timeout=WAIT)

    def authenticate(self, pin, nonce=None, origin=ORIGIN):
        """The whole flow; returns (final poll body, nonce)."""
        nonce = nonce or new_nonce()
        started = self.start(nonce, origin)
        assert started.status_code == 202, started.text
        item_id = started.json()["id"]
        self.enter_pin(item_id, pin)
        return self.poll(item_id, origin).json(), nonce


def _read_line(process, timeout):
    lines = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()),
                              daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else None


HASHES = {"256": (hashlib.sha256, hashes.SHA256), "384": (hashlib.sha384, hashes.SHA384)}


def verify_token(token, origin, nonce):
    """The Web eID token's signature over hash(origin) ‖ hash(nonce), checked with
    cryptography alone; returns the certificate. Raises InvalidSignature."""
    assert token["format"] == "web-eid:1.0"
    assert re.fullmatch(r"https://[^/]+(/[^/]+)*/bawaba-card-agent/\d+\.\d+\.\d+",
                        token["appVersion"]), token["appVersion"]
    certificate = x509.load_der_x509_certificate(
        base64.b64decode(token["unverifiedCertificate"], validate=True))
    signature = base64.b64decode(token["signature"], validate=True)
    algorithm = token["algorithm"]
    digest, hash_class = HASHES[algorithm[-3:]]
    value = digest(origin.encode()).digest() + digest(nonce.encode()).digest()
    key = certificate.public_key()
    if algorithm.startswith("ES"):
        half = len(signature) // 2
        assert half == (key.curve.key_size + 7) // 8  # raw r ‖ s, not DER
        der = encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                   int.from_bytes(signature[half:], "big"))
        key.verify(der, value, ec.ECDSA(hash_class()))
    elif algorithm.startswith("RS"):
        key.verify(signature, value, padding.PKCS1v15(), hash_class())
    else:
        key.verify(signature, value,
                   padding.PSS(padding.MGF1(hash_class()), hash_class.digest_size),
                   hash_class())
    return certificate
