"""Manpower licensing against the live provider, the civil registry, social insurance and
payment simulators: a level-2 applicant is decided from registry and income facts, pays
the fee and downloads the licence; a missing or failing source is a clear
"service unavailable" page, and a payment is believed only when the service confirms it."""

import re

import pytest
import requests

from clients_demo import manpower
from clients_demo import payment_sim
from connectors.civil_registry.simulator import RegistrySimulator
from connectors.civil_registry.simulator import RegistrySimulatorConfig
from connectors.social_insurance.simulator import SocialInsuranceSimulator
from connectors.social_insurance.simulator import SocialInsuranceSimulatorConfig
from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2

from .demo_support import Person
from .demo_support import demo_apps
from .demo_support import facts
from .demo_support import served

MARRIED = {"national_id": "10293847", "birthdate": "1985-03-14"}
SINGLE = {"national_id": "10384756", "birthdate": "1992-07-02"}
LOW_INCOME = {"national_id": "10831604", "birthdate": "1995-12-05"}  # married, 350.000
UNINSURED = {"national_id": "20567890", "birthdate": "2001-09-25"}  # single, no record
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')


@pytest.fixture(scope="module")
def registry():
    simulator = RegistrySimulator(RegistrySimulatorConfig(port=0)).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def fund():
    simulator = SocialInsuranceSimulator(SocialInsuranceSimulatorConfig(port=0)).start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def sources_answer(registry, fund):
    for simulator in (registry, fund):
        simulator.control.configure({"mode": "normal"})


@pytest.fixture
def payments():
    with served(payment_sim.create_app, lambda url: {"PAYMENT_BASE_URL": url}) as url:
        yield url


@pytest.fixture
def start_demo(issuer, client_factory, tmp_path):
    with demo_apps(issuer, client_factory, tmp_path) as start:
        yield start


@pytest.fixture
def start_manpower(start_demo, registry, fund, payments):
    def start(**config):
        settings = {**registry.settings(), "CIVIL_REGISTRY_RETRIES": 0, **fund.settings(),
                    "SOCIAL_INSURANCE_RETRIES": 0, "PAYMENT_URL": payments}
        settings.update(config)
        return start_demo(manpower.create_app, "demo-manpower",
                          scopes=("openid", "profile", "national_id"), **settings)

    return start


def apply(person, demo, identity):
    form = person.get(demo.url + "/apply", acr=LEVEL_2)
    assert form.status_code == 200
    return person.post(demo.url + "/apply", identity, page=form)


def pay(person, page, decision="pay"):
    response = person.post(page.url + "/pay", page=page)
    assert response.status_code == 200 and "Payment simulator" in response.text
    form_key = FORM_KEY.search(response.text).group(1)
    return person.walk(person.http.post(response.url, data={"form_key": form_key,
                                                            "decision": decision},
                                        allow_redirects=False))


def test_a_married_applicant_pays_and_downloads_the_licence(issuer, start_manpower):
    demo = start_manpower()
    person = Person(issuer)
    decided = apply(person, demo, MARRIED)
    assert decided.status_code == 200 and "/applications/MPA-" in decided.url
    shown = facts(decided)
    assert shown["decision"] == "Approved" and shown["marital-status"] == "married"
    assert shown["income"] == "950.000" and shown["fee"] == "30.000 OMR"

    licence = pay(person, decided)
    assert licence.status_code == 200 and "/licences/MPA-" in licence.url
    issued = facts(licence)
    assert re.fullmatch(r"HWL-\d{4}-\d{8}", issued["licence-number"])
    assert issued["holder"] == "Test citizen-1" and issued["national-id"] == "10293847"
    download = person.http.get(licence.url + ".txt")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == \
        f'attachment; filename="licence-{issued["licence-number"]}.txt"'
    assert issued["licence-number"] in download.text and "10293847" in download.text
    stranger = Person(issuer, sub="citizen-2")
    stranger.get(demo.url + "/apply", acr=LEVEL_2)
    assert stranger.http.get(licence.url).status_code == 404


