"""Rate limits: a provider with low limits on its own port; 429 with `slow_down` and
Retry-After for API clients, the error page for browsers, per-client and per-address
counters, audited breaches, and counters shared through Redis."""

import os
import socket
import threading
import uuid
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from idp import create_app
from idp.extensions import db
from idp.models import AuditEvent

from .helpers import Browser
from .helpers import RelyingParty
from .helpers import make_client

LOW = {"token": "3 per hour", "token_ip": "10 per hour", "authorize": "3 per hour",
       "login": "2 per hour", "introspect": "2 per hour", "revoke": "2 per hour",
       "userinfo": "2 per hour", "backchannel_authentication": "2 per hour"}
OTHER_ADDRESS = {"REMOTE_ADDR": "192.0.2.7"}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _limited_app(token_config, database_url, port, **overrides):
    config = {
        "TESTING": True,
        "IDP_ENV": "test",
        "SECRET_KEY": "test-secret-key",
        "IDP_ISSUER": f"http://127.0.0.1:{port}",
        "IDP_DATABASE_URL": database_url,
        "SQLALCHEMY_DATABASE_URI": None,
        "IDP_ENABLE_TEST_LOGIN": True,
        "IDP_KEY_CACHE_SECONDS": 0,
        "IDP_RATELIMIT_RULES": LOW,
        **token_config,
    }
    config.update(overrides)
    return create_app(config)


def _dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    limiter = app.extensions.get("idp.limiter")
    if limiter:
        limiter.windows.close()  # the Redis connection pool


@pytest.fixture(scope="module")
def limited(app, token_config, database_url):
    """The provider with low limits, served over HTTP (`app` has migrated the database)."""
    port = _free_port()
    limited_app = _limited_app(token_config, database_url, port)
    server = make_server("127.0.0.1", port, limited_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield limited_app
    server.shutdown()
    _dispose(limited_app)


@pytest.fixture
def base(limited):
    limited.extensions["idp.limiter"].reset()
    return limited.config["IDP_ISSUER"]


def assert_slow_down(response):
    assert response.status_code == 429, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == "slow_down"
    assert body["error_description"]
    assert 1 <= int(response.headers["Retry-After"]) <= 3600


def _bogus_code(rp):
    return rp.exchange("not-a-code")


def test_token_endpoint_is_limited_per_client(base, limited):
    rp = RelyingParty(base, make_client(limited))
    for _ in range(3):
        response = _bogus_code(rp)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
    assert_slow_down(_bogus_code(rp))

    other = RelyingParty(base, make_client(limited, name="Other RP"))
    response = _bogus_code(other)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_wrong_secrets_count_against_the_address_not_the_client(base, limited):
    client = make_client(limited)
    wrong = RelyingParty(base, {**client, "client_secret": "wrong"})
    for _ in range(10):
        response = _bogus_code(wrong)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
    assert_slow_down(_bogus_code(wrong))

    # From another address the client still has its whole allowance.
    http = limited.test_client()
    form = {"grant_type": "authorization_code", "code": "not-a-code",
            "redirect_uri": "https://rp.example/callback", "code_verifier": "v" * 43}
    auth = (client["client_id"], client["client_secret"])
    for _ in range(3):
        response = http.post("/token", data=form, auth=auth, environ_base=OTHER_ADDRESS)
        assert response.status_code == 400
        assert response.json["error"] == "invalid_grant"
    response = http.post("/token", data=form, auth=auth, environ_base=OTHER_ADDRESS)
    assert response.status_code == 429
    assert response.json["error"] == "slow_down"


def test_authorize_is_limited_per_address_with_a_page_in_the_browser_language(base, limited):
    rp = RelyingParty(base, make_client(limited))
    browser = Browser(base)
    for _ in range(3):
        response = browser.get("/authorize", params=rp.params())
        assert response.status_code == 303
        assert urlsplit(response.headers["Location"]).path == "/login"
    response = browser.get("/authorize", params=rp.params(), headers={"Accept-Language": "ar"})
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("text/html")
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert 'lang="ar" dir="rtl"' in response.text
    assert "slow_down" in response.text
    assert "Location" not in response.headers

    other = limited.test_client().get("/authorize", query_string=rp.params(),
                                      environ_base=OTHER_ADDRESS)
    assert other.status_code == 303


def test_login_form_posts_are_limited_per_address(base, limited):
    browser = Browser(base)
    form = browser.get("/login/test")
    for sub in ("citizen-1", "citizen-2"):
        response = browser.post("/login/test", {"csrf_token": browser.csrf(form), "tx": "",
                                                "sub": sub})
        assert response.status_code == 303
    # Showing the form is not a login attempt.
    assert browser.get("/login/test").status_code == 200
    response = browser.post("/login/test", {"csrf_token": browser.csrf(form), "tx": "",
                                            "sub": "citizen-3"})
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("text/html")
    assert 1 <= int(response.headers["Retry-After"]) <= 3600


@pytest.mark.parametrize("endpoint", ["introspect", "revoke"])
def test_introspection_and_revocation_are_limited_per_client(base, limited, endpoint):
    rp = RelyingParty(base, make_client(limited))
    call = rp.introspect if endpoint == "introspect" else rp.revoke
    for _ in range(2):
        assert call("not-a-token").status_code == 200
    assert_slow_down(call("not-a-token"))

    other = RelyingParty(base, make_client(limited, name="Other RP"))
    other_call = other.introspect if endpoint == "introspect" else other.revoke
    assert other_call("not-a-token").status_code == 200


def test_userinfo_is_limited_per_address(base, limited):
    rp = RelyingParty(base, make_client(limited))
    for _ in range(2):
        response = rp.userinfo("not-a-token")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_slow_down(rp.userinfo("not-a-token"))


def test_every_rule_names_an_endpoint_of_the_provider(limited):
    """A misspelt endpoint would silently leave it unlimited."""
    from idp.ratelimit import LOGIN
    from idp.ratelimit import RULES

    for name, (endpoints, _) in RULES.items():
        for endpoint in () if endpoints is LOGIN else endpoints:
            assert endpoint in limited.view_functions, (name, endpoint)
    assert "ciba.backchannel_authentication" in RULES["backchannel_authentication"][0]


def test_unlimited_endpoints_stay_open(base, limited):
    for _ in range(5):
        assert requests.get(base + "/jwks", timeout=5).status_code == 200


def test_breaches_are_audited_once_per_rule_key_and_minute(base, limited):
    rp = RelyingParty(base, make_client(limited))
    for _ in range(2):
        rp.userinfo("not-a-token")
    first = rp.userinfo("not-a-token")
    second = rp.userinfo("not-a-token")
    assert first.status_code == second.status_code == 429
    for _ in range(3):
        _bogus_code(rp)
    assert_slow_down(_bogus_code(rp))

    with limited.app_context():
        rows = db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.event == "rate_limited").order_by(AuditEvent.id)).all()
        assert [(r.outcome, r.detail["rule"], r.client_id) for r in rows] == [
            ("failure", "userinfo", None),
            ("failure", "token", rp.client["client_id"]),
        ]
        assert rows[0].ip == "127.0.0.1"
        assert rows[0].request_id == first.headers["X-Request-Id"]
        assert rows[0].detail["endpoint"] == "oauth.userinfo"
        assert rows[0].detail["limit"] == "2 per 1 hour"


