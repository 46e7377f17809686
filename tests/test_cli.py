"""`idp clients` and `idp keys`: what an administrator types, and what relying parties then
see over HTTP. A bad argument is a usage error (exit code 2) naming the option."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from .helpers import REDIRECT_URI
from .helpers import RelyingParty
from .helpers import make_client
from .helpers import sign_in

IDP = str(Path(sys.executable).with_name("idp"))


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def ok_json(app, *args):
    result = run(app, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def client_credentials(issuer, client_id, secret, **data):
    return requests.post(issuer + "/token", data={"grant_type": "client_credentials", **data},
                         auth=(client_id, secret), timeout=10)


def public_jwks(private=False):
    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    return json.dumps({"keys": [key.as_dict(private=private)]})


def test_create_confidential_client_prints_its_secret_once(app, issuer):
    created = ok_json(app, "clients", "create", "--name", "Tax office",
                      "--redirect-uri", REDIRECT_URI,
                      "--redirect-uri", "http://127.0.0.1:8000/cb",
                      "--post-logout-redirect-uri", "https://rp.example/bye",
                      "--scope", "openid profile", "--scope", "email", "--json")
    assert set(created) >= {"client_id", "client_secret", "client_name", "redirect_uris"}
    assert created["client_name"] == "Tax office"
    assert created["redirect_uris"] == [REDIRECT_URI, "http://127.0.0.1:8000/cb"]
    assert created["post_logout_redirect_uris"] == ["https://rp.example/bye"]
    assert created["grant_types"] == ["authorization_code", "refresh_token"]
    assert created["response_types"] == ["code"]
    assert created["scope"] == "openid profile email"
    assert created["token_endpoint_auth_method"] == "client_secret_basic"
    assert created["id_token_signed_response_alg"] == "ES256"
    assert len(created["client_secret"]) >= 32

    shown = ok_json(app, "clients", "show", created["client_id"], "--json")
    assert "client_secret" not in shown
    assert shown["client_id"] == created["client_id"]
    listed = ok_json(app, "clients", "list", "--json")
    assert [c["client_id"] for c in listed] == [created["client_id"]]
    assert created["client_secret"] not in json.dumps(listed)
    assert "client_secret" not in listed[0]
    text = run(app, "clients", "list")
    assert text.exit_code == 0
    assert text.stdout == f"{created['client_id']}\tclient_secret_basic\tTax office\n"

    # The printed secret is the one the token endpoint accepts.
    rp = RelyingParty(issuer, created)
    callback = sign_in(rp=rp, browser=_browser(issuer))
    assert rp.exchange(callback["code"]).status_code == 200


def _browser(issuer):
    from .helpers import Browser

    return Browser(issuer)


def test_defaults_and_public_client(app):
    public = ok_json(app, "clients", "create", "--name", "Mobile app", "--public",
                     "--redirect-uri", "http://127.0.0.1/callback", "--json")
    assert public["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in public
    assert public["scope"] == "openid profile"
    post = ok_json(app, "clients", "create", "--name", "Post", "--redirect-uri", REDIRECT_URI,
                   "--auth-method", "client_secret_post", "--id-token-alg", "EdDSA", "--json")
    assert post["token_endpoint_auth_method"] == "client_secret_post"
    assert post["id_token_signed_response_alg"] == "EdDSA"
    assert post["client_secret"]
    keyed = ok_json(app, "clients", "create", "--name", "Keyed", "--redirect-uri", REDIRECT_URI,
                    "--auth-method", "private_key_jwt", "--jwks", public_jwks(), "--json")
    assert keyed["token_endpoint_auth_method"] == "private_key_jwt"
    assert "client_secret" not in keyed
    assert keyed["jwks"]["keys"][0]["kty"] == "EC"
    assert public["client_id"].isalnum() and len(public["client_id"]) == 22
    chosen = ok_json(app, "clients", "create", "--name", "Chosen", "--client-id", "tax-office.1",
                     "--redirect-uri", REDIRECT_URI, "--json")
    assert chosen["client_id"] == "tax-office.1"
    text = run(app, "clients", "show", "tax-office.1")
    assert text.exit_code == 0
    assert "client_name: Chosen" in text.stdout


def test_api_scopes_for_client_credentials(app, issuer):
    """Scopes other than the OpenID ones are API scopes, granted as registered."""
    api = ok_json(app, "clients", "create", "--name", "Batch job",
                  "--grant-type", "client_credentials", "--scope", "tax.read tax.write", "--json")
    assert api["redirect_uris"] == []
    assert api["response_types"] == []
    assert api["scope"] == "tax.read tax.write"
    response = client_credentials(issuer, api["client_id"], api["client_secret"],
                                  scope="tax.read")
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "tax.read"
    response = client_credentials(issuer, api["client_id"], api["client_secret"],
                                  scope="tax.delete")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_rotate_secret_replaces_the_old_secret(app, issuer):
    api = ok_json(app, "clients", "create", "--name", "Batch job",
                  "--grant-type", "client_credentials", "--scope", "tax.read", "--json")
    assert client_credentials(issuer, api["client_id"], api["client_secret"]).status_code == 200

    rotated = ok_json(app, "clients", "rotate-secret", api["client_id"], "--json")
    assert rotated["client_id"] == api["client_id"]
    assert rotated["client_secret"] != api["client_secret"]

    old = client_credentials(issuer, api["client_id"], api["client_secret"])
    assert old.status_code == 401
    assert old.json()["error"] == "invalid_client"
    assert old.headers["WWW-Authenticate"].startswith("Basic")
    new = client_credentials(issuer, api["client_id"], rotated["client_secret"])
    assert new.status_code == 200, new.text


def test_delete_stops_every_token_of_the_client(app, issuer, browser):
    client = make_client(app, extra=("--client-id", "leaving-rp"))
    rp = RelyingParty(issuer, client)
    tokens = rp.exchange(sign_in(browser, rp, scope="openid profile")["code"]).json()
    api = ok_json(app, "clients", "create", "--name", "Leaving job", "--grant-type",
                  "client_credentials", "--scope", "tax.read", "--json")
    api_token = client_credentials(issuer, api["client_id"], api["client_secret"]).json()
    resource = RelyingParty(issuer, ok_json(
        app, "clients", "create", "--name", "Resource server", "--grant-type",
        "client_credentials", "--scope", "introspection", "--json"))
    for token in (tokens["access_token"], tokens["refresh_token"], api_token["access_token"]):
        assert resource.introspect(token).json()["active"] is True
    assert rp.userinfo(tokens["access_token"]).status_code == 200

    result = run(app, "clients", "delete", "leaving-rp", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"client_id": "leaving-rp", "deleted": True}
    assert run(app, "clients", "delete", api["client_id"]).stdout == \
        f"deleted {api['client_id']}\n"

    for token in (tokens["access_token"], tokens["refresh_token"], api_token["access_token"]):
        response = resource.introspect(token)
        assert response.status_code == 200
        assert response.json() == {"active": False}
    info = rp.userinfo(tokens["access_token"])
    assert info.status_code == 401
    assert info.json()["error"] == "invalid_token"
    refresh = rp.refresh(tokens["refresh_token"])
    assert refresh.status_code == 401
    assert refresh.json()["error"] == "invalid_client"
    assert client_credentials(issuer, api["client_id"], api["client_secret"]).status_code == 401
    assert run(app, "clients", "show", "leaving-rp").exit_code == 2

    # A new client under the same client_id inherits neither tokens nor consent.
    again = RelyingParty(issuer, make_client(app, extra=("--client-id", "leaving-rp")))
    page = browser.authorize(again.params())
    assert page.status_code == 200
    assert "/consent" in page.url
    assert resource.introspect(tokens["access_token"]).json() == {"active": False}


R = ["--redirect-uri", REDIRECT_URI]
INVALID = [
    (["--grant-type", "implicit"], "'--grant-type'"),
    (["--grant-type", "refresh_token"], "'--grant-type'"),
    (["--redirect-uri", "http://rp.example/cb"], "'--redirect-uri'"),
    (["--redirect-uri", "https://rp.example/cb#top"], "'--redirect-uri'"),
    (["--redirect-uri", "/callback"], "'--redirect-uri'"),
    (["--redirect-uri", "rp.example/cb"], "'--redirect-uri'"),
    (["--redirect-uri", "https://user:pw@rp.example/cb"], "'--redirect-uri'"),
    (["--redirect-uri", "https://rp.example/c b"], "'--redirect-uri'"),
    (["--grant-type", "authorization_code"], "'--redirect-uri'"),
    ([*R, "--post-logout-redirect-uri", "http://rp.example/bye"],
     "'--post-logout-redirect-uri'"),
    ([*R, "--post-logout-redirect-uri", "https://rp.example/bye#x"],
     "'--post-logout-redirect-uri'"),
    ([*R, "--backchannel-logout-uri", "http://rp.example/bc"],
     "'--backchannel-logout-uri'"),
    ([*R, "--auth-method", "private_key_jwt"], "'--jwks'"),
    ([*R, "--auth-method", "client_secret_jwt"], "'--auth-method'"),
    ([*R, "--auth-method", "none"], "'--auth-method'"),
    ([*R, "--jwks", "{not json"], "'--jwks'"),
    ([*R, "--jwks", '{"keys": [{"kty": "EC"}]}'], "'--jwks'"),
    ([*R, "--auth-method", "private_key_jwt", "--jwks", "PRIVATE"], "'--jwks'"),
    ([*R, "--jwks", "PUBLIC"], "'--jwks'"),
    ([*R, "--public", "--auth-method", "client_secret_basic"],
     "'--public / --auth-method'"),
    ([*R, "--public", "--grant-type", "authorization_code", "--grant-type",
      "client_credentials"], "'--grant-type'"),
    ([*R, "--scope", 'say"hello'], "'--scope'"),
    ([*R, "--scope", "back\\slash"], "'--scope'"),
    ([*R, "--id-token-alg", "HS256"], "'--id-token-alg'"),
    ([*R, "--client-id", "has space"], "'--client-id'"),
    ([*R, "--client-id", "x" * 65], "'--client-id'"),
    ([*R, "--client-id", "colon:id"], "'--client-id'"),
    ([*R, "--client-id=-dash-first"], "'--client-id'"),
]


@pytest.mark.parametrize(("args", "option"), INVALID)
def test_bad_arguments_are_usage_errors_naming_the_option(app, args, option):
    args = [{"PRIVATE": public_jwks(private=True), "PUBLIC": public_jwks()}.get(a, a)
            for a in args]
    result = run(app, "clients", "create", "--name", "Bad", "--json", *args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {option}" in result.stderr
    assert result.stdout == ""
    assert ok_json(app, "clients", "list", "--json") == []


def test_name_is_required_and_not_blank(app):
    assert run(app, "clients", "create", "--redirect-uri", REDIRECT_URI).exit_code == 2
    result = run(app, "clients", "create", "--name", "  ", "--redirect-uri", REDIRECT_URI)
    assert result.exit_code == 2
    assert "'--name'" in result.output


def test_duplicate_client_id(app):
    make_client(app, extra=("--client-id", "taken"))
    result = run(app, "clients", "create", "--name", "Again", "--client-id", "taken",
                 "--redirect-uri", REDIRECT_URI)
    assert result.exit_code == 2
    assert "'--client-id'" in result.output
    assert "already exists" in result.output
    assert len(ok_json(app, "clients", "list", "--json")) == 1


@pytest.mark.parametrize("command", ["show", "delete", "rotate-secret"])
def test_unknown_client_id(app, command):
    make_client(app)
    result = run(app, "clients", command, "no-such-client")
    assert result.exit_code == 2
    assert "Invalid value for 'CLIENT_ID': no client 'no-such-client'" in result.output
    assert len(ok_json(app, "clients", "list", "--json")) == 1


@pytest.mark.parametrize("options", [["--public"], ["--auth-method", "private_key_jwt"]])
def test_rotate_secret_needs_a_secret_client(app, options):
    if "private_key_jwt" in options:
        options = options + ["--jwks", public_jwks()]
    client = make_client(app, public="--public" in options,
                         auth_method=options[1] if len(options) > 1 else None,
                         extra=options[2:])
    result = run(app, "clients", "rotate-secret", client["client_id"])
    assert result.exit_code == 2
    assert "'CLIENT_ID'" in result.output
    assert "have no client secret" in result.output


def test_keys_list(app, issuer):
    keys = ok_json(app, "keys", "list", "--json")
    active = {k["alg"]: k["kid"] for k in keys if k["state"] == "active"}
    assert set(active) == {"ES256", "RS256", "EdDSA"}
    published = {k["kid"] for k in requests.get(issuer + "/jwks", timeout=5).json()["keys"]}
    assert set(active.values()) <= published
    text = run(app, "keys", "list")
    assert text.exit_code == 0
    assert f"{active['ES256']}\tES256\tactive" in text.stdout


def test_console_script_reports_usage_errors(tmp_path, database_url, token_config):
    """The installed `idp` command: exit code 2 and the option named on stderr."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IDP_", "PKCS11_")) and k != "SECRET_KEY"}
    env.update(token_config, IDP_INSTANCE_PATH=str(tmp_path), IDP_DATABASE_URL=database_url)
    done = subprocess.run([IDP, "clients", "create", "--name", "Bad", "--redirect-uri",
                           "http://rp.example/cb", "--json"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Invalid value for '--redirect-uri'" in done.stderr
    assert "http is allowed only for loopback addresses" in done.stderr
