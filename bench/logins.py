"""Load generator of the login scenarios against a Bawaba target: each iteration is a new
browser with no session going through the whole authorization-code flow with PKCE, the
login pages driven as a browser drives them (the forms' CSRF tokens, cookies, every
redirect followed with a GET):

    GET /authorize (S256, state, nonce, prompt=consent) → the login chooser → the
    method's page and steps → the consent page, allowed → the redirect with the code
    (state checked) → POST /token (ID token checked) → GET /userinfo

- `login_sms`: national ID and password, the code read from the SMS simulator's outbox,
  the code page; citizens registered beforehand (login_targets.py), each used by one
  browser at a time and for at most four logins (codes per number and hour);
- `login_card`: the card page's challenge (POST /login/card/challenge with the page's
  CSRF token), signed by the card's key in a SoftHSM2 token through PKCS#11 as the card
  agent signs it (ES256 over hash(origin) ‖ hash(nonce), raw r ‖ s), posted in the Web eID
  token format (web-eid:1.0) with the card's certificate read from the token;
- `login_mobile_id`: national ID and mobile number, then the waiting page's status
  endpoint asked every `data-interval` seconds, as static/mobile-id.js does, until the
  MSSP simulator's phone has confirmed.

Every step's status is checked: a step that does not answer as a browser expects counts
an error. Prints one JSON line as reference/loadgen.mjs does.

    logins.py --base URL --scenario login_sms --duration 10 --warmup 3 --concurrency 16 \\
        --setup FILE
"""

import argparse
import base64
import hashlib
import json
import os
import queue
import re
import secrets
import threading
import time
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests

SCOPE = "openid profile offline_access"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE = re.compile(r"\b(\d{6})\b")
INTERVAL = re.compile(r'data-interval="(\d+)"')
APP_VERSION = "https://bawaba.example/bawaba-card-agent/bench"
LOGINS_PER_CITIZEN = 4  # login_targets.LOGINS_PER_CITIZEN


class StepError(Exception):
    """A step did not answer as a browser expects."""


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Browser:
    """One person's browser: no cookies at the start, provider requests counted."""

    def __init__(self, base, http):
        self.base, self.http = base, http
        self.requests = 0
        http.cookies.clear()

    def get(self, url, expect=None, **kwargs):
        response = self.http.get(urljoin(self.base, url), allow_redirects=False, timeout=30,
                                 **kwargs)
        return self._checked(response, expect, "GET")

    def post(self, url, expect=None, **kwargs):
        response = self.http.post(urljoin(self.base, url), allow_redirects=False, timeout=30,
                                  **kwargs)
        return self._checked(response, expect, "POST")

    def _checked(self, response, expect, method):
        self.requests += 1
        wanted = expect or (200, 302, 303)
        if response.status_code not in wanted:
            path = urlsplit(response.url).path
            raise StepError(f"{method} {path}: HTTP {response.status_code} "
                            f"{response.text[:200]!r}")
        return response

    def follow(self, response):
        """Follow redirects inside the provider; the page, or the redirect leaving it."""
        while response.status_code in (302, 303):
            location = urljoin(response.url, response.headers["Location"])
            if not location.startswith(self.base):
                return response
            response = self.get(location)
        return response


def csrf_of(page):
    match = CSRF.search(page.text)
    if not match:
        raise StepError(f"no CSRF token on {urlsplit(page.url).path}")
    return match.group(1)


def expect_page(page, path):
    if page.status_code != 200 or urlsplit(page.url).path != path:
        raise StepError(f"expected the page {path}, got HTTP {page.status_code} at "
                        f"{urlsplit(page.url).path}")
    return page


