"""CIBA in poll mode for the benchmark: the MSSP simulator (Mobile ID) beside a Bawaba
target, its SoftHSM2 SIMs personalised by the target's PKI (`python -m
connectors.mssp.sims setup`) and scripted to confirm each request after CONFIRM_DELAY with
the SIM PIN, as a person would on the phone; the provider's settings for it; the citizens
of those SIMs and a poll-mode CIBA client.

run.py calls `prepare` before the target is seeded and started, then `seed` (this file run
as a script in the target's environment prints the setup JSON the load generator reads).
The reference provider gets the same client and approves after the same delay
(reference/server.mjs --ciba)."""

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CIBA_GRANT = "urn:openid:params:grant-type:ciba"
CLIENT_ID = "bench-ciba"
CONFIRM_DELAY = 0.5  # seconds from the request reaching the phone to the person's PIN
POLL_INTERVAL = 1  # seconds: the provider polling the MSSP, and clients polling the provider


def mobile_id_sims():
    """The SIMs that hold a Mobile ID key and a Mobile ID CA certificate."""
    from connectors.mssp.sims import load_manifest

    return [sim for sim in load_manifest().values()
            if sim.key and sim.certificate and sim.profile == "sim"]


def prepare(env, directory, pin=()):
    """Personalise the SIMs, start the simulator (behind `pin`, e.g. a taskset command);
    (its process, the provider's settings)."""
    from connectors.mssp.simulator import DEV_AP_ID
    from connectors.mssp.simulator import DEV_AP_PASSWORD
    from connectors.mssp.simulator import DEV_MSSP_ID
    from connectors.mssp.simulator import DEV_SIGNATURE_PROFILE

    idp = str(ROOT / ".venv" / "bin" / "idp")
    subprocess.run([idp, "db", "upgrade"], env=env, cwd=directory, check=True,
                   capture_output=True)
    sims = directory / "mssp"
    subprocess.run([PYTHON, "-m", "connectors.mssp.sims", "setup", "--dir", str(sims),
                    "--idp", idp], env=env, cwd=ROOT, check=True, capture_output=True)
    log = open(directory / "mssp.log", "wb")  # noqa: SIM115  (the process keeps it)
    process = subprocess.Popen([*pin, PYTHON, "-m", "connectors.mssp.simulator", "--port", "0",
                                "--dir", str(sims)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=log, text=True, env={**env, "PYTHONUNBUFFERED": "1"})
    log.close()
    lines = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()),
                              daemon=True)
    reader.start()
    reader.join(timeout=60)
    match = re.match(r"MSSP simulator listening on (\S+)", lines[0] if lines else "")
    if not match:
        process.kill()
        raise RuntimeError("the MSSP simulator did not start: "
                           + (directory / "mssp.log").read_text()[-1000:])
    url = match.group(1)
    import requests

    for sim in mobile_id_sims():
        answer = requests.post(f"{url}/control/{sim.msisdn}", timeout=10,
                               json={"behaviour": "confirm_after", "delay": CONFIRM_DELAY})
        answer.raise_for_status()
    settings = {
        "IDP_LOGIN_METHODS": json.dumps(["sms", "mobile-id"]),
        "IDP_CIBA_INTERVAL": str(POLL_INTERVAL),
        "MSSP_OPERATORS": "dev", "MSSP_DEV_URL": url, "MSSP_DEV_AP_ID": DEV_AP_ID,
        "MSSP_DEV_AP_PASSWORD": DEV_AP_PASSWORD, "MSSP_DEV_MSSP_ID": DEV_MSSP_ID,
        "MSSP_DEV_SIGNATURE_PROFILE": DEV_SIGNATURE_PROFILE,
        "MSSP_DEV_POLL_INTERVAL": str(POLL_INTERVAL),
    }
    return process, settings


def stop(process):
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def reference_setup():
    return {"client_id": CLIENT_ID, "client_secret": "bench-ciba-secret",
            "login_hints": [f"bench-user-{i}" for i in range(4)]}


def seed():
    """The SIM owners (account and registered citizen with the mobile number on record)
    and the CIBA client, in the target's database; the load generator's setup."""
    from idp import create_app
    from idp.extensions import db
    from idp.models import Account
    from idp.models import Citizen
    from idp.registration import Registration
    from idp.registration import register

    app = create_app()
    hints = []
    with app.app_context():
        for sim in mobile_id_sims():
            account = Account(sub=f"citizen-{sim.national_id}", national_id=sim.national_id,
                              profile={"name": f"{sim.given_name} {sim.family_name}",
                                       "given_name": sim.given_name,
                                       "family_name": sim.family_name})
            db.session.add(account)
            db.session.flush()
            db.session.add(Citizen(account_id=account.id, national_id=sim.national_id,
                                   password_hash="$argon2id$not-used-here",
                                   phone_number=sim.msisdn))
            hints.append(sim.national_id)
        client, secret = register(Registration(
            name="Bench service counter", grant_types=[CIBA_GRANT],
            scopes=["openid", "profile"], client_id=CLIENT_ID,
            backchannel_token_delivery_mode="poll"))
        db.session.commit()
        db.engine.dispose()
    return {"client_id": CLIENT_ID, "client_secret": secret, "login_hints": hints}


if __name__ == "__main__":
    json.dump(seed(), sys.stdout)
