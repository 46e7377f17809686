"""Support for the citizen tests: the SMS and civil registry simulators running as real
servers, a provider configured for them and served by `idp run` on its own port (same
database and token as the suite's `app`), and a citizen's browser that registers and
logs in over HTTP, reading codes from the SMS simulator's outbox. Test modules bind the
fixtures by assignment (`sms = citizen_support.sms`)."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests

from connectors.simulators import start_simulators

from .helpers import Browser

SHARED_SETTINGS = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "PKCS11_MODULE",
                   "PKCS11_TOKEN_LABEL", "PKCS11_TOKEN_PIN", "SOFTHSM2_CONF")
AHMED = {"national_id": "10293847", "date_of_birth": "1985-03-14", "mobile": "+96891234567",
         "name": "Ahmed bin Salim bin Said Al Harthy", "name_ar": "أحمد بن سالم بن سعيد الحارثي"}
FATMA = {"national_id": "10384756", "date_of_birth": "1992-07-02", "mobile": "+96892345678"}
MARYAM = {"national_id": "10567890", "date_of_birth": "2000-01-30", "mobile": "+96872123456"}
ZAINAB = {"national_id": "10912345", "date_of_birth": "1975-10-08"}  # malformed mobile
UNKNOWN = {"national_id": "99887766", "date_of_birth": "1985-03-14"}
PASSWORD = "tuesday lemon kite"
IDP = str(Path(sys.executable).with_name("idp"))
CODE = re.compile(r"\b(\d{6})\b")
GENERIC = 100_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Provider:
    issuer: str
    simulators: object
    log: Path

    def outbox(self, msisdn):
        answer = requests.get(self.simulators.sms.http.url + "/outbox",
                              params={"to": msisdn}, timeout=5)
        answer.raise_for_status()
        return answer.json()["messages"]

    def last_code(self, msisdn):
        messages = self.outbox(msisdn)
        assert messages, f"no SMS to {msisdn}"
        return CODE.search(messages[0]["text"]).group(1)

    def control(self, which, mode, **extra):
        target = self.simulators.sms.http.url if which == "sms" else self.simulators.registry.url
        requests.post(target + "/control", json={"mode": mode, **extra},
                      timeout=5).raise_for_status()

    def reset(self):
        self.control("sms", "normal")
        self.control("registry", "normal")
        requests.delete(self.simulators.sms.http.url + "/outbox", timeout=5)


@contextlib.contextmanager
def sms_provider(app, simulators, tmp_path, transport="smpp", **overrides):
    """A provider offering the "sms" method with the simulators behind it, started as an
    operator would (`idp run`, settings in the instance config.py) in its own process:
    PKCS#11 allows one login per token and process, and the suite's `app` holds it."""
    port = free_port()
    config = {
        "IDP_ENV": "development", "SECRET_KEY": app.config["SECRET_KEY"],
        "IDP_ISSUER": f"http://127.0.0.1:{port}", "IDP_LOGIN_METHODS": ["sms"],
        "IDP_KEY_CACHE_SECONDS": 0,
        "IDP_RATELIMIT_RULES": dict.fromkeys(
            ("token", "token_ip", "authorize", "login", "introspect", "revoke", "userinfo"),
            "100000 per hour"),
        "OTP_SENDS_PER_ADDRESS": GENERIC,  # the whole suite comes from one address
        "SMS_TIMEOUT": 3, "CIVIL_REGISTRY_TIMEOUT": 3, "CIVIL_REGISTRY_RETRIES": 0,
        **simulators.settings(transport),
    }
    config.update({k: app.config[k] for k in SHARED_SETTINGS if app.config.get(k)})
    config.update(overrides)
    instance = tmp_path / f"instance-{port}"
    instance.mkdir()
    (instance / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in config.items()))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IDP_", "PKCS11_", "SMS_", "OTP_", "CIVIL_REGISTRY_"))
           and k not in ("SECRET_KEY", "SOFTHSM2_CONF")}
    env["IDP_INSTANCE_PATH"] = str(instance)
    log = instance / "provider.log"
    with open(log, "w") as output:
        process = subprocess.Popen([IDP, "run", "--port", str(port)], env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(config["IDP_ISSUER"], process, log)
        yield Provider(config["IDP_ISSUER"], simulators, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_serving(issuer, process, log):
    for _ in range(600):
        if process.poll() is not None:
            pytest.fail("the provider exited:\n" + log.read_text())
        try:
            if requests.get(issuer + "/.well-known/openid-configuration", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    pytest.fail("the provider did not start:\n" + log.read_text())


@pytest.fixture(scope="session")
def simulators():
    running = start_simulators(smpp_port=0, sms_http_port=0, registry_port=0)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def provider(app, simulators, tmp_path_factory):
    with sms_provider(app, simulators, tmp_path_factory.mktemp("sms")) as served:
        yield served


@pytest.fixture
def sms(provider):
    provider.reset()
    yield provider
    provider.reset()


def tx_of(page):
    return parse_qs(urlsplit(page.url).query).get("tx", [None])[0]


class Citizen(Browser):
    """A citizen's browser on the provider's registration and login pages."""

    def __init__(self, provider, language=None):
        super().__init__(provider.issuer)
        self.provider = provider
        if language:
            self.http.headers["Accept-Language"] = language

    def submit(self, path, tx=None, **fields):
        """GET the form, POST it with its CSRF token; returns the answer, redirects
        inside the provider followed."""
        form = self.get(path + (f"?tx={tx}" if tx else ""))
        assert form.status_code == 200, (form.status_code, form.text[:500])
        data = {"csrf_token": self.csrf(form), **fields}
        if tx:
            data["tx"] = tx
        return self.follow(self.post(path, data))

    def start_registration(self, person, tx=None):
        return self.submit("/register", tx, national_id=person["national_id"],
                           date_of_birth=person["date_of_birth"])

    def enter_code(self, purpose, code, tx=None):
        path = "/register/code" if purpose == "register" else "/login/sms/code"
        return self.submit(path, tx, code=code)

    def resend(self, purpose, tx=None):
        path = "/register/resend" if purpose == "register" else "/login/sms/resend"
        code_page = "/register/code" if purpose == "register" else "/login/sms/code"
        form = self.get(code_page + (f"?tx={tx}" if tx else ""))
        data = {"csrf_token": self.csrf(form), **({"tx": tx} if tx else {})}
        return self.follow(self.post(path, data))

    def choose_password(self, password=PASSWORD, confirmation=None, tx=None):
        return self.submit("/register/password", tx, password=password,
                           confirmation=password if confirmation is None else confirmation)

    def register(self, person, password=PASSWORD, tx=None):
        page = self.start_registration(person, tx)
        assert "/register/code" in page.url, page.text[:800]
        page = self.enter_code("register", self.provider.last_code(person["mobile"]), tx)
        assert "/register/password" in page.url, page.text[:800]
        page = self.choose_password(password, tx=tx)
        assert "/login/sms" in page.url, page.text[:800]
        return page

    def start_login(self, person, password=PASSWORD, tx=None):
        return self.submit("/login/sms", tx, national_id=person["national_id"],
                           password=password)

    def login(self, person, password=PASSWORD, tx=None):
        page = self.start_login(person, password, tx)
        assert "/login/sms/code" in page.url, page.text[:800]
        return self.enter_code("login", self.provider.last_code(person["mobile"]), tx)


def alert_of(page):
    """The text of the page's error alert."""
    match = re.search(r'role="alert">\s*<p><span class="visually-hidden">[^<]*</span>(.*?)</p>',
                      page.text, re.S)
    return match.group(1).strip() if match else None


def field_error_of(page, name):
    match = re.search(rf'id="{name}-error"><span class="visually-hidden">[^<]*</span>(.*?)</p>',
                      page.text, re.S)
    return match.group(1).strip() if match else None
