"""`idp serve` on either WSGI server (IDP_WSGI_SERVER): Granian, the default, and gunicorn
serve the provider with the workers asked for and stop cleanly on SIGTERM; an unknown
server is refused before anything starts."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .helpers import make_client

IDP = str(Path(sys.executable).with_name("idp"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(database_url, token_config, instance, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IDP_", "PKCS11_")) and k != "SECRET_KEY"}
    env.update(token_config)
    env.update(IDP_INSTANCE_PATH=str(instance), IDP_DATABASE_URL=database_url,
               SECRET_KEY="serve-servers-secret-key-0123456789abcdef")
    env.update(extra)
    return env


def _children(pid):
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


def _wait_until_serving(issuer, process, log, workers):
    for _ in range(300):
        if process.poll() is not None:
            pytest.fail("idp serve exited:\n" + log.read_text())
        try:
            if requests.get(issuer + "/jwks", timeout=2).ok and \
                    len(_children(process.pid)) == workers:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail("idp serve did not start:\n" + log.read_text())


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_each_server_serves_the_provider(app, database_url, token_config, tmp_path, server):
    client = make_client(app, name="Job", redirect_uris=(), grant_types=("client_credentials",),
                         scopes=("tax.read",))
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = _environment(database_url, token_config, tmp_path, IDP_ISSUER=issuer,
                       IDP_WSGI_SERVER=server)
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen([IDP, "serve", "--bind", f"127.0.0.1:{port}",
                                    "--workers", "2", "--threads", "2"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(issuer, process, log, workers=2)
        with requests.Session() as http:  # one kept-alive connection where the server allows
            for _ in range(3):
                response = http.post(issuer + "/token", timeout=10,
                                     auth=(client["client_id"], client["client_secret"]),
                                     data={"grant_type": "client_credentials",
                                           "scope": "tax.read"})
                assert response.status_code == 200, response.text
                assert response.json()["token_type"] == "Bearer"
                assert response.json()["scope"] == "tax.read"
            wrong = http.post(issuer + "/token", auth=(client["client_id"], "wrong"), timeout=10,
                              data={"grant_type": "client_credentials"})
            assert wrong.status_code == 401
            assert wrong.json()["error"] == "invalid_client"
    finally:
        process.terminate()
        returncode = process.wait(timeout=90)  # beyond the workers' kill timeout
    assert returncode == 0, log.read_text()
    assert "Traceback" not in log.read_text()


def test_an_unknown_server_is_refused(app, database_url, token_config, tmp_path):
    env = _environment(database_url, token_config, tmp_path, IDP_WSGI_SERVER="uwsgi")
    done = subprocess.run([IDP, "serve", "--bind", f"127.0.0.1:{_free_port()}"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Error: not starting: IDP_WSGI_SERVER must be one of: granian, gunicorn" \
        in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_a_stop_while_workers_are_starting_is_not_lost(app, database_url, token_config,
                                                        tmp_path, server):
    port = _free_port()
    env = _environment(database_url, token_config, tmp_path,
                       IDP_ISSUER=f"http://127.0.0.1:{port}", IDP_WSGI_SERVER=server)
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen([IDP, "serve", "--bind", f"127.0.0.1:{port}",
                                    "--workers", "2"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):  # the workers exist but are still making the application
            if process.poll() is not None or len(_children(process.pid)) == 2:
                break
            time.sleep(0.05)
    finally:
        process.terminate()
        returncode = process.wait(timeout=90)
    assert returncode == 0, log.read_text()
    assert "Killing worker" not in log.read_text()  # Granian's words when a worker ignored it
    assert "Traceback" not in log.read_text()
