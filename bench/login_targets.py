"""What a Bawaba target needs for the login scenarios (bench/logins.py drives them):

- `login_sms`: the SMS simulator (SMPP) and the civil registry simulator in a process of
  their own, the registry serving generated citizens (one mobile number each); the
  citizens register over HTTP as a person does (national ID and date of birth, the code
  read from the simulator's outbox, a password) once the target serves
  (`register_citizens`). A number receives at most five codes an hour
  (OTP_SENDS_PER_NUMBER cannot be raised past five): one for the registration, so four
  logins per citizen, and enough citizens for the whole run are registered beforehand;
- `login_card`: SoftHSM2 tokens personalised as ID cards by the target's own PKI
  (`python -m connectors.card_reader.personalise`: a key made on the token, a certificate
  from `idp pki issue --profile card`) and the card holder's account;
- `login_mobile_id`: the MSSP simulator, its SIMs and their owners (bench/ciba.py).

The certificate logins ask the provider's own OCSP responder, which it answers in process,
as in a default deployment.

run.py calls `prepare` before the target is seeded and started, `seed` after its seed.py,
and `register_citizens` once it serves; `stop` at the end. The simulators run on the load
core: their CPU is not the server's.

    python bench/login_targets.py simulators --data FILE   (the SMS and registry simulators)
"""

import argparse
import json
import math
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ciba  # bench/ciba.py
from affinity import cores  # bench/affinity.py

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
IDP = str(ROOT / ".venv" / "bin" / "idp")
METHODS = {"login_sms": "sms", "login_card": "card", "login_mobile_id": "mobile-id"}
PASSWORD = "bench lemon kite tuesday"
DATE_OF_BIRTH = "1990-01-01"
LOGINS_PER_CITIZEN = 4  # five codes per number and hour, one spent on the registration
CARD_LABEL = "BAWABA-CARD-10293847"  # the P-256 development card (ES256)
CODE = re.compile(r"\b(\d{6})\b")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def prepare(scenarios, env, directory, args):
    """Start what the scenarios need beside the target; (processes, provider settings,
    setup part for the load generator)."""
    processes, settings, setup = [], {}, {}
    if "login_mobile_id" in scenarios:
        simulator, mssp = ciba.prepare(env, directory, ["taskset", "-c", args.load_cpu])
        processes.append(simulator)
        settings.update(mssp)
    if "login_sms" in scenarios:
        count = citizens_needed(args.warmup + args.duration + 5, args.concurrency,
                                len(cores(args.server_cpu)))
        people = registry_people(count, directory / "registry.json")
        process = subprocess.Popen(
            ["taskset", "-c", args.load_cpu, PYTHON, __file__, "simulators", "--data",
             str(directory / "registry.json")],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=open(directory / "sms.log", "wb"),  # noqa: SIM115
            text=True, env={**env, "PYTHONUNBUFFERED": "1"})
        processes.append(process)
        started = json.loads(_first_line(process, directory / "sms.log"))
        settings.update({k: str(v) for k, v in started["settings"].items()})
        settings["OTP_SENDS_PER_ADDRESS"] = str(10 ** 9)  # every browser is 127.0.0.1
        setup["sms"] = {"outbox": started["outbox"], "people": people}
    settings["IDP_LOGIN_METHODS"] = json.dumps([METHODS[s] for s in scenarios])
    return processes, settings, setup


def _first_line(process, log):
    lines = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()),
                              daemon=True)
    reader.start()
    reader.join(timeout=60)
    if not lines or not lines[0].startswith("{"):
        process.kill()
        raise RuntimeError("the SMS simulators did not start: " + log.read_text()[-1000:])
    return lines[0]


def stop(processes):
    for process in processes:
        ciba.stop(process)


def seed(scenarios, env, directory):
    """Accounts and cards for the scenarios, in the target's database; their setup part."""
    setup = {}
    if "login_mobile_id" in scenarios:
        subprocess.run([PYTHON, str(Path(ciba.__file__))], env=env, cwd=directory,
                       check=True, capture_output=True)
        setup["sims"] = [{"national_id": sim.national_id, "msisdn": sim.msisdn}
                         for sim in ciba.mobile_id_sims()]
    if "login_card" in scenarios:
        lab = directory / "cards"
        done = subprocess.run([PYTHON, "-m", "connectors.card_reader.personalise", "--lab",
                               str(lab), "--idp", IDP], env=env, cwd=ROOT,
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"card personalisation: {done.stderr.strip()[-800:]}")
        cards = json.loads((lab / "cards.json").read_text())
        [card] = [c for c in cards["softhsm"]["cards"] if c["label"] == CARD_LABEL]
        subprocess.run([PYTHON, __file__, "accounts", json.dumps([card])], env=env,
                       cwd=directory, check=True, capture_output=True)
        setup["card"] = {"module": cards["softhsm"]["module"],
                         "softhsm2_conf": cards["softhsm"]["softhsm2_conf"],
                         "label": card["label"], "pin": card["pin"]}
    return setup


