"""Ordinary client_credentials grants are answered in front of Flask (idp/oauth/
token_fast_path.py) exactly as the full stack answers them: same response, same token,
same stored row; every other request reaches the full stack and gets its answer."""

import base64
import json

import pytest
import requests
from limits import parse

from idp.extensions import db
from idp.models import AuditEvent
from idp.models.tokens import find_access_token
from idp.models.types import utcnow
from idp.oauth.authorize_fast_path import AuthorizeFastPath
from idp.oauth.introspection_fast_path import IntrospectionFastPath
from idp.oauth.metadata_fast_path import MetadataFastPath
from idp.oauth.token_fast_path import TokenFastPath
from idp.oauth.userinfo_fast_path import UserinfoFastPath
from idp.ratelimit import client_key

from .fast_path_support import FlaskRequests
from .fast_path_support import installed_paths
from .fast_path_support import without
from .fast_path_support import without_fast_paths
from .helpers import RelyingParty
from .test_rate_limits import _dispose
from .test_rate_limits import _limited_app
from .token_helpers import active
from .token_helpers import assert_error
from .token_helpers import decode

VARYING_HEADERS = {"X-Request-Id", "Content-Length", "Date", "Server"}
VARYING_CLAIMS = {"jti", "iat", "exp"}
VARYING_COLUMNS = {"jti", "issued_at", "expires_at"}


def _service(issuer, client_factory, auth_method="client_secret_basic", **options):
    client = client_factory(name="Service", grant_types=("client_credentials",),
                            redirect_uris=(), scopes=("api.read", "api.write"),
                            auth_method=auth_method, **options)
    return RelyingParty(issuer, client)


def _stored(app, jti):
    with app.app_context():
        row = db.session.execute(db.text("SELECT * FROM access_tokens WHERE jti = :jti"),
                                 {"jti": jti}).mappings().one()
        return dict(row)


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_an_ordinary_grant_never_reaches_flask(app, issuer, client_factory, auth_method):
    rp = _service(issuer, client_factory, auth_method)
    rp.token(grant_type="client_credentials")  # the worker keeps the registration
    with FlaskRequests(app) as flask_requests:
        response = rp.token(grant_type="client_credentials", scope="api.read")
    assert response.status_code == 200, response.text
    assert flask_requests.paths == []
    claims = decode(response.json()["access_token"], issuer).claims
    assert claims["client_id"] == rp.client["client_id"] and claims["scope"] == "api.read"


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
@pytest.mark.parametrize("scope", [None, "api.read", "api.write api.read"])
def test_the_answer_is_the_full_stacks(app, issuer, client_factory, monkeypatch,
                                       auth_method, scope):
    rp = _service(issuer, client_factory, auth_method)
    data = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    rp.token(**data)
    with FlaskRequests(app) as flask_requests:
        fast = rp.token(**data)
    assert flask_requests.paths == []
    without_fast_paths(app, monkeypatch)
    with FlaskRequests(app) as flask_requests:
        full = rp.token(**data)
    assert flask_requests.paths == ["/token"]

    assert fast.status_code == full.status_code == 200
    assert without(fast.headers, VARYING_HEADERS) == without(full.headers, VARYING_HEADERS)
    assert len(fast.headers["X-Request-Id"]) == len(full.headers["X-Request-Id"]) == 16
    fast_body, full_body = fast.json(), full.json()
    assert list(fast_body) == list(full_body)
    assert {k: v for k, v in fast_body.items() if k != "access_token"} == \
        {k: v for k, v in full_body.items() if k != "access_token"}

    fast_token = decode(fast_body["access_token"], issuer)
    full_token = decode(full_body["access_token"], issuer)
    assert fast_token.header == full_token.header
    assert without(fast_token.claims, VARYING_CLAIMS) == without(full_token.claims,
                                                                   VARYING_CLAIMS)
    assert list(fast_token.claims) == list(full_token.claims)
    fast_row = _stored(app, fast_token.claims["jti"])
    full_row = _stored(app, full_token.claims["jti"])
    assert without(fast_row, VARYING_COLUMNS) == without(full_row, VARYING_COLUMNS)
    for column in VARYING_COLUMNS:  # the same stored form: same type, same text shape
        assert type(fast_row[column]) is type(full_row[column])
        if isinstance(fast_row[column], str) and column != "jti":
            assert len(fast_row[column]) == len(full_row[column])


def test_the_stored_row_reads_back_through_the_models(app, issuer, client_factory):
    rp = _service(issuer, client_factory)
    rp.token(grant_type="client_credentials")
    before = utcnow().replace(microsecond=0)
    response = rp.token(grant_type="client_credentials", scope="api.write")
    claims = decode(response.json()["access_token"], issuer).claims
    with app.app_context():
        row = find_access_token(claims["jti"])
        assert row.client_id == rp.client["client_id"] and row.subject is None
        assert row.scope == "api.write" and row.family_id is None and row.amr == []
        assert row.claims is None and row.delegation is None and row.revoked_at is None
        assert before <= row.issued_at <= utcnow()
        assert row.issued_at.tzinfo is not None
        assert int(row.expires_at.timestamp()) == claims["exp"]
        assert row.is_active(utcnow())


def test_a_token_from_the_fast_path_is_introspected_and_revoked(issuer, client_factory):
    rp = _service(issuer, client_factory)
    rp.token(grant_type="client_credentials")
    access_token = rp.token(grant_type="client_credentials").json()["access_token"]
    assert active(rp, access_token) is True
    assert rp.revoke(access_token).status_code == 200
    assert active(rp, access_token) is False


def _basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