@pytest.mark.parametrize("rules, message", [
    ({"tokn": "1 per minute"}, "unknown rule 'tokn'"),
    ({"token": "lots"}, "IDP_RATELIMIT_RULES['token']: not a rate limit"),
    ({"login": 5}, "IDP_RATELIMIT_RULES['login']: not a rate limit"),
    ("10 per minute", "IDP_RATELIMIT_RULES must map rule names to limits"),
])
def test_bad_limit_settings_refuse_to_start(token_config, database_url, rules, message):
    with pytest.raises(RuntimeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _limited_app(token_config, database_url, 1, IDP_RATELIMIT_RULES=rules)


def test_limits_can_be_turned_off(app, token_config, database_url):
    unlimited = _limited_app(token_config, database_url, 1, IDP_RATE_LIMITS=False)
    try:
        http = unlimited.test_client()
        for _ in range(4):
            response = http.get("/userinfo", headers={"Authorization": "Bearer x"})
            assert response.status_code == 401
    finally:
        _dispose(unlimited)


def _redis_url():
    url = os.environ.get("IDP_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    host, port = urlsplit(url).hostname, urlsplit(url).port or 6379
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        pytest.skip(f"no Redis at {url}")
    return url


def test_workers_share_counters_through_redis(app, token_config, database_url):
    import redis

    url = _redis_url()
    prefix = f"bawaba-test-{uuid.uuid4().hex}"
    settings = {"IDP_RATELIMIT_STORAGE_URI": url, "IDP_RATELIMIT_KEY_PREFIX": prefix}
    # Two application instances stand for two worker processes.
    first = _limited_app(token_config, database_url, 1, **settings)
    second = _limited_app(token_config, database_url, 1, **settings)
    store = redis.Redis.from_url(url)
    try:
        bearer = {"Authorization": "Bearer x"}
        assert first.test_client().get("/userinfo", headers=bearer).status_code == 401
        assert second.test_client().get("/userinfo", headers=bearer).status_code == 401
        response = first.test_client().get("/userinfo", headers=bearer)
        assert response.status_code == 429
        assert response.json["error"] == "slow_down"
        assert second.test_client().get("/userinfo", headers=bearer).status_code == 429
        assert list(store.scan_iter(f"*{prefix}*"))
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        store.close()
        _dispose(first)
        _dispose(second)
