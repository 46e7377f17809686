"""Service centre console against the live provider, over HTTP: a level-2 operator of a
registered centre starts assisted work for a citizen, enters the code the citizen read in
the SMS (from the SMS simulator's outbox), the console exchanges the consent for an
acting token (RFC 8693) and files a licence application in the manpower app's API, which
records who acted; then the work is completed. Bawaba's refusals reach the operator in
English and Arabic (not an operator, not a centre's client, a wrong code), the console
accepts only access tokens, and the app refuses an acting token meant for another
service."""

import json
import re
from urllib.parse import quote

import pytest
import requests

from clients_demo import centre
from clients_demo import manpower
from clients_demo.centre import assisted_api
from connectors.sms import sms_gateway_from_settings
from connectors.social_insurance.simulator import SocialInsuranceSimulator
from connectors.social_insurance.simulator import SocialInsuranceSimulatorConfig
from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2
from idp.mandates import NOTIFIER

from . import citizen_support
from .demo_support import Person
from .demo_support import api
from .demo_support import demo_apps
from .demo_support import facts
from .demo_support import session_facts
from .demo_support import wait_until
from .mandate_support import AGENT
from .mandate_support import make_person
from .token_helpers import decode

simulators = citizen_support.simulators

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
CENTRE_GRANTS = ("authorization_code", "refresh_token", TOKEN_EXCHANGE)
CODE = re.compile(r"\b(\d{6})\b")
BIRTHDATE = "1985-03-14"  # AGENT is Ahmed (10293847) of the civil registry simulator
CENTRE_NAME, CENTRE_NAME_AR = "Muscat service centre", "مركز خدمات مسقط"


class Outbox:
    """The SMS simulator's outbox for one number, as the citizen's phone shows it."""

    def __init__(self, simulators, msisdn):
        self.url = simulators.sms.http.url + "/outbox"
        self.msisdn = msisdn

    def texts(self):
        answer = requests.get(f"{self.url}?to={quote(self.msisdn)}", timeout=10)
        return [m["text"] for m in reversed(answer.json()["messages"])]  # oldest first

    def wait_for(self, count):
        assert wait_until(lambda: len(self.texts()) >= count), self.texts()
        return self.texts()

    def code(self):
        return CODE.search(self.wait_for(1)[-1]).group(1)

    def clear(self):
        requests.delete(self.url, timeout=10)


@pytest.fixture
def outbox(app, simulators):
    """The provider's notices go through SMPP to the SMS simulator."""
    gateway = sms_gateway_from_settings(simulators.settings("smpp"))
    saved = app.extensions.get(NOTIFIER)
    app.extensions[NOTIFIER] = gateway
    phone = Outbox(simulators, AGENT["phone"])
    phone.clear()
    yield phone
    app.extensions[NOTIFIER] = saved
    gateway.close()
    phone.clear()


@pytest.fixture
def start_demo(issuer, client_factory, tmp_path):
    with demo_apps(issuer, client_factory, tmp_path) as start:
        yield start


@pytest.fixture
def start_centre_console(issuer, client_factory, tmp_path):
    """The console registered for the token-exchange grant, as the launcher does."""
    def with_grant(**options):
        return client_factory(grant_types=CENTRE_GRANTS, **options)

    with demo_apps(issuer, with_grant, tmp_path) as start:
        yield start


def cli(app, *args, expect=0):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == expect, result.output
    return result.output


@pytest.fixture(scope="module")
def fund():
    simulator = SocialInsuranceSimulator(SocialInsuranceSimulatorConfig(port=0)).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def manpower_app(start_demo, simulators, fund):
    """Incomes from the social insurance simulator, or the built-in table (memory)."""
    return start_demo(manpower.create_app, "demo-manpower",
                      scopes=("openid", "profile", "national_id"),
                      **simulators.registry.settings(), **fund.settings(),
                      CIVIL_REGISTRY_RETRIES=0, MANPOWER_INCOME="memory")


def console_for(start_centre_console, services):
    return start_centre_console(centre.create_app, "demo-service-centre",
                                CENTRE_SERVICES=services)


@pytest.fixture
def console(app, start_centre_console, manpower_app, outbox):
    make_person(app, AGENT)
    demo = console_for(start_centre_console, {"demo-manpower": {
        "title": "Manpower licensing", "api": manpower_app.url + "/api/applications"}})
    cli(app, "centres", "add", "MCT-01", "--name", CENTRE_NAME, "--name-ar", CENTRE_NAME_AR,
        "--client-id", demo.client["client_id"])
    return demo


def enrolled(issuer, app, console, sub="operator-1", lang=None):
    person = Person(issuer, sub=sub)
    if lang:
        person.http.get(console.url + f"/lang/{lang}")
    person.get(console.url + "/console", acr=LEVEL_2)  # logs in; the account now exists
    cli(app, "centres", "operators", "add", "MCT-01", sub)
    return person


def start_work(person, console, service="demo-manpower", national_id=AGENT["national_id"]):
    page = person.get(console.url + "/console", acr=LEVEL_2)
    return person.post(console.url + "/work", {"national_id": national_id,
                                                "service": service}, page=page, acr=LEVEL_2)


