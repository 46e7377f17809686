"""Provider metadata and the JWK Set are answered in front of Flask
(idp/oauth/metadata_fast_path.py) exactly as the full stack answers them."""

import pytest
import requests

from .fast_path_support import FlaskRequests
from .fast_path_support import without
from .fast_path_support import without_fast_paths

VARYING_HEADERS = {"X-Request-Id", "Date", "Server"}
DOCUMENTS = ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server",
             "/jwks"]


@pytest.mark.parametrize("path", DOCUMENTS)
def test_the_answer_is_the_full_stacks(app, issuer, monkeypatch, path):
    with FlaskRequests(app) as flask_requests:
        fast = requests.get(issuer + path, timeout=10)
    assert flask_requests.paths == []
    without_fast_paths(app, monkeypatch)
    with FlaskRequests(app) as flask_requests:
        full = requests.get(issuer + path, timeout=10)
    assert flask_requests.paths == [path]
    assert fast.status_code == full.status_code == 200
    assert without(fast.headers, VARYING_HEADERS) == without(full.headers, VARYING_HEADERS)
    assert fast.content == full.content
    assert len(fast.headers["X-Request-Id"]) == 16


@pytest.mark.parametrize("path", DOCUMENTS)
def test_other_requests_reach_the_full_stack(app, issuer, path):
    with FlaskRequests(app) as flask_requests:
        with_query = requests.get(issuer + path + "?x=1", timeout=10)
        posted = requests.post(issuer + path, timeout=10)
    assert flask_requests.paths == [path, path]
    assert with_query.status_code == 200
    assert posted.status_code == 405


def test_rotated_keys_are_published(app, issuer):
    def kids():
        return {key["kid"] for key in requests.get(issuer + "/jwks", timeout=10).json()["keys"]}

    before = kids()
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert before < kids()  # the new keys, and the old ones still published
