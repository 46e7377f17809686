"""The demo launcher: idempotent registration through `idp clients`, every app served on
its own port with a landing page listing them, and a clean stop on Ctrl-C."""

import json
import os
import select
import signal
import subprocess
import sys
import time

import pytest
import requests

from clients_demo import launcher
from clients_demo.registration import RegistrationError
from clients_demo.registration import Wanted
from clients_demo.registration import register_all
from idp.authn.assurance import LEVEL_2

from .demo_support import Person

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def in_process(app):
    def run(*args):
        result = app.test_cli_runner().invoke(args=list(args))
        return result.exit_code, result.stdout, result.stderr

    return run


def authenticates(issuer, client_id, secret):
    """The token endpoint accepts the credentials (and then refuses the made-up grant)."""
    response = requests.post(issuer + "/token", auth=(client_id, secret), timeout=10,
                             data={"grant_type": "refresh_token", "refresh_token": "none"})
    assert response.status_code in (400, 401), response.text
    return response.json()["error"] != "invalid_client"


def registered(app, client_id):
    code, out, _ = in_process(app)("clients", "show", client_id, "--json")
    return json.loads(out) if code == 0 else None


WANTED = [Wanted("demo-a", "App A", "http://127.0.0.1:6101", ("openid", "profile")),
          Wanted("demo-b", "App B", "http://127.0.0.1:6102", ("openid", "profile", "email"))]


def test_registration_creates_then_reuses(app, issuer, tmp_path):
    secrets_file = tmp_path / "demo" / "clients.json"
    first = register_all(in_process(app), WANTED, secrets_file)
    assert set(first) == {"demo-a", "demo-b"}
    assert oct(secrets_file.stat().st_mode & 0o777) == "0o600"
    shown = registered(app, "demo-b")
    assert shown["redirect_uris"] == ["http://127.0.0.1:6102/callback"]
    assert shown["post_logout_redirect_uris"] == ["http://127.0.0.1:6102/logged-out"]
    assert shown["backchannel_logout_uri"] == "http://127.0.0.1:6102/backchannel-logout"
    assert shown["scope"] == "openid profile email"
    assert authenticates(issuer, "demo-a", first["demo-a"])

    again = register_all(in_process(app), WANTED, secrets_file)
    assert again == first
    assert authenticates(issuer, "demo-a", first["demo-a"])
    code, out, _ = in_process(app)("clients", "list", "--json")
    assert sorted(c["client_id"] for c in json.loads(out)) == ["demo-a", "demo-b"]


def test_a_lost_secret_is_rotated_and_a_moved_app_registered_again(app, issuer, tmp_path):
    secrets_file = tmp_path / "clients.json"
    first = register_all(in_process(app), WANTED, secrets_file)
    secrets_file.unlink()
    rotated = register_all(in_process(app), WANTED, secrets_file)
    assert rotated["demo-a"] != first["demo-a"]
    assert not authenticates(issuer, "demo-a", first["demo-a"])
    assert authenticates(issuer, "demo-a", rotated["demo-a"])

    moved = [Wanted("demo-a", "App A", "http://127.0.0.1:6201", ("openid", "profile"))]
    recreated = register_all(in_process(app), moved, secrets_file)
    assert registered(app, "demo-a")["redirect_uris"] == ["http://127.0.0.1:6201/callback"]
    assert authenticates(issuer, "demo-a", recreated["demo-a"])
    assert json.loads(secrets_file.read_text())["demo-a"] == recreated["demo-a"]


def test_registration_reports_what_the_cli_refused(app, tmp_path):
    bad = [Wanted("demo-x", "X", "http://rp.example", ("openid",))]
    with pytest.raises(RegistrationError, match="loopback"):
        register_all(in_process(app), bad, tmp_path / "clients.json")


def test_the_launcher_serves_every_app_and_the_landing_page(app, issuer, tmp_path):
    options = launcher.parse_args(["--issuer", issuer, "--base-port", "0", "--instance",
                                   str(tmp_path), "--hr-reviewer", "r-1"])
    demo = launcher.start(options, in_process(app))
    try:
        landing = requests.get(demo.urls["landing"] + "/", timeout=10)
        assert landing.status_code == 200
        for spec in launcher.APPS:
            assert f'data-app="{spec.key}"' in landing.text
            assert demo.urls[spec.key] in landing.text
            home = requests.get(demo.urls[spec.key] + "/", timeout=10)
            assert home.status_code == 200 and spec.title in home.text
            assert registered(app, spec.client_id)["redirect_uris"] == \
                [demo.urls[spec.key] + "/callback"]
        assert "10293847" in landing.text and "Ahmed bin Salim" in landing.text
        arabic = requests.get(demo.urls["landing"] + "/?lang=ar", timeout=10)
        assert '<html lang="ar" dir="rtl">' in arabic.text and "أحمد بن سالم" in arabic.text
        assert requests.get(demo.urls["payment"] + "/", timeout=10).status_code == 200
        fund = demo.urls["social_insurance"]  # started by the launcher: no URL was given
        assert f'<dd class="social-insurance">{fund}</dd>' in landing.text
        assert requests.get(fund + "/health", timeout=10).status_code == 200

        person = Person(issuer)
        page = person.get(demo.urls["hr"] + "/grievances/new", acr=LEVEL_2)
        assert page.status_code == 200 and 'name="description"' in page.text
    finally:
        demo.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(demo.urls["hr"] + "/", timeout=5)
    with pytest.raises(requests.ConnectionError):
        requests.get(fund + "/health", timeout=5)


def test_the_command_starts_and_stops_cleanly_on_ctrl_c(issuer, tmp_path, database_url,
                                                        token_config):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IDP_", "PKCS11_", "DEMO_")) and k != "SECRET_KEY"}
    env.update(token_config, IDP_INSTANCE_PATH=str(tmp_path), IDP_DATABASE_URL=database_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "clients_demo.launcher", "--issuer", issuer, "--base-port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = read_line(process, "Demo apps: ")
        landing = line.split("Demo apps: ", 1)[1].strip()
        assert requests.get(landing + "/", timeout=10).status_code == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Demo apps stopped." in out, (out, err)
    assert "Traceback" not in err, err
    with pytest.raises(requests.ConnectionError):
        requests.get(landing + "/", timeout=5)


def read_line(process, prefix, wait=60):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1)
        if ready:
            line = process.stdout.readline()
            if line.startswith(prefix):
                return line
            if not line and process.poll() is not None:
                break
    process.kill()
    raise AssertionError("the launcher did not start: " + process.communicate()[1][-2000:])