def add_accounts(people):
    """The card holders' accounts, as the registration leaves them (no password: they
    log in with the card)."""
    from idp import create_app
    from idp.extensions import db
    from idp.models import Account

    app = create_app()
    with app.app_context():
        for person in people:
            sub = f"citizen-{person['national_id']}"
            if db.session.execute(db.select(Account).filter_by(sub=sub)).scalar_one_or_none():
                continue
            db.session.add(Account(sub=sub, national_id=person["national_id"], profile={
                "name": f"{person['given_name']} {person['family_name']}",
                "given_name": person["given_name"], "family_name": person["family_name"]}))
        db.session.commit()
        db.engine.dispose()


def citizens_needed(seconds, concurrency, server_cores):
    """Enough citizens for every SMS login of `seconds`: no provider checks more passwords
    per core and second than argon2id verifies (argon2-cffi's defaults, as Bawaba hashes),
    with a margin."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    stored = hasher.hash(PASSWORD)
    started = time.process_time()  # CPU of all argon2 lanes
    for _ in range(3):
        hasher.verify(stored, PASSWORD)
    per_second = 3 / (time.process_time() - started)
    logins = 2 * per_second * server_cores * seconds
    return concurrency + math.ceil(logins / LOGINS_PER_CITIZEN)


def registry_people(count, path):
    """`count` generated people with a mobile number each, written as the civil registry
    simulator's data; returns them with the password they will choose."""
    people = [{"national_id": f"3{i:07d}", "mobile": f"+96891{i:06d}", "password": PASSWORD}
              for i in range(count)]
    records = [{"national_id": p["national_id"], "date_of_birth": DATE_OF_BIRTH,
                "name_ar": {"given": "مواطن", "family": str(i), "full": f"مواطن {i}"},
                "name_en": {"given": "Citizen", "family": str(i), "full": f"Citizen {i}"},
                "gender": "female" if i % 2 else "male", "nationality": "OM",
                "mobile": p["mobile"], "marital_status": "single"}
               for i, p in enumerate(people)]
    path.write_text(json.dumps({"citizens": records}))
    return people


def register_citizens(base, sms, threads=16):
    """Each person of the registry registers over HTTP, as with a browser."""
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda person: _register(base, sms["outbox"], person), sms["people"]))


def _register(base, outbox, person):
    import requests

    http = requests.Session()

    def submit(path, **fields):
        page = http.get(base + path, timeout=30)
        page.raise_for_status()
        answer = http.post(base + path, data={"csrf_token": CSRF.search(page.text).group(1),
                                              **fields}, allow_redirects=False, timeout=30)
        if answer.status_code != 303:
            raise RuntimeError(f"registration {path}: HTTP {answer.status_code} "
                               f"{answer.text[:300]}")
        return answer

    submit("/register", national_id=person["national_id"], date_of_birth=DATE_OF_BIRTH)
    sent = http.get(outbox, params={"to": person["mobile"], "limit": 1}, timeout=10).json()
    code = CODE.search(sent["messages"][0]["text"]).group(1)
    submit("/register/code", code=code)
    submit("/register/password", password=PASSWORD, confirmation=PASSWORD)
    http.close()


def serve_simulators(data):
    """The SMS simulator (SMPP and its outbox over HTTP) and the civil registry simulator
    serving `data`; prints the provider's settings as one JSON line."""
    from connectors.civil_registry.simulator import RegistrySimulator
    from connectors.civil_registry.simulator import RegistrySimulatorConfig
    from connectors.simulation import wait_for_signal
    from connectors.simulators import Simulators
    from connectors.sms.simulator import SmsSimulator
    from connectors.sms.simulator import SmsSimulatorConfig

    sms = SmsSimulator(SmsSimulatorConfig(smpp_port=0, http_port=0)).start()
    registry = RegistrySimulator(RegistrySimulatorConfig(port=0, data=data)).start()
    running = Simulators(sms, registry)
    print(json.dumps({"settings": running.settings("smpp"), "outbox": sms.http.url + "/outbox"}),
          flush=True)
    try:
        wait_for_signal()
    finally:
        running.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    simulators = commands.add_parser("simulators")
    simulators.add_argument("--data", type=Path, required=True)
    accounts = commands.add_parser("accounts")
    accounts.add_argument("people", help="JSON list of national_id, given_name, family_name")
    args = parser.parse_args()
    if args.command == "simulators":
        serve_simulators(args.data)
    else:
        add_accounts(json.loads(args.people))


if __name__ == "__main__":
    sys.exit(main())