class Flow:
    """The authorization-code flow around a login method's steps."""

    def __init__(self, base, setup):
        self.base = base
        self.web = setup["web"]
        self.config = requests.get(base + "/.well-known/openid-configuration", timeout=10).json()

    def run(self, browser, method, login):
        verifier = b64url(secrets.token_bytes(32))
        state, nonce = b64url(secrets.token_bytes(8)), b64url(secrets.token_bytes(8))
        params = {"response_type": "code", "client_id": self.web["client_id"],
                  "redirect_uri": self.web["redirect_uri"], "scope": SCOPE, "state": state,
                  "nonce": nonce, "prompt": "consent", "code_challenge_method": "S256",
                  "code_challenge": b64url(hashlib.sha256(verifier.encode()).digest())}
        chooser = expect_page(browser.follow(browser.get(
            self.config["authorization_endpoint"] + "?" + urlencode(params), expect=(302, 303))),
            "/login")
        tx = parse_qs(urlsplit(chooser.url).query)["tx"][0]
        if f'href="/login/{method}?tx={tx}"' not in chooser.text:
            raise StepError(f"the chooser does not offer {method}")
        consent = expect_page(browser.follow(login(browser, tx)), "/consent")
        answer = browser.follow(browser.post("/consent", expect=(303,), data={
            "csrf_token": csrf_of(consent), "tx": tx, "decision": "allow"}))
        location = answer.headers.get("Location", "")
        if answer.status_code != 302 or not location.startswith(self.web["redirect_uri"]):
            raise StepError(f"expected the redirect to the client, got HTTP "
                            f"{answer.status_code} {location[:120]}")
        query = parse_qs(urlsplit(location).query)
        if query.get("state") != [state] or not query.get("code"):
            raise StepError(f"no code or a wrong state in {location[:120]}")
        auth = (self.web["client_id"], self.web["client_secret"])
        tokens = browser.post(self.config["token_endpoint"], expect=(200,), auth=auth, data={
            "grant_type": "authorization_code", "code": query["code"][0],
            "redirect_uri": self.web["redirect_uri"], "code_verifier": verifier}).json()
        if "id_token" not in tokens:
            raise StepError("token: no id_token")
        browser.get(self.config["userinfo_endpoint"], expect=(200,),
                    headers={"Authorization": f"Bearer {tokens['access_token']}"})


class SmsLogin:
    """National ID and password, then the code from the SMS simulator's outbox."""

    method = "sms"

    def __init__(self, setup):
        self.outbox = setup["sms"]["outbox"]
        self.people = queue.Queue()
        for person in setup["sms"]["people"]:
            self.people.put({**person, "logins": 0, "last_message": None})
        self.reader = threading.local()

    def __call__(self, browser, tx):
        try:
            person = self.people.get_nowait()
        except queue.Empty:
            raise StepError("no registered citizen has a code left this hour") from None
        try:
            return self._login(browser, tx, person)
        finally:
            person["logins"] += 1
            if person["logins"] < LOGINS_PER_CITIZEN:
                self.people.put(person)

    def _login(self, browser, tx, person):
        form = browser.get(f"/login/sms?tx={tx}", expect=(200,))
        sent = browser.post("/login/sms", expect=(303,), data={
            "csrf_token": csrf_of(form), "tx": tx, "national_id": person["national_id"],
            "password": person["password"]})
        page = expect_page(browser.follow(sent), "/login/sms/code")
        code = self._code(person)
        return browser.post("/login/sms/code", expect=(303,), data={
            "csrf_token": csrf_of(page), "tx": tx, "code": code})

    def _code(self, person):
        """The newest message to the person's number, once it is not the last one used."""
        if not hasattr(self.reader, "http"):
            self.reader.http = requests.Session()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            messages = self.reader.http.get(self.outbox, params={"to": person["mobile"],
                                                                 "limit": 1},
                                            timeout=10).json()["messages"]
            if messages and messages[0]["id"] != person["last_message"]:
                person["last_message"] = messages[0]["id"]
                return CODE.search(messages[0]["text"]).group(1)
            time.sleep(0.02)
        raise StepError(f"no new SMS to {person['mobile']}")


class CardLogin:
    """The card page's challenge signed by the card's key in a SoftHSM2 token."""

    method = "card"

    def __init__(self, setup):
        import pkcs11
        from pkcs11 import Attribute
        from pkcs11 import ObjectClass

        card = setup["card"]
        os.environ["SOFTHSM2_CONF"] = card["softhsm2_conf"]  # before the module loads
        token = pkcs11.lib(card["module"]).get_token(token_label=card["label"])
        self.session = token.open(user_pin=card["pin"])  # one login per token and process
        self.key = self.session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=b"\x01")
        [certificate] = self.session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE,
                                                  Attribute.ID: b"\x01"})
        self.certificate = base64.b64encode(certificate[Attribute.VALUE]).decode()
        self.lock = threading.Lock()  # one operation at a time on the session

    def token(self, origin, nonce):
        """The Web eID token (web-eid:1.0) for the challenge, as the card agent makes it."""
        from pkcs11 import Mechanism

        signed = hashlib.sha256(origin.encode()).digest() + hashlib.sha256(
            nonce.encode()).digest()
        with self.lock:
            signature = self.key.sign(hashlib.sha256(signed).digest(),
                                      mechanism=Mechanism.ECDSA)
        return json.dumps({"unverifiedCertificate": self.certificate, "algorithm": "ES256",
                           "signature": base64.b64encode(signature).decode(),
                           "format": "web-eid:1.0", "appVersion": APP_VERSION})

    def __call__(self, browser, tx):
        page = browser.get(f"/login/card?tx={tx}", expect=(200,))
        csrf = csrf_of(page)
        challenge = browser.post("/login/card/challenge", expect=(200,), json={"tx": tx},
                                 headers={"X-CSRFToken": csrf,
                                          "Accept": "application/json"}).json()
        return browser.post("/login/card/token", expect=(303,), data={
            "csrf_token": csrf, "tx": tx,
            "token": self.token(challenge["origin"], challenge["nonce"])})


