"""Shared steps for the authorization endpoint tests: raw requests that stop at the first
response, assertions on error redirects and error pages, and reading the ID token."""

import re
import time
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.extensions import db
from idp.models import Account
from idp.models import LoginSession
from idp.models.accounts import find_account

from .helpers import REDIRECT_URI
from .helpers import query_of

METHOD_LABEL = re.compile(r'<a class="method" href="/login/[^"]*">([^<]+)</a>')


def start(browser, params):
    """The first response of the authorization endpoint, not followed."""
    return browser.get("/authorize?" + urlencode(params))


def tx_of(page):
    return parse_qs(urlsplit(page.url).query)["tx"][0]


def assert_error_redirect(response, rp, error, redirect_uri=REDIRECT_URI, description=None):
    """An RFC 6749 §4.1.2.1 error response at the validated redirect URI, with `state`
    and RFC 9207 `iss`."""
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    location = response.headers["Location"]
    assert location.startswith(redirect_uri + "?"), location
    query = query_of(location)
    assert query["error"] == error, query
    assert query["state"] == rp.state
    assert query["iss"] == rp.issuer
    assert "code" not in query
    if description is not None:
        assert query["error_description"] == description
    return query


def assert_error_page(response, error, status=400, description=None):
    """A friendly HTML page that goes nowhere: no redirect, no stack trace."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    main = response.text[response.text.find("<main"):]
    assert re.search(f"<code[^>]*>{error}</code>", main), main[:1500]
    assert "Traceback" not in response.text
    if description is not None:
        assert description in main, main[:1500]


def assert_code(response, rp):
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    query = query_of(response.headers["Location"])
    assert "error" not in query, query
    assert query["state"] == rp.state
    assert query["iss"] == rp.issuer
    return query["code"]


def id_token_claims(rp, code):
    response = rp.exchange(code)
    assert response.status_code == 200, response.text
    tokens = response.json()
    jwks = KeySet.import_key_set(requests.get(rp.issuer + "/jwks", timeout=5).json())
    return jwt.decode(tokens["id_token"], jwks).claims, tokens


def offered_methods(page):
    """The labels of the login methods the chooser offers."""
    assert page.status_code == 200 and "/login?" in page.url, (page.status_code, page.url)
    return METHOD_LABEL.findall(page.text)


def age_sessions(app, seconds):
    """Pretend every login happened `seconds` earlier; returns the new auth_time."""
    auth_time = int(time.time()) - seconds
    with app.app_context():
        db.session.execute(db.update(LoginSession).values(auth_time=auth_time))
        db.session.commit()
    return auth_time


def set_profile(app, sub, **claims):
    with app.app_context():
        account = find_account(sub)
        if account is None:
            account = Account(sub=sub, profile={})
            db.session.add(account)
        account.profile = {**(account.profile or {}), **claims}
        db.session.commit()