def test_the_console_needs_level_2(issuer, console):
    person = Person(issuer, sub="operator-1")
    person.get(console.url + "/login", acr=LEVEL_1)
    refused = person.http.get(console.url + "/console", allow_redirects=False)
    assert refused.headers["Location"] == "/login?next=/console&acr=level-2"
    page = person.get(console.url + "/console", acr=LEVEL_2)
    assert page.status_code == 200 and "Start assisted work" in page.text
    assert "roles" not in page.text and "No assisted work yet." in page.text
    assert session_facts(person, console)["acr"] == LEVEL_2


def test_an_operator_serves_a_citizen_from_consent_to_completion(app, issuer, console,
                                                                manpower_app, outbox):
    person = enrolled(issuer, app, console)
    work = start_work(person, console)
    assert work.status_code == 200 and "/work/asw_" in work.url, work.text[:800]
    ref = work.url.rsplit("/", 1)[1]
    shown = facts(work)
    assert (shown["state"], shown["stated-state"]) == ("awaiting_consent", "awaiting_consent")
    [asked] = outbox.wait_for(1)
    assert f"{CENTRE_NAME} asks to act for you in demo-manpower" in asked
    assert CENTRE_NAME_AR in asked

    consented = person.post(work.url + "/consent", {"code": outbox.code()}, page=work,
                            acr=LEVEL_2)
    assert consented.status_code == 200 and "The citizen consented." in consented.text
    assert facts(consented)["stated-state"] == "consented"
    assert "you allowed Muscat service centre to act for you" in outbox.wait_for(2)[-1]

    submitted = person.post(work.url + "/submit", {"birthdate": BIRTHDATE}, page=consented,
                            acr=LEVEL_2)
    assert submitted.status_code == 200, submitted.text[:800]
    shown = facts(submitted)
    assert (shown["state"], shown["stated-state"], shown["decision"]) == (
        "submitted", "exchanged", "Approved")
    assert (shown["citizen"], shown["actor"], shown["centre"]) == (AGENT["sub"], "operator-1",
                                                                   "MCT-01")
    reference = shown["result-reference"]
    assert "submitted your request in demo-manpower" in outbox.wait_for(3)[-1]

    # What the app received and recorded: the citizen's application, filed by the operator.
    recorded = manpower_app.app.extensions["demo_store"].one(
        "SELECT a.sub, a.status, s.operator_sub, s.centre_id, s.centre_name, "
        "s.centre_client_id FROM manpower_applications a JOIN manpower_assisted s "
        "USING (reference) WHERE reference = ?", reference)
    assert tuple(recorded) == (AGENT["sub"], "awaiting_payment", "operator-1", "MCT-01",
                               CENTRE_NAME, console.client["client_id"])
    citizen = Person(issuer, sub=AGENT["sub"])
    history = citizen.get(manpower_app.url + "/apply", acr=LEVEL_2)
    assert reference in history.text
    assert (f"Submitted at {CENTRE_NAME} by operator operator-1 for you."
            in history.text), history.text
    citizen.http.get(manpower_app.url + "/lang/ar")
    arabic = citizen.get(manpower_app.url + f"/applications/{reference}", acr=LEVEL_2)
    assert f"قُدّم في {CENTRE_NAME_AR} بواسطة الموظف operator-1 نيابة عنك." in arabic.text

    done = person.post(work.url + "/complete", page=submitted, acr=LEVEL_2)
    assert done.status_code == 200 and facts(done)["state"] == "completed"
    assert "The work is completed" in done.text
    assert "completed the work in demo-manpower" in outbox.wait_for(4)[-1]
    assert len(outbox.texts()) == 4
    listed = person.get(console.url + "/console", acr=LEVEL_2)
    assert ref in listed.text and "status-completed" in listed.text


def test_a_wrong_code_is_refused_with_the_tries_left(app, issuer, console, outbox):
    person = enrolled(issuer, app, console)
    work = start_work(person, console)
    right = outbox.code()
    wrong = "000000" if right != "000000" else "111111"
    refused = person.post(work.url + "/consent", {"code": wrong}, page=work, acr=LEVEL_2)
    assert refused.status_code == 400
    assert 'data-error="invalid_grant"' in refused.text
    assert "The code is not correct. Tries left: 4." in refused.text
    assert "Bawaba did not accept the consent" in refused.text
    # The form is still there: the right code still works.
    accepted = person.post(work.url + "/consent", {"code": right}, page=refused, acr=LEVEL_2)
    assert "The citizen consented." in accepted.text


def test_someone_who_is_not_an_operator_is_refused_in_both_languages(app, issuer, console,
                                                                     outbox):
    person = Person(issuer, sub="not-an-operator")
    refused = start_work(person, console)
    assert refused.status_code == 403
    assert 'data-error="access_denied"' in refused.text
    assert "Your account is not an operator of this service centre at Bawaba." in refused.text
    person.http.get(console.url + "/lang/ar")
    arabic = start_work(person, console)
    assert arabic.status_code == 403 and '<html lang="ar" dir="rtl">' in arabic.text
    assert "حسابك ليس موظفاً في مركز الخدمة هذا لدى بوابة." in arabic.text
    assert outbox.texts() == []