class MobileIdLogin:
    """National ID and mobile number, then the waiting page's status calls."""

    method = "mobile-id"

    def __init__(self, setup):
        self.sims = setup["sims"]
        self.next = 0
        self.lock = threading.Lock()

    def __call__(self, browser, tx):
        with self.lock:
            sim = self.sims[self.next % len(self.sims)]
            self.next += 1
        form = browser.get(f"/login/mobile-id?tx={tx}", expect=(200,))
        sent = browser.post("/login/mobile-id", expect=(303,), data={
            "csrf_token": csrf_of(form), "tx": tx, "national_id": sim["national_id"],
            "msisdn": sim["msisdn"]})
        waiting = expect_page(browser.follow(sent), "/login/mobile-id/wait")
        csrf = csrf_of(waiting)
        interval = max(1, int(INTERVAL.search(waiting.text).group(1)))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(interval)
            answer = browser.post("/login/mobile-id/status", expect=(200,), data={"tx": tx},
                                  headers={"X-CSRFToken": csrf,
                                           "Accept": "application/json"}).json()
            if answer["state"] == "done":
                return browser.get(answer["location"], expect=(303,))
            if answer["state"] != "pending":
                raise StepError(f"mobile id: {answer}")
            interval = max(1, answer.get("interval", interval))
        raise StepError("mobile id: still pending after 60 s")


LOGINS = {"login_sms": SmsLogin, "login_card": CardLogin, "login_mobile_id": MobileIdLogin}


def drive(flow, login, sessions, seconds, record):
    """Every virtual user runs iterations until `seconds` have passed."""
    stop_at = time.monotonic() + seconds
    totals = {"latencies": [], "errors": 0, "first_error": None, "requests": 0}
    lock = threading.Lock()

    def user(http):
        latencies, errors, first, count = [], 0, None, 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            browser = Browser(flow.base, http)
            try:
                flow.run(browser, login.method, login)
                latencies.append((time.perf_counter() - started) * 1000)
            except Exception as error:  # any failure of an iteration counts, never stops a user
                errors += 1
                first = first or f"{type(error).__name__}: {error}"
            count += browser.requests
        with lock:
            totals["latencies"] += latencies if record else []
            totals["errors"] += errors
            totals["first_error"] = totals["first_error"] or first
            totals["requests"] += count

    threads = [threading.Thread(target=user, args=(http,)) for http in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return totals


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--scenario", required=True, choices=sorted(LOGINS))
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--setup", required=True)
    args = parser.parse_args()
    with open(args.setup) as f:
        setup = json.load(f)
    flow = Flow(args.base, setup)
    login = LOGINS[args.scenario](setup)
    sessions = [requests.Session() for _ in range(args.concurrency)]
    drive(flow, login, sessions, args.warmup, record=False)
    started = time.monotonic()
    totals = drive(flow, login, sessions, args.duration, record=True)
    elapsed = time.monotonic() - started
    latencies = sorted(totals["latencies"])

    def pct(p):
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)

    print(json.dumps({
        "scenario": args.scenario, "elapsed_s": round(elapsed, 3),
        "iterations": len(latencies), "requests": totals["requests"],
        "errors": totals["errors"], "first_error": totals["first_error"],
        "requests_per_s": round(totals["requests"] / elapsed, 1),
        "iterations_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.5), "p99_ms": pct(0.99),
    }), flush=True)


if __name__ == "__main__":
    main()
