"""Registering the demo apps with the provider through its administration CLI
(`idp clients … --json`), idempotently: a client that exists with the same settings is
reused (with the secret kept from its creation, or a rotated one if that was lost); one
whose settings changed (another port) is deleted and created again. `run_idp(*args)`
returns (exit_code, stdout, stderr), so tests can run the CLI in-process."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


class RegistrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Wanted:
    client_id: str
    name: str
    base_url: str
    scopes: tuple
    grant_types: tuple = ()  # () for the registration default

    def options(self):
        args = ["--name", self.name, "--client-id", self.client_id,
                "--redirect-uri", self.base_url + "/callback",
                "--post-logout-redirect-uri", self.base_url + "/logged-out",
                "--backchannel-logout-uri", self.base_url + "/backchannel-logout"]
        for scope in self.scopes:
            args += ["--scope", scope]
        for grant in self.grant_types:
            args += ["--grant-type", grant]
        return args

    def matches(self, shown):
        return (shown.get("client_name") == self.name
                and shown.get("redirect_uris") == [self.base_url + "/callback"]
                and shown.get("post_logout_redirect_uris") == [self.base_url + "/logged-out"]
                and shown.get("backchannel_logout_uri") == self.base_url + "/backchannel-logout"
                and (shown.get("scope") or "").split() == list(self.scopes)
                and shown.get("token_endpoint_auth_method") == "client_secret_basic"
                and (not self.grant_types
                     or sorted(shown.get("grant_types") or []) == sorted(self.grant_types)))


def idp_command(executable=None):
    """run_idp for the installed `idp` console script (next to this Python)."""
    program = executable or str(Path(sys.executable).with_name("idp"))

    def run(*args):
        done = subprocess.run([program, *args], capture_output=True, text=True, timeout=120,
                              env=os.environ.copy())
        return done.returncode, done.stdout, done.stderr

    return run


def register_all(run_idp, wanted, secrets_file):
    """{client_id: secret} for every Wanted client; the secrets are kept in `secrets_file`
    (mode 600) so that the next start reuses the registrations."""
    path = Path(secrets_file)
    known = json.loads(path.read_text()) if path.exists() else {}
    secrets = {}
    for client in wanted:
        secrets[client.client_id] = _register(run_idp, client, known.get(client.client_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps({**known, **secrets}, indent=2))
    return secrets


def _register(run_idp, client, known_secret):
    code, out, _err = run_idp("clients", "show", client.client_id, "--json")
    if code == 0:
        if client.matches(json.loads(out)):
            if known_secret:
                return known_secret
            return _json(run_idp("clients", "rotate-secret", client.client_id,
                                 "--json"))["client_secret"]
        _json(run_idp("clients", "delete", client.client_id, "--json"))
    return _json(run_idp("clients", "create", *client.options(), "--json"))["client_secret"]


def _json(result):
    return json.loads(_checked(result))


def _checked(result):
    code, out, err = result
    if code != 0:
        raise RegistrationError((err or out).strip() or f"idp exited with {code}")
    return out


def ensure_centre(run_idp, code, name, name_ar, client_id, operators=()):
    """The service centre `code` tied to `client_id` (registered for token exchange), with
    `operators` (subs) holding the operator role there; `idp centres`, idempotently."""
    centres = {c["code"]: c for c in _json(run_idp("centres", "list", "--json"))}
    if code not in centres:
        _checked(run_idp("centres", "add", code, "--name", name, "--name-ar", name_ar,
                         "--client-id", client_id))
        centres[code] = {"operators": []}
    for sub in operators:
        if sub not in centres[code]["operators"]:
            _checked(run_idp("centres", "operators", "add", code, sub))