def test_the_application_needs_level_2(issuer, start_manpower):
    demo = start_manpower()
    person = Person(issuer)
    person.get(demo.url + "/login", acr=LEVEL_1)
    response = person.http.get(demo.url + "/apply", allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/apply&acr=level-2"
    assert person.get(demo.url + "/apply", acr=LEVEL_2).status_code == 200


def test_a_single_applicant_is_refused_with_the_reason(issuer, start_manpower):
    demo = start_manpower()
    page = apply(Person(issuer), demo, SINGLE)
    assert facts(page)["decision"] == "Rejected"
    assert "must be married, widowed or divorced" in page.text
    assert "Pay the fee" not in page.text


def test_a_low_income_is_refused(issuer, start_manpower):
    page = apply(Person(issuer), start_manpower(), LOW_INCOME)
    shown = facts(page)
    assert shown["decision"] == "Rejected" and shown["income"] == "350.000"
    assert "below the minimum" in page.text and "must be married" not in page.text


def test_a_person_the_fund_does_not_know_has_no_insured_income(issuer, start_manpower):
    page = apply(Person(issuer), start_manpower(), UNINSURED)
    assert facts(page)["income"] == "0.000"
    assert "has no insured income or pension on record" in page.text
    assert "must be married, widowed or divorced" in page.text


@pytest.mark.parametrize("identity, text", [
    ({"national_id": "10293847", "birthdate": "1985-03-15"}, "has no person with this"),
    ({"national_id": "12", "birthdate": "1985-03-14"}, "6 to 12 digits"),
    ({"national_id": "10293847", "birthdate": "14/03/1985"}, "date of birth"),
])
def test_bad_identities_are_form_errors(issuer, start_manpower, identity, text):
    page = apply(Person(issuer), start_manpower(), identity)
    assert page.status_code == 400 and text in page.text


@pytest.mark.parametrize("config, source", [
    ({"MANPOWER_REGISTRY": "absent"}, "civil_registry"),
    ({"CIVIL_REGISTRY_URL": "http://127.0.0.1:9"}, "civil_registry"),
    ({"SOCIAL_INSURANCE_URL": "http://127.0.0.1:9"}, "social_insurance"),
    ({"SOCIAL_INSURANCE_API_KEY": "wrong"}, "social_insurance"),
    ({"SOCIAL_INSURANCE_URL": None}, "social_insurance"),
    ({"MANPOWER_INCOME": "absent"}, "social_insurance"),
])
def test_a_missing_source_is_service_unavailable(issuer, start_manpower, config, source):
    page = apply(Person(issuer), start_manpower(**config), MARRIED)
    assert page.status_code == 503
    assert "Service unavailable" in page.text
    assert f'data-source="{source}"' in page.text


def test_a_registry_outage_is_service_unavailable(issuer, start_manpower, registry):
    demo = start_manpower()
    person = Person(issuer)
    requests.post(registry.url + "/control", json={"mode": "down", "count": 1}, timeout=5)
    page = apply(person, demo, MARRIED)
    assert page.status_code == 503 and 'data-source="civil_registry"' in page.text
    assert facts(apply(person, demo, MARRIED))["decision"] == "Approved"


@pytest.mark.parametrize("mode", ["down", "throttle"])
def test_a_fund_outage_is_service_unavailable(issuer, start_manpower, fund, mode):
    demo = start_manpower()
    person = Person(issuer)
    fund.control.configure({"mode": mode, "count": 1})
    page = apply(person, demo, MARRIED)
    assert page.status_code == 503 and 'data-source="social_insurance"' in page.text
    assert "The social insurance system cannot be reached right now." in page.text
    assert facts(apply(person, demo, MARRIED))["income"] == "950.000"


def test_a_declined_payment_issues_nothing(issuer, start_manpower):
    demo = start_manpower()
    person = Person(issuer)
    decided = apply(person, demo, MARRIED)
    back = pay(person, decided, decision="decline")
    assert back.url == decided.url
    assert "The fee was not paid." in back.text and facts(back)["status"] == "awaiting_payment"


def test_a_forged_payment_return_issues_nothing(issuer, start_manpower):
    demo = start_manpower()
    person = Person(issuer)
    decided = apply(person, demo, MARRIED)
    person.post(decided.url + "/pay", page=decided)  # a pending payment exists now
    forged = person.get(decided.url + "/paid?payment_id=made-up")
    assert forged.url == decided.url and facts(forged)["status"] == "awaiting_payment"
    assert person.http.get(decided.url.replace("/applications/", "/licences/")).status_code \
        == 404


def test_an_unreachable_payment_service_is_service_unavailable(issuer, start_manpower):
    demo = start_manpower(PAYMENT_URL="http://127.0.0.1:9")
    person = Person(issuer)
    decided = apply(person, demo, MARRIED)
    page = person.post(decided.url + "/pay", page=decided)
    assert page.status_code == 503 and 'data-source="payment"' in page.text


def test_the_national_id_claim_is_used_when_the_provider_releases_it(app, issuer,
                                                                      start_manpower):
    from idp.extensions import db
    from idp.models import Account

    with app.app_context():
        db.session.add(Account(sub="citizen-5", profile={
            "name": "Ahmed Al Harthy", "birthdate": "1985-03-14", "national_id": "10293847"}))
        db.session.commit()
    demo = start_manpower()
    person = Person(issuer, sub="citizen-5")
    form = person.get(demo.url + "/apply", acr=LEVEL_2)
    assert 'name="national_id"' not in form.text and "10293847" in form.text
    decided = person.post(demo.url + "/apply", {"national_id": "10384756"}, page=form)
    assert facts(decided)["decision"] == "Approved"


def test_the_payment_simulator_refuses_bad_calls(payments):
    key = {"X-API-Key": "dev-payment-key"}
    good = {"amount": "30.000", "currency": "OMR", "reference": "R1",
            "return_url": "http://127.0.0.1:1/back"}
    wrong_key = requests.post(payments + "/api/v1/payments", json=good,
                              headers={"X-API-Key": "nope"}, timeout=5)
    assert wrong_key.status_code == 401 and wrong_key.json()["error"] == "invalid_client"
    for bad in ({**good, "amount": "-1"}, {**good, "amount": "lots"},
                {**good, "return_url": "javascript:alert(1)"}, {**good, "return_url": None}):
        response = requests.post(payments + "/api/v1/payments", json=bad, headers=key,
                                 timeout=5)
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    created = requests.post(payments + "/api/v1/payments", json=good, headers=key, timeout=5)
    assert created.status_code == 201 and created.json()["status"] == "pending"
    assert "form_key" not in created.json()
    missing = requests.get(payments + "/api/v1/payments/none", headers=key, timeout=5)
    assert missing.status_code == 404
    forged = requests.post(created.json()["pay_url"], data={"form_key": "x",
                                                            "decision": "pay"}, timeout=5)
    assert forged.status_code == 400
    shown = requests.get(payments + "/api/v1/payments/" + created.json()["id"], headers=key,
                         timeout=5)
    assert shown.json()["status"] == "pending"
