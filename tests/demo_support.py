"""Support for the demo relying-party tests: each app runs on a real port against the live
provider, registered as a client through the CLI; a person walks the apps and the
provider's pages with one cookie jar, logging in with the test login method."""

import contextlib
import re
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests
from werkzeug.serving import make_server

from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2

from .helpers import Browser
from .helpers import RelyingParty
from .helpers import sign_in

STEP_UP = ('Bearer error="insufficient_user_authentication", '
           'error_description="A stronger or more recent login is required.", '
           f'acr_values="{LEVEL_2}"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WAIT = 20  # seconds: an upper bound for background deliveries, never asserted


class Deferred:
    """A WSGI app set after the server is bound, so the app can be told its own port."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def register(client_factory, name, client_id, url, scopes=("openid", "profile"),
             backchannel=True):
    extra = ["--client-id", client_id, "--post-logout-redirect-uri", url + "/logged-out"]
    if backchannel:
        extra += ["--backchannel-logout-uri", url + "/backchannel-logout"]
    return client_factory(name=name, redirect_uris=(url + "/callback",), scopes=scopes,
                          extra=extra)


@contextlib.contextmanager
def demo_apps(issuer, client_factory, tmp_path):
    """Yields start(create_app, client_id, **config) -> Started (url, app, client); every
    app started is stopped at the end. Test modules wrap it in a `start_demo` fixture."""
    running = []

    def start(factory, client_id, backchannel=True, scopes=("openid", "profile"), **config):
        holder = Deferred()
        server = make_server("127.0.0.1", 0, holder, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        client = register(client_factory, client_id, client_id, url, scopes=scopes,
                          backchannel=backchannel)
        settings = {"DEMO_ISSUER": issuer, "DEMO_CLIENT_ID": client["client_id"],
                    "DEMO_CLIENT_SECRET": client["client_secret"], "SECRET_KEY": "test-key",
                    "DEMO_DATABASE": str(tmp_path / f"{client_id}.db"), "DEMO_BASE_URL": url}
        settings.update(config)
        app = holder.app = factory(settings)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        handle = Started(app, server, url, client)
        running.append(handle)
        return handle

    try:
        yield start
    finally:
        for handle in running:
            handle.stop()


class Started:
    def __init__(self, app, server, url, client):
        self.app, self.server, self.url, self.client = app, server, url, client

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Person:
    """Someone with a browser: one cookie jar for the apps and the provider. Pages of the
    provider are answered with the test login (at `acr`) and consent."""

    def __init__(self, issuer, sub="citizen-1", acting="self"):
        self.issuer = issuer
        self.browser = Browser(issuer)
        self.http = self.browser.http
        self.sub = sub
        self.acting = acting  # on the provider's acting page: "self" or a mandate id
        self.logins = 0

    def get(self, url, acr=LEVEL_1, **kwargs):
        return self.walk(self.http.get(url, allow_redirects=False, **kwargs), acr)

    def post(self, url, data=None, page=None, acr=LEVEL_1):
        """POST a form; its CSRF token is taken from `page` (default: GET url first)."""
        page = page if page is not None else self.get(url, acr=acr)
        form = {"csrf_token": csrf_of(page), **(data or {})}
        return self.walk(self.http.post(url, data=form, allow_redirects=False), acr)

    def walk(self, response, acr=LEVEL_1):
        for _ in range(30):
            if response.status_code in (301, 302, 303):
                location = urljoin(response.url, response.headers["Location"])
                if location.startswith(self.issuer + "/"):
                    response = self.browser.follow(self.browser.get(location))
                else:
                    response = self.http.get(location, allow_redirects=False)
                continue
            if response.url.startswith(self.issuer + "/") and response.status_code == 200:
                path = urlsplit(response.url).path
                if path == "/login":
                    self.logins += 1
                    response = self.browser.login(response, sub=self.sub, acr=acr)
                    continue
                if path == "/consent":
                    response = self.browser.consent(response)
                    continue
                if path == "/login/acting":
                    response = self.choose_acting(response)
                    continue
            return response
        raise AssertionError("too many redirects")

    def choose_acting(self, page):
        """The provider's acting page (mandates): act for `self.acting`."""
        tx = parse_qs(urlsplit(page.url).query)["tx"][0]
        response = self.browser.post("/login/acting", {"csrf_token": csrf_of(page), "tx": tx,
                                                       "acting": self.acting})
        return self.browser.follow(response)


def csrf_of(page):
    match = CSRF.search(page.text)
    assert match, page.text[:500]
    return match.group(1)


FACT = re.compile(r'<dd class="([a-z-]+)"[^>]*>([^<]*)</dd>')


def facts(page):
    """{class: text} of the <dd class="..."> items of a page (session page, receipts)."""
    return {name: value.strip() for name, value in FACT.findall(page.text)}


def session_facts(person, app):
    page = person.http.get(app.url + "/session", allow_redirects=False)
    return facts(page) if page.status_code == 200 else None


def wait_until(check):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def served(factory, settings):
    """Any WSGI app factory on a real port; `settings(url)` gives its configuration."""
    holder = Deferred()
    server = make_server("127.0.0.1", 0, holder, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    holder.app = factory(settings(url))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def access_token(issuer, demo, acr, client=None, sub="citizen-1"):
    client = client or demo.client
    rp = RelyingParty(issuer, client, redirect_uri=client["redirect_uris"][0])
    code = sign_in(Browser(issuer), rp, sub=sub, acr=acr)["code"]
    tokens = rp.exchange(code)
    assert tokens.status_code == 200, tokens.text
    return rp, tokens.json()


def make_mandate(app, sub, cr_number="1234567", name="Al Noor Trading LLC",
                 permissions=None, national_id="10293847"):
    """An establishment mandate in force for `sub` (all permissions by default); its id."""
    from idp.extensions import db
    from idp.mandates.permissions import PERMISSIONS
    from idp.models import Mandate
    from idp.models.types import utcnow

    now = utcnow()
    with app.app_context():
        mandate = Mandate(
            agent_national_id=national_id, agent_sub=sub, establishment_cr=cr_number,
            establishment_name=name, permissions=list(permissions or PERMISSIONS),
            starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
            status="active", source="owner", granted_by="owner-1",
            evidence_ref="owner-grant:demo", created_at=now)
        db.session.add(mandate)
        db.session.commit()
        return mandate.ref


def api(demo, path, token=None, method="GET", **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, demo.url + path, headers=headers, timeout=10, **kwargs)
