"""Labour office e-services against the live provider: every service needs level 2 (step-up
from a level-1 session) and a mandate for the establishment holding the service's permission
(the app asks with the `establishment` scope; the agent chooses on the provider's acting
page), requests are recorded in the history, and the API answers RFC 9470
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
from .demo_support import make_mandate
from .helpers import Browser
from .helpers import RelyingParty
from .helpers import query_of

SCOPES = ("openid", "profile", "establishment")


@pytest.fixture
def start_demo(issuer, client_factory, tmp_path):
    with demo_apps(issuer, client_factory, tmp_path) as start:
        yield start


@pytest.fixture
def demo(start_demo):
    return start_demo(labour.create_app, "demo-labour", scopes=SCOPES,
                      DEMO_SCOPE=" ".join(SCOPES))


@pytest.fixture
def mandate(app):
    return make_mandate(app, "citizen-1")


def agent_tokens(issuer, demo, mandate, acr=LEVEL_2):
    """The app's tokens for citizen-1 acting for the establishment of `mandate`."""
    rp = RelyingParty(issuer, demo.client, redirect_uri=demo.client["redirect_uris"][0])
    browser = Browser(issuer)
    page = browser.login(browser.authorize(rp.params(scope=" ".join(SCOPES))), acr=acr)
    assert "/login/acting" in page.url, page.url
    tx = query_of(page.url)["tx"]
    page = browser.follow(browser.post("/login/acting", {"csrf_token": browser.csrf(page),
                                                         "tx": tx, "acting": mandate}))
    response = browser.consent(page)
    tokens = rp.exchange(query_of(response.headers["Location"])["code"])
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


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
    assert "Mandates are not yet offered by Bawaba" not in page.text
    assert '<strong class="establishment">myself</strong>' in page.text
    assert 'href="/services/work-permit"' not in page.text
    refused = person.get(demo.url + "/services/work-permit", acr=LEVEL_2)
    assert refused.status_code == 403
    assert "You have no mandate for this service." in refused.text


def test_a_request_is_submitted_and_kept_in_the_history(issuer, demo, mandate):
    person = Person(issuer, acting=mandate)
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
    assert receipt["establishment"] == "Al Noor Trading LLC"
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


def test_api_serves_a_level_2_token(issuer, demo, mandate):
    tokens = agent_tokens(issuer, demo, mandate)
    listed = api(demo, "/api/services", tokens["access_token"])
    assert listed.status_code == 200
    body = listed.json()
    assert body["acting_for"] == "1234567"
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
def test_api_refuses_bad_requests(issuer, demo, mandate, body, description):
    tokens = agent_tokens(issuer, demo, mandate)
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
