"""Service centre console against the live provider: level 2 for operators; assisted work
is offered once the provider's discovery lists the RFC 8693 token-exchange grant (it does),
and the provider's refusals reach the operator."""

import pytest
import requests

from clients_demo import centre
from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2

from .demo_support import Person
from .demo_support import demo_apps
from .demo_support import session_facts

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


@pytest.fixture
def start_demo(issuer, client_factory, tmp_path):
    with demo_apps(issuer, client_factory, tmp_path) as start:
        yield start


@pytest.fixture
def demo(start_demo):
    return start_demo(centre.create_app, "demo-service-centre")


def test_the_console_needs_level_2(issuer, demo):
    person = Person(issuer, sub="operator-1")
    person.get(demo.url + "/login", acr=LEVEL_1)
    refused = person.http.get(demo.url + "/console", allow_redirects=False)
    assert refused.headers["Location"] == "/login?next=/console&acr=level-2"
    page = person.get(demo.url + "/console", acr=LEVEL_2)
    assert page.status_code == 200 and "Assisted work" in page.text
    assert session_facts(person, demo)["acr"] == LEVEL_2


def test_with_token_exchange_the_console_offers_assisted_work(issuer, demo):
    metadata = requests.get(issuer + "/.well-known/openid-configuration", timeout=5).json()
    assert TOKEN_EXCHANGE in metadata["grant_types_supported"]
    person = Person(issuer, sub="operator-1")
    page = person.get(demo.url + "/console", acr=LEVEL_2)
    assert "Bawaba does not offer token exchange yet" not in page.text
    assert "<fieldset disabled>" not in page.text
    assert "No assisted work yet." in page.text
    # The console's client is not a registered centre allowed the grant: Bawaba refuses.
    attempt = person.post(demo.url + "/assist", {
        "subject_token": "consent", "audience": "demo-labour",
        "subject_token_type": "urn:ietf:params:oauth:token-type:access_token"}, page=page)
    assert attempt.status_code == 400
    assert "unauthorized_client" in attempt.text


def test_the_console_in_arabic(issuer, demo):
    person = Person(issuer, sub="operator-1")
    person.http.get(demo.url + "/lang/ar")
    page = person.get(demo.url + "/console", acr=LEVEL_2)
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "العمل بالمساعدة" in page.text
    assert "لا تقدّم بوابة تبادل الرموز بعد" not in page.text