def test_a_console_that_is_not_a_centres_client_is_refused(app, issuer, start_centre_console,
                                                           manpower_app, outbox):
    make_person(app, AGENT)
    demo = console_for(start_centre_console, {"demo-manpower": {
        "title": "Manpower licensing", "api": manpower_app.url + "/api/applications"}})
    person = Person(issuer, sub="operator-1")
    refused = start_work(person, demo)
    assert refused.status_code == 403
    assert 'data-error="unauthorized_client"' in refused.text
    assert "is not registered at Bawaba as a service centre" in refused.text
    person.http.get(demo.url + "/lang/ar")
    assert "غير مسجلة لدى بوابة بوصفها عميلاً لمركز خدمة" in start_work(person, demo).text


def test_only_access_tokens_are_taken_and_asked_for(issuer, console):
    # The console refuses any other type in Bawaba's answers…
    assisted_api.require_access_token(ACCESS_TOKEN)
    for other in ("urn:ietf:params:oauth:token-type:id_token",
                  "urn:ietf:params:oauth:token-type:jwt", None):
        with pytest.raises(assisted_api.UnsupportedTokenTypeError) as refused:
            assisted_api.require_access_token(other)
        assert refused.value.code == "unsupported_token_type"
    # …and Bawaba refuses any other type in the exchange.
    answer = requests.post(issuer + "/token", auth=(console.client["client_id"],
                                                    console.client["client_secret"]), data={
        "grant_type": TOKEN_EXCHANGE, "subject_token": "x",
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "actor_token": "y", "actor_token_type": ACCESS_TOKEN, "audience": "demo-manpower"},
        timeout=10)
    assert answer.status_code == 400 and answer.json() == {
        "error": "invalid_request",
        "error_description": "Unsupported 'subject_token_type': only access tokens are "
                             "accepted."}


def test_the_app_refuses_an_acting_token_for_another_service(app, issuer, client_factory,
                                                             start_centre_console, console,
                                                             manpower_app, outbox):
    """A console that files an HR request in the manpower API by mistake: the token's aud
    is demo-hr, so the manpower app refuses it."""
    client_factory(name="HR platform", extra=["--client-id", "demo-hr"])
    person = enrolled(issuer, app, console)
    misrouted = console.app.config["CENTRE_SERVICES"]
    misrouted["demo-hr"] = {"title": "HR platform for government employees",
                            "api": manpower_app.url + "/api/applications"}
    work = start_work(person, console, service="demo-hr")
    consented = person.post(work.url + "/consent", {"code": outbox.code()}, page=work,
                            acr=LEVEL_2)
    refused = person.post(work.url + "/submit", {"birthdate": BIRTHDATE}, page=consented,
                          acr=LEVEL_2)
    assert refused.status_code == 401
    assert "The service refused the request." in refused.text
    assert 'data-error="invalid_token"' in refused.text
    assert facts(refused)["state"] == "exchanged"
    assert manpower_app.app.extensions["demo_store"].all(
        "SELECT * FROM manpower_applications") == []


def test_the_api_takes_only_acting_tokens_meant_for_it(issuer, manpower_app):
    from .demo_support import access_token

    # The citizen's own access token names no actor and is meant for the issuer.
    _rp, tokens = access_token(issuer, manpower_app, LEVEL_2)
    body = {"national_id": AGENT["national_id"], "birthdate": BIRTHDATE}
    own = api(manpower_app, "/api/applications", tokens["access_token"], "POST", json=body)
    assert own.status_code == 401 and own.json()["error"] == "invalid_token"
    assert own.headers["WWW-Authenticate"] == \
        'Bearer realm="manpower", error="invalid_token"'
    missing = api(manpower_app, "/api/applications", None, "POST", json=body)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="manpower"'
    assert decode(tokens["access_token"], issuer).claims.get("act") is None


def test_the_launcher_sets_up_the_development_centre_and_its_operator(app, issuer, tmp_path,
                                                                      simulators):
    from clients_demo import launcher

    from .mobile_id_support import make_citizen
    from .mssp_support import SECOND
    from .test_demo_launcher import in_process
    from .test_demo_launcher import registered

    operator_sub = make_citizen(app, SECOND)  # 10384756, registered
    argv = ["--issuer", issuer, "--base-port", "0", "--instance", str(tmp_path),
            "--sms-outbox", simulators.sms.http.url + "/",
            "--centre-operator", "10384756", "--centre-operator-password", "not used here"]
    for _ in range(2):  # a second start reuses everything
        demo = launcher.start(launcher.parse_args(argv), in_process(app))
        demo.stop()
    assert TOKEN_EXCHANGE in registered(app, "demo-service-centre")["grant_types"]
    centres = json.loads(cli(app, "centres", "list", "--json"))
    assert [(c["code"], c["client_id"], c["operators"]) for c in centres] == [
        ("DEV-01", "demo-service-centre", [operator_sub])]
