"""Helpers for the Mobile ID tests: the MSSP simulator as a separate process (its SIM
tokens need a SOFTHSM2_CONF of their own), personalised with certificates that the PKI
core issues through its CLI, and a client configured for it."""

import atexit
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from connectors.mssp import MsspClient
from connectors.mssp import MsspSettings
from connectors.mssp.sims import issuer_chain
from connectors.mssp.sims import load_manifest
from connectors.mssp.simulator import DEV_AP_ID
from connectors.mssp.simulator import DEV_AP_PASSWORD
from connectors.mssp.simulator import DEV_MSSP_ID
from connectors.mssp.simulator import DEV_SIGNATURE_PROFILE

from .pki_support import cli_json
from .pki_support import init_hierarchy

ROOT = Path(__file__).resolve().parent.parent
SIMS = load_manifest()
CUSTOMER = "+96891234567"  # Ahmed Al Harthy, 10293847, PIN 1234
SECOND = "+96892345678"
NO_CERTIFICATE = "+96894567890"
NO_KEY = "+96895678901"
CARD_CERTIFICATE = "+96871234567"
UNKNOWN = "+96899123456"  # a valid Omani mobile number without a SIM in the simulator


def now():
    return datetime.now(UTC)


@dataclass
class RunningSimulator:
    url: str
    process: subprocess.Popen
    directory: Path
    authorities: dict = field(default_factory=dict)
    http: requests.Session = field(default_factory=requests.Session)

    def script(self, msisdn, **body):
        answer = self.http.post(f"{self.url}/control/{msisdn}", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def phone(self, msisdn):
        return self.http.get(f"{self.url}/control/{msisdn}", timeout=10).json()

    def misbehave(self, **body):
        answer = self.http.post(f"{self.url}/control", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def transaction(self, msisdn, trans_id):
        return next(t for t in self.phone(msisdn)["transactions"] if t["id"] == trans_id)

    def settings(self, **overrides):
        settings = MsspSettings("dev", self.url, DEV_AP_ID, DEV_AP_PASSWORD,
                                DEV_SIGNATURE_PROFILE, mssp_id=DEV_MSSP_ID, poll_interval=0.05,
                                read_timeout=5)
        return replace(settings, **overrides)

    def client(self, **overrides):
        return MsspClient(self.settings(**overrides))

    def personalise(self, app, msisdn, authorities):
        """Issue the SIM's certificate with the PKI core (profile of the manifest) from a
        request made on the SIM, and install it with its issuing CA."""
        sim = SIMS[msisdn]
        csr = self.http.get(f"{self.url}/control/{msisdn}/csr", timeout=10)
        assert csr.status_code == 200, csr.text
        path = self.directory.parent / f"{msisdn}.csr"
        path.write_bytes(csr.content)
        data = cli_json(app, "issue", "--profile", sim.profile, "--csr", str(path),
                        "--national-id", sim.national_id, "--given-name", sim.given_name,
                        "--family-name", sim.family_name)
        leaf = x509.load_pem_x509_certificate(data["pem"].encode())
        chain = issuer_chain(leaf, list(authorities.values()))
        assert len(chain) == 2
        answer = self.http.put(f"{self.url}/control/{msisdn}/certificate", timeout=10, json={
            "chain": [c.public_bytes(Encoding.PEM).decode() for c in chain]})
        assert answer.status_code == 200, answer.text

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process.stdout.close()


def start_simulator(directory, *arguments):
    """The simulator on a free port; returns once it printed where it listens."""
    directory.mkdir(parents=True, exist_ok=True)
    log = open(directory.parent / f"{directory.name}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "connectors.mssp.simulator", "--port", "0",
         "--dir", str(directory), *arguments],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    log.close()
    lines = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()),
                              daemon=True)
    reader.start()
    reader.join(timeout=60)
    match = re.match(r"MSSP simulator listening on (\S+)", lines[0] if lines else "")
    if not match:
        process.kill()
        process.wait(timeout=30)
        process.stdout.close()
        raise AssertionError("simulator did not start: " + (directory.parent /
                                                            f"{directory.name}.log").read_text())
    return RunningSimulator(match.group(1), process, directory)


_shared = {}


def shared_simulator(app, tmp_path_factory):
    """One personalised simulator for the whole test session."""
    if "simulator" not in _shared:
        simulator = start_simulator(tmp_path_factory.mktemp("mssp") / "sims")
        atexit.register(simulator.stop)
        authorities = init_hierarchy(app)
        simulator.authorities = authorities
        for msisdn, sim in SIMS.items():
            if sim.certificate:
                simulator.personalise(app, msisdn, authorities)
        _shared["simulator"] = simulator
    simulator = _shared["simulator"]
    simulator.misbehave(mode="normal")
    for msisdn in SIMS:
        simulator.script(msisdn, behaviour="reset")
    return simulator


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


class Forms(HTMLParser):
    """The forms of a page: action and the names of their inputs, plus data-code text."""

    def __init__(self, html):
        super().__init__()
        self.forms, self.codes, self.alerts = [], [], []
        self._in = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "inputs": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(attrs.get("name"))
        elif "data-code" in attrs:
            self._in = "code"
        elif attrs.get("role") == "alert":
            self._in = "alert"

    def handle_data(self, data):
        if self._in == "code":
            self.codes.append(data.strip())
        elif self._in == "alert":
            self.alerts.append(data.strip())
        self._in = None