# (what is changed in an ordinary client_secret_basic request, status, error or None)
DECLINED = {
    "wrong secret": (dict(secret="not-the-secret"), 401, "invalid_client"),
    "unknown client": (dict(client_id="no-such-client"), 401, "invalid_client"),
    "a field the path does not know": (dict(body="grant_type=client_credentials&resource="
                                            "https%3A%2F%2Fapi.example"), 200, None),
    "a field twice": (dict(body="grant_type=client_credentials&scope=api.read&scope=api.read"),
                      400, "invalid_request"),
    "an empty scope": (dict(body="grant_type=client_credentials&scope="), 200, None),
    "parameters in the URL": (dict(query="?scope=api.read"), 400, "invalid_request"),
    "an unregistered scope": (dict(body="grant_type=client_credentials&scope=api.delete"),
                              400, "invalid_scope"),
    "a person's scope": (dict(body="grant_type=client_credentials&scope=openid"),
                         400, "invalid_scope"),
    "a scope not UTF-8": (dict(body="grant_type=client_credentials&scope=%FF"),
                          400, "invalid_scope"),
    "two authentication methods": (dict(body="grant_type=client_credentials&client_secret=x"),
                                   400, "invalid_request"),
    "another media type": (dict(content_type="application/x-www-form-urlencoded; "
                                             "charset=UTF-8"), 200, None),
    "Basic credentials not base64": (dict(authorization="Basic %%%"), 401, "invalid_client"),
    "another grant type": (dict(body="grant_type=password&username=a&password=b"),
                           400, "unsupported_grant_type"),
}


@pytest.mark.parametrize("case", list(DECLINED))
def test_other_requests_get_the_full_stacks_answer(app, issuer, client_factory, case):
    change, status, error = DECLINED[case]
    rp = _service(issuer, client_factory)
    assert rp.token(grant_type="client_credentials").status_code == 200
    client_id = change.get("client_id", rp.client["client_id"])
    secret = change.get("secret", rp.client["client_secret"])
    headers = {"Content-Type": change.get("content_type", "application/x-www-form-urlencoded"),
               "Authorization": change.get("authorization", _basic(client_id, secret))}
    with FlaskRequests(app) as flask_requests:
        response = requests.post(issuer + "/token" + change.get("query", ""),
                                 data=change.get("body", "grant_type=client_credentials"),
                                 headers=headers, timeout=10)
    assert flask_requests.paths == ["/token"]
    if error is None:
        assert response.status_code == status, response.text
    else:
        assert_error(response, status, error)


@pytest.mark.parametrize("grant", ["client_credentials", "refresh_token"])
def test_a_client_not_allowed_the_grant_hears_it_from_the_full_stack(
        app, issuer, client_factory, grant):
    rp = RelyingParty(issuer, client_factory(auth_method="client_secret_basic"))
    with FlaskRequests(app) as flask_requests:
        response = rp.token(grant_type="client_credentials")
    assert flask_requests.paths == ["/token"]
    assert_error(response, 400, "unauthorized_client")


def test_a_client_registered_for_another_method_is_refused(app, issuer, client_factory):
    rp = _service(issuer, client_factory, "client_secret_post")
    rp.token(grant_type="client_credentials")
    with FlaskRequests(app) as flask_requests:
        response = requests.post(issuer + "/token", data={"grant_type": "client_credentials"},
                                 auth=(rp.client["client_id"], rp.client["client_secret"]),
                                 timeout=10)
    assert flask_requests.paths == ["/token"]
    assert_error(response, 401, "invalid_client")


def test_a_changed_registration_is_read_by_the_full_stack(app, issuer, client_factory):
    rp = _service(issuer, client_factory)
    rp.token(grant_type="client_credentials")
    result = app.test_cli_runner().invoke(
        args=["clients", "rotate-secret", rp.client["client_id"], "--json"])
    new_secret = json.loads(result.output)["client_secret"]
    with FlaskRequests(app) as flask_requests:
        # The old secret: refused by the full stack, which reads the new registration.
        assert_error(rp.token(grant_type="client_credentials"), 401, "invalid_client")
        rp.client["client_secret"] = new_secret
        assert rp.token(grant_type="client_credentials").status_code == 200
    assert flask_requests.paths == ["/token"]


def test_a_full_rate_window_is_refused_by_the_full_stack(app, issuer, client_factory,
                                                          monkeypatch):
    limiter = app.extensions["idp.limiter"]
    monkeypatch.setitem(limiter.by_endpoint, "oauth.token",
                        [(parse("2 per hour"), "token", client_key)])
    rp = _service(issuer, client_factory)
    with FlaskRequests(app) as flask_requests:
        first = rp.token(grant_type="client_credentials")  # kept from now on
        second = rp.token(grant_type="client_credentials")
        refused = rp.token(grant_type="client_credentials")
    assert first.status_code == second.status_code == 200
    assert flask_requests.paths == ["/token", "/token"]  # the first and the refused one
    assert_error(refused, 429, "slow_down")
    assert int(refused.headers["Retry-After"]) > 0
    with app.app_context():
        breach = db.session.execute(
            db.select(AuditEvent).where(AuditEvent.event == "rate_limited")).scalar_one()
    assert breach.client_id == rp.client["client_id"] and breach.detail["rule"] == "token"


def test_the_path_can_be_turned_off(token_config, database_url, app):
    plain = _limited_app(token_config, database_url, 5998, IDP_FAST_PATHS=False)
    try:
        assert installed_paths(plain) == []
    finally:
        _dispose(plain)
    assert [type(path) for path in installed_paths(app)] == [
        MetadataFastPath, AuthorizeFastPath, IntrospectionFastPath, UserinfoFastPath,
        TokenFastPath]




