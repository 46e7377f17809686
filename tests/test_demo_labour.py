"""Labour office e-services against the live provider: every service needs level 2 (step-up
from a level-1 session), requests are recorded in the history, and the API answers RFC 9470
`insufficient_user_authentication` to a level-1 access token."""

import pytest

from clients_demo import labour
from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2

from .demo_support import STEP_UP
from .demo_support import Person
from .demo_support import access_token
from .demo_support import api
from .demo_support import demo_apps
from .demo_support import facts


@pytest.fixture
def start_demo(issuer, client_factory, tmp_path):
    with demo_apps(issuer, client_factory, tmp_path) as start:
        yield start


@pytest.fixture
def demo(start_demo):
    return start_demo(labour.create_app, "demo-labour")


def test_the_services_need_level_2(issuer, demo):
    person = Person(issuer)
    home = person.get(demo.url + "/")
    assert home.status_code == 200 and "Issue a work permit" in home.text
    person.get(demo.url + "/login?next=/")
    refused = person.http.get(demo.url + "/services/work-permit", allow_redirects=False)
    assert refused.status_code == 303
    assert refused.headers["Location"] == "/login?next=/services/work-permit&acr=level-2"
    page = person.get(demo.url + "/services", acr=LEVEL_2)
    assert page.status_code == 200
    for title in ("Renew a work permit", "Issue a final-exit permit", "Cancel a visa",
                  "Transfer a worker&#39;s services", "Cancel an absence report"):
        assert title in page.text
    assert "Mandates are not yet offered by Bawaba" in page.text
    assert '<strong class="establishment">myself</strong>' in page.text


def test_a_request_is_submitted_and_kept_in_the_history(issuer, demo):
    person = Person(issuer)
    form = person.get(demo.url + "/services/work-permit", acr=LEVEL_2)
    assert form.status_code == 200 and 'name="worker"' in form.text
    bad = person.post(demo.url + "/services/work-permit", {"worker": "12ab"}, page=form)
    assert bad.status_code == 400 and "6 to 12 digits" in bad.text
    done = person.post(demo.url + "/services/work-permit",
                       {"worker": "١٠٢٩٣٨٤٧", "details": "Mason"}, page=bad)
    assert done.status_code == 200
    receipt = facts(done)
    assert receipt["reference"].startswith("LAB-")
    assert receipt["worker"] == "10293847" and receipt["acr"] == LEVEL_2
    assert receipt["establishment"] == "myself"
    history = person.get(demo.url + "/requests")
    assert receipt["reference"] in history.text and "Issue a work permit" in history.text
    stranger = Person(issuer, sub="citizen-2")
    assert stranger.get(demo.url + "/requests", acr=LEVEL_2).status_code == 200
    assert receipt["reference"] not in stranger.get(demo.url + "/requests").text
    hidden = stranger.get(demo.url + "/requests/" + receipt["reference"])
    assert hidden.status_code == 404


def test_unknown_service_is_not_found(issuer, demo):
    person = Person(issuer)
    assert person.get(demo.url + "/services/nothing", acr=LEVEL_2).status_code == 404


def test_api_answers_rfc_9470_to_a_level_1_token(issuer, demo):
    _, tokens = access_token(issuer, demo, LEVEL_1)
    response = api(demo, "/api/services", tokens["access_token"])
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == STEP_UP
    assert response.json() == {"error": "insufficient_user_authentication",
                               "error_description": "A stronger or more recent login is "
                                                    "required."}
    submit = api(demo, "/api/requests", tokens["access_token"], "POST",
                 json={"service": "work-permit", "worker": "10293847"})
    assert submit.status_code == 401 and submit.headers["WWW-Authenticate"] == STEP_UP


def test_api_serves_a_level_2_token(issuer, demo):
    _, tokens = access_token(issuer, demo, LEVEL_2)
    listed = api(demo, "/api/services", tokens["access_token"])
    assert listed.status_code == 200
    body = listed.json()
    assert body["acting_for"] is None
    assert {s["code"] for s in body["services"]} >= {"work-permit", "visa-cancellation"}
    assert all(s["allowed"] for s in body["services"])
    created = api(demo, "/api/requests", tokens["access_token"], "POST",
                  json={"service": "visa-cancellation", "worker": "20456789"})
    assert created.status_code == 201
    reference = created.json()["reference"]
    history = api(demo, "/api/requests", tokens["access_token"]).json()["requests"]
    assert [r["reference"] for r in history] == [reference]
    assert history[0]["channel"] == "api" and history[0]["acr"] == LEVEL_2


@pytest.mark.parametrize("body, description", [
    ("not json", "The body must be a JSON object."),
    ({"service": "nothing", "worker": "10293847"}, "Unknown service."),
    ({"service": "work-permit", "worker": "1"},
     "Please enter the worker's civil or residence number (6 to 12 digits)."),
])
def test_api_refuses_bad_requests(issuer, demo, body, description):
    _, tokens = access_token(issuer, demo, LEVEL_2)
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    response = api(demo, "/api/requests", tokens["access_token"], "POST", **kwargs)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": description}


def test_api_refuses_missing_and_invalid_tokens(issuer, demo, client_factory):
    missing = api(demo, "/api/services")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="labour"'
    assert missing.json()["error"] == "invalid_token"

    rp, tokens = access_token(issuer, demo, LEVEL_2)
    other = client_factory(name="Other", redirect_uris=("https://rp.example/callback",))
    _, foreign = access_token(issuer, demo, LEVEL_2, client=other)
    for token in ("garbage", tokens["id_token"], foreign["access_token"],
                  tokens["refresh_token"]):
        refused = api(demo, "/api/services", token)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="labour", error="invalid_token"'
        assert refused.json() == {"error": "invalid_token", "error_description":
                                  "The access token is invalid or has expired."}
    assert api(demo, "/api/services", tokens["access_token"]).status_code == 200
    assert rp.revoke(tokens["access_token"]).status_code == 200
    assert api(demo, "/api/services", tokens["access_token"]).status_code == 401


def test_api_errors_are_json(issuer, demo):
    response = api(demo, "/api/nothing")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
