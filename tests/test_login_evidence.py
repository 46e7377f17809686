"""Every login leaves an evidence record referenced from its session, and the auditor's
`idp evidence show|list` explains a session: the login method, level and methods, the
relying party, the address and browser, and the audit events of the login. SMS logins
record the gateway's message id (with the SMS and registry simulators as real servers)."""

import json

import pytest

from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.models import Account
from idp.models import LoginSession
from idp.models.cards import AuthnEvidence

from . import citizen_support
from .citizen_support import AHMED
from .citizen_support import Citizen as CitizenBrowser
from .helpers import RelyingParty
from .helpers import sign_in

simulators = citizen_support.simulators
provider = citizen_support.provider
sms = citizen_support.sms

USER_AGENT = "EvidenceTest/1.0 (auditor)"


def evidence_rows(app, subject):
    with app.app_context():
        return db.session.scalars(db.select(AuthnEvidence).filter_by(subject=subject)
                                  .order_by(AuthnEvidence.id)).all()


def session_of(app, subject):
    with app.app_context():
        return db.session.execute(db.select(LoginSession).filter_by(
            subject=subject, ended_at=None)).scalar_one()


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["evidence", *args])
    return result.exit_code, result.output


def test_a_login_leaves_evidence_referenced_from_its_session(app, issuer, browser,
                                                             client_factory):
    client = client_factory()
    browser.http.headers["User-Agent"] = USER_AGENT
    sign_in(browser, RelyingParty(issuer, client), sub="agent-1", acr=LEVEL_2)
    record = session_of(app, "agent-1")
    [evidence] = evidence_rows(app, "agent-1")
    assert record.evidence_ref == evidence.ref
    assert (evidence.method, evidence.acr, evidence.amr) == ("test", LEVEL_2, ["pwd", "otp"])
    assert (evidence.client_id, evidence.ip, evidence.user_agent) == (
        client["client_id"], "127.0.0.1", USER_AGENT)
    assert evidence.certificate_serial is None


def test_evidence_show_explains_a_session(app, issuer, browser, client_factory):
    client = client_factory()
    browser.http.headers["User-Agent"] = USER_AGENT
    sign_in(browser, RelyingParty(issuer, client), sub="agent-1", acr=LEVEL_2)
    record = session_of(app, "agent-1")
    code, output = run(app, "show", "--sid", record.sid, "--json")
    assert code == 0, output
    report = json.loads(output)
    assert report["session"]["sid"] == record.sid
    assert report["session"]["acr"] == LEVEL_2
    assert report["evidence"]["ref"] == record.evidence_ref
    assert report["evidence"]["user_agent"] == USER_AGENT
    assert [(e["event"], e["detail"]["sid"]) for e in report["events"]] == [
        ("login", record.sid)]
    code, by_ref = run(app, "show", "--ref", record.evidence_ref, "--json")
    assert code == 0 and json.loads(by_ref)["evidence"] == report["evidence"]
    code, text = run(app, "show", "--sid", record.sid)
    assert code == 0 and f"evidence_ref: {record.evidence_ref}" in text
    code, listed = run(app, "list", "--subject", "agent-1", "--json")
    assert code == 0 and [r["ref"] for r in json.loads(listed)] == [record.evidence_ref]


@pytest.mark.parametrize("args, message", [
    ((), "Give either --sid or --ref."),
    (("--sid", "a", "--ref", "b"), "Give either --sid or --ref."),
    (("--sid", "no-such-session"), "No session 'no-such-session'"),
    (("--ref", "no-such-record"), "No evidence record 'no-such-record'."),
])
def test_evidence_show_refuses_bad_input(app, args, message):
    code, output = run(app, "show", *args)
    assert code == 2
    assert message in output


def test_an_sms_login_records_the_gateway_message_id(app, sms):
    browser = CitizenBrowser(sms)
    browser.http.headers["User-Agent"] = USER_AGENT
    browser.register(AHMED)
    page = browser.login(AHMED)
    assert page.status_code == 200, page.text[:500]
    with app.app_context():
        sub = db.session.execute(db.select(Account.sub).filter_by(
            national_id=AHMED["national_id"])).scalar_one()
    [evidence] = evidence_rows(app, sub)
    message = sms.outbox(AHMED["mobile"])[0]
    assert (evidence.method, evidence.sms_message_id) == ("sms", message["id"])
    assert evidence.sms_reference.endswith(".1")
    assert (evidence.ip, evidence.user_agent) == ("127.0.0.1", USER_AGENT)
    assert session_of(app, sub).evidence_ref == evidence.ref
