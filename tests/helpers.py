"""Test helpers: clients registered through the CLI, a browser that follows the login
journey over HTTP, and a relying party that speaks to the provider's endpoints."""

import base64
import contextlib
import hashlib
import json
import re
import secrets
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests

from idp.authn.assurance import LEVEL_1

REDIRECT_URI = "https://rp.example/callback"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_client(app, name="Test RP", redirect_uris=(REDIRECT_URI,), public=False,
                auth_method=None, grant_types=("authorization_code", "refresh_token"),
                scopes=("openid", "profile", "email", "phone", "offline_access"),
                extra=()):
    args = ["clients", "create", "--name", name, "--json"]
    for uri in redirect_uris:
        args += ["--redirect-uri", uri]
    for grant in grant_types:
        args += ["--grant-type", grant]
    for scope in scopes:
        args += ["--scope", scope]
    if public:
        args.append("--public")
    if auth_method:
        args += ["--auth-method", auth_method]
    args += list(extra)
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def query_of(location):
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


class Browser:
    """A person's browser: keeps cookies, follows the provider's pages, stops at the RP."""

    def __init__(self, issuer):
        self.issuer = issuer
        self.http = requests.Session()

    def get(self, url, **kwargs):
        return self.http.get(urljoin(self.issuer, url), allow_redirects=False, **kwargs)

    def post(self, url, data, **kwargs):
        return self.http.post(urljoin(self.issuer, url), data=data, allow_redirects=False,
                              **kwargs)

    def csrf(self, page):
        match = CSRF.search(page.text)
        assert match, page.text[:500]
        return match.group(1)

    def follow(self, response, until=REDIRECT_URI):
        """Follow provider redirects; stop at a page or at a redirect leaving the provider."""
        while response.status_code in (302, 303):
            location = response.headers["Location"]
            if not urljoin(self.issuer, location).startswith(self.issuer):
                return response
            response = self.get(location)
        return response

    def authorize(self, params):
        return self.follow(self.get("/authorize?" + urlencode(params)))

    def login(self, page, sub="citizen-1", acr=LEVEL_1, amr="pwd otp"):
        """On the login chooser, pick the test method for `acr` and log in."""
        tx = parse_qs(urlsplit(page.url).query)["tx"][0]
        form = self.get(f"/login/test?tx={tx}")
        response = self.post("/login/test", {"csrf_token": self.csrf(form), "tx": tx,
                                             "sub": sub, "acr": acr, "amr": amr})
        return self.follow(response)

    def consent(self, page, decision="allow"):
        tx = parse_qs(urlsplit(page.url).query)["tx"][0]
        response = self.post("/consent", {"csrf_token": self.csrf(page), "tx": tx,
                                          "decision": decision})
        return self.follow(response)


class RelyingParty:
    """A confidential or public client driving the code flow over HTTP."""

    def __init__(self, issuer, client, redirect_uri=REDIRECT_URI):
        self.issuer = issuer
        self.client = client
        self.redirect_uri = redirect_uri
        self.verifier, self.challenge = pkce_pair()
        self.state = secrets.token_urlsafe(8)
        self.nonce = secrets.token_urlsafe(8)

    def params(self, **overrides):
        params = {
            "response_type": "code",
            "client_id": self.client["client_id"],
            "redirect_uri": self.redirect_uri,
            "scope": "openid profile",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def auth(self):
        secret = self.client.get("client_secret")
        if secret and self.client["token_endpoint_auth_method"] == "client_secret_basic":
            return (self.client["client_id"], secret)
        return None

    def form(self, **data):
        method = self.client["token_endpoint_auth_method"]
        if method == "client_secret_post":
            data.update(client_id=self.client["client_id"],
                        client_secret=self.client["client_secret"])
        elif method == "none":
            data["client_id"] = self.client["client_id"]
        return data

    def token(self, **data):
        return requests.post(self.issuer + "/token", data=self.form(**data), auth=self.auth(),
                             timeout=10)

    def exchange(self, code, **overrides):
        data = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": self.redirect_uri, "code_verifier": self.verifier}
        data.update(overrides)
        return self.token(**{k: v for k, v in data.items() if v is not None})

    def refresh(self, refresh_token, **extra):
        return self.token(grant_type="refresh_token", refresh_token=refresh_token, **extra)

    def introspect(self, token, **extra):
        return requests.post(self.issuer + "/introspect",
                             data=self.form(token=token, **extra), auth=self.auth(), timeout=10)

    def revoke(self, token, **extra):
        return requests.post(self.issuer + "/revoke", data=self.form(token=token, **extra),
                             auth=self.auth(), timeout=10)

    def userinfo(self, access_token, method="GET"):
        return requests.request(method, self.issuer + "/userinfo",
                                headers={"Authorization": f"Bearer {access_token}"}, timeout=10)


def sign_in(browser, rp, sub="citizen-1", acr=LEVEL_1, consent=True, **overrides):
    """The whole front channel: authorize, log in, consent; returns the RP callback query."""
    page = browser.authorize(rp.params(**overrides))
    if "/login" in page.url:
        page = browser.login(page, sub=sub, acr=acr)
    if page.status_code == 200 and "/consent" in page.url and consent:
        page = browser.consent(page)
    assert page.status_code in (302, 303), (page.status_code, page.text[:800])
    return query_of(page.headers["Location"])


SIBLING_SETTINGS = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "PKCS11_MODULE",
                    "PKCS11_TOKEN_LABEL", "PKCS11_TOKEN_PIN", "SOFTHSM2_CONF")


@contextlib.contextmanager
def sibling_app(app, **overrides):
    """A second provider built by create_app with the same database and token as `app`
    and some settings changed (e.g. an https issuer); its pools are closed afterwards."""
    from idp import create_app
    from idp.extensions import db

    config = {"TESTING": True, "IDP_ENV": "test", "IDP_ENABLE_TEST_LOGIN": True,
              "IDP_KEY_CACHE_SECONDS": 0, "IDP_ISSUER": app.config["IDP_ISSUER"]}
    config.update({k: app.config[k] for k in SIBLING_SETTINGS if app.config.get(k)})
    config.update(overrides)
    other = create_app(config)
    try:
        yield other
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
