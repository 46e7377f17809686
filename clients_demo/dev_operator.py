"""The development service centre's operator: a test identity of the civil registry
simulator, registered at the provider the way a person registers (the registration pages,
the code read from the SMS simulator's outbox, a password), so that `idp centres operators
add` can name their account. An identity already registered is only looked up
(`idp citizens show`). Development only: the password is printed on the landing page."""

import json
import re
import time

import requests

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE = re.compile(r"\b(\d{6})\b")
TIMEOUT = 10
WAIT = 30  # seconds for the registration code to reach the outbox


class OperatorSetupError(RuntimeError):
    pass


def operator_sub(run_idp, issuer, outbox_json, person, password):
    """The sub of `person` ({national_id, date_of_birth, mobile}), registered first if
    needed."""
    found = _registered(run_idp, person["national_id"])
    if found is None:
        register(issuer, outbox_json, person, password)
        found = _registered(run_idp, person["national_id"])
    if found is None:
        raise OperatorSetupError(f"{person['national_id']} could not be registered")
    return found


def _registered(run_idp, national_id):
    code, out, _err = run_idp("citizens", "show", national_id, "--json")
    return json.loads(out)["sub"] if code == 0 else None


def register(issuer, outbox_json, person, password):
    http = requests.Session()
    since = _newest(outbox_json, person["mobile"])
    _submit(http, issuer + "/register", national_id=person["national_id"],
            date_of_birth=person["date_of_birth"])
    code = _wait_for_code(outbox_json, person["mobile"], since)
    _submit(http, issuer + "/register/code", code=code)
    _submit(http, issuer + "/register/password", password=password, confirmation=password)


def _submit(http, url, **fields):
    form = http.get(url, timeout=TIMEOUT)
    token = CSRF.search(form.text)
    if form.status_code != 200 or token is None:
        raise OperatorSetupError(f"{url}: HTTP {form.status_code}")
    answer = http.post(url, data={"csrf_token": token.group(1), **fields}, timeout=TIMEOUT,
                       allow_redirects=False)
    if answer.status_code != 303:
        raise OperatorSetupError(f"{url}: HTTP {answer.status_code}")


def _messages(outbox_json, msisdn):
    answer = requests.get(outbox_json, params={"to": msisdn}, timeout=TIMEOUT)
    answer.raise_for_status()
    return answer.json()["messages"]  # newest first


def _newest(outbox_json, msisdn):
    messages = _messages(outbox_json, msisdn)
    return messages[0]["id"] if messages else None


def _wait_for_code(outbox_json, msisdn, since):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        messages = _messages(outbox_json, msisdn)
        if messages and messages[0]["id"] != since:
            found = CODE.search(messages[0]["text"])
            if found:
                return found.group(1)
        time.sleep(0.2)
    raise OperatorSetupError(f"no registration code reached {msisdn}")


def operator_subs(run_idp, issuer, sms_outbox, identities, national_ids, password):
    """The subs of the identities (by national ID) who operate the development centre."""
    from .landing import load_identities

    if not national_ids:
        return []
    if not password or not sms_outbox:
        raise OperatorSetupError("an operator needs a password and the SMS outbox")
    people = {p["national_id"]: p for p in load_identities(identities)}
    outbox_json = sms_outbox.rstrip("/") + "/outbox"
    missing = [n for n in national_ids if n not in people]
    if missing:
        raise OperatorSetupError(f"not a test identity: {', '.join(missing)}")
    return [operator_sub(run_idp, issuer, outbox_json, people[n], password)
            for n in national_ids]
