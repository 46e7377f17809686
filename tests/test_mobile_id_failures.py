"""Mobile ID login refusals over HTTP against the MSSP simulator: every way a request can
end without a login gives a clear message in the person's language, an audit row with
the reason, no session, and no request left pending. Numbers that are not Mobile ID
customers, SIMs without a key, a certificate of another national ID and unknown or
locked citizens read the same."""

from datetime import timedelta

import pytest

from idp.extensions import db
from idp.models.mobile_id import MobileIdRequest
from idp.models.types import utcnow

from .mobile_id_support import GENERIC
from .mobile_id_support import alert_text
from .mobile_id_support import audit_rows
from .mobile_id_support import failure_reasons
from .mobile_id_support import finish
from .mobile_id_support import make_citizen
from .mobile_id_support import mobile_id_fixture  # noqa: F401
from .mobile_id_support import mobile_requests
from .mobile_id_support import mssp_fixture  # noqa: F401
from .mobile_id_support import national_id_of
from .mobile_id_support import new_rp
from .mobile_id_support import session_count
from .mobile_id_support import status
from .mobile_id_support import submit
from .mobile_id_support import to_form
from .mobile_id_support import wait_for_end
from .mssp_support import CARD_CERTIFICATE
from .mssp_support import CUSTOMER
from .mssp_support import NO_CERTIFICATE
from .mssp_support import NO_KEY
from .mssp_support import SECOND
from .mssp_support import SIMS
from .mssp_support import UNKNOWN
from .mssp_support import wait_until

UNAVAILABLE = "Mobile ID is not available right now. Try again in a few minutes"
NOT_VERIFIED = "The answer from your mobile operator could not be verified. Try again."
NOT_FOR_LOGIN = "The certificate on your SIM cannot be used to log in with Mobile ID."


@pytest.fixture
def journey(app, issuer, browser, client_factory, mobile_id, mssp):
    """A citizen at the Mobile ID form of a level-2 authorization request."""
    make_citizen(app, CUSTOMER)
    rp = new_rp(issuer, client_factory)
    return rp, to_form(browser, rp)


def assert_failed(app, answer, message, reason):
    """The status said `message`; one audit row with `reason`; no session; nothing
    pending."""
    assert answer["state"] == "failed", answer
    assert answer["message"].startswith(message), answer
    assert answer["retry"].startswith("/login/mobile-id?tx=")
    assert failure_reasons(app) == [reason]
    assert session_count(app) == 0
    assert [r.state for r in mobile_requests(app)] == ["failed"]
    assert mobile_requests(app)[0].reason == reason


def assert_refused(app, response, status_code, message, reason):
    """The form came back at once with `message`; audited; no request stored."""
    assert response.status_code == status_code, response.text[:500]
    assert message in alert_text(response), response.text
    assert failure_reasons(app) == [reason]
    assert session_count(app) == 0 and mobile_requests(app) == []


# The phone's answers


@pytest.mark.parametrize("behaviour, message, reason", [
    ({"behaviour": "cancel", "delay": 0.2}, "You declined the request on your phone.",
     "user_cancelled"),
    ({"behaviour": "wrong_pin_until_blocked", "delay": 0.2},
     "Your Mobile ID PIN is blocked. Contact your mobile operator", "pin_blocked"),
    ({"behaviour": "card_blocked"}, "Mobile ID on your SIM is blocked.", "card_blocked"),
    ({"behaviour": "unreachable", "delay": 0.2}, "We could not reach your phone.",
     "phone_unreachable"),
])
def test_phone_answers_end_the_request_with_their_reason(app, browser, journey, mssp,
                                                         behaviour, message, reason):
    mssp.script(CUSTOMER, **behaviour)
    waiting = submit(browser, journey[1])
    assert_failed(app, wait_for_end(browser, waiting), message, reason)


def test_a_blocked_pin_is_refused_at_the_next_attempt_too(app, browser, journey, mssp):
    mssp.script(CUSTOMER, behaviour="wrong_pin_until_blocked", delay=0.1)
    assert wait_for_end(browser, submit(browser, journey[1]))["state"] == "failed"
    answer = wait_for_end(browser, submit(browser, journey[1]))
    assert answer["message"].startswith("Your Mobile ID PIN is blocked")
    assert failure_reasons(app) == ["pin_blocked", "pin_blocked"]
    assert session_count(app) == 0


def test_request_the_phone_never_answers_expires(app, browser, journey, mobile_id, mssp):
    mobile_id.configure(MSSP_DEV_TRANSACTION_TIMEOUT=1)
    mssp.script(CUSTOMER, behaviour="never_answer")
    waiting = submit(browser, journey[1])
    assert_failed(app, wait_for_end(browser, waiting),
                  "The request on your phone was not confirmed in time.", "expired")


def test_past_its_deadline_a_request_expires_without_asking_the_mssp(app, browser, journey,
                                                                     mssp):
    waiting = submit(browser, journey[1])
    assert status(browser, waiting)["state"] == "pending"
    with app.app_context():  # stands in for the passing of the MSSP's TimeOut and grace
        db.session.execute(db.update(MobileIdRequest).values(
            deadline=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    mssp.misbehave(mode="down")  # the MSSP is not asked any more
    assert_failed(app, status(browser, waiting),
                  "The request on your phone was not confirmed in time.", "expired")
    assert audit_rows(app, "login", "failure")[0].detail["mssp_code"] == "deadline"


def test_a_page_left_waiting_is_expired_by_housekeeping(app, browser, journey, mssp):
    from idp import housekeeping

    waiting = submit(browser, journey[1])
    later = utcnow() + timedelta(seconds=131)  # past the MSSP's TimeOut and the grace
    with app.app_context():
        housekeeping.run_once(now=utcnow())
        assert db.session.scalars(db.select(MobileIdRequest.state)).one() == "pending"
        housekeeping.run_once(now=later)
    assert [(r.state, r.reason) for r in mobile_requests(app)] == [("failed", "expired")]
    [row] = audit_rows(app, "login", "failure")
    assert (row.detail["reason"], row.detail["mssp_code"]) == ("expired", "abandoned")
    assert status(browser, waiting)["state"] == "failed"
    with app.app_context():  # a day later the failed request is forgotten
        housekeeping.run_once(now=later + timedelta(days=1, seconds=1))
    assert mobile_requests(app) == []


# The MSSP


@pytest.mark.parametrize("trouble", [
    {"mode": "down"},
    {"mode": "slow", "delay": 4},
    {"mode": "malformed", "variant": "not_json"},
    {"mode": "malformed", "variant": "wrong_ap_trans_id"},
])
def test_mssp_down_slow_or_garbled_at_the_start_is_unavailable(app, browser, journey, mssp,
                                                               trouble):
    mssp.misbehave(**trouble)
    response = submit(browser, journey[1])
    reason = "malformed_answer" if trouble["mode"] == "malformed" else "mssp_unavailable"
    assert_refused(app, response, 503, UNAVAILABLE, reason)


def test_wrong_ap_credentials_are_unavailable_for_the_citizen(app, browser, journey,
                                                              mobile_id):
    mobile_id.configure(MSSP_DEV_AP_PASSWORD="not-the-password")
    assert_refused(app, submit(browser, journey[1]), 503, UNAVAILABLE, "unknown_client")


def test_mssp_down_for_a_moment_while_polling_is_waited_out(app, browser, journey, mssp):
    rp = journey[0]
    mssp.script(CUSTOMER, behaviour="confirm_after", delay=0.1, pin=SIMS[CUSTOMER].pin)
    waiting = submit(browser, journey[1])
    mssp.misbehave(mode="down", count=2)
    assert status(browser, waiting)["state"] == "pending"
    tokens = finish(browser, rp, wait_for_end(browser, waiting))
    assert tokens["id_token"] and failure_reasons(app) == []


@pytest.mark.parametrize("trouble, reason", [
    ({"mode": "down"}, "mssp_unavailable"),
    ({"mode": "malformed", "variant": "bad_signature"}, "malformed_answer"),
    ({"mode": "malformed", "variant": "other_trans_id"}, "malformed_answer"),
])
def test_mssp_failing_again_and_again_while_polling_ends_the_request(
        app, browser, journey, mssp, trouble, reason):
    mssp.script(CUSTOMER, behaviour="confirm_after", delay=0.1, pin=SIMS[CUSTOMER].pin)
    waiting = submit(browser, journey[1])
    mssp.misbehave(**trouble)
    assert_failed(app, wait_for_end(browser, waiting), UNAVAILABLE, reason)


@pytest.mark.parametrize("variant", ["other_data", "other_chain"])
def test_forged_answers_are_not_believed(app, browser, journey, mssp, variant):
    mssp.script(CUSTOMER, behaviour="confirm_after", delay=0.1, pin=SIMS[CUSTOMER].pin)
    waiting = submit(browser, journey[1])
    mssp.misbehave(mode="forged", variant=variant)
    assert_failed(app, wait_for_end(browser, waiting), NOT_VERIFIED, "signature_invalid")
    [row] = audit_rows(app, "login", "failure")
    assert row.detail["certificate_serial"]


# The certificate


def test_a_sim_with_an_id_card_certificate_is_refused(app, issuer, browser, client_factory,
                                                      mobile_id, mssp):
    make_citizen(app, CARD_CERTIFICATE)
    mssp.script(CARD_CERTIFICATE, behaviour="confirm_after", delay=0.1,
                pin=SIMS[CARD_CERTIFICATE].pin)
    waiting = submit(browser, to_form(browser, new_rp(issuer, client_factory)),
                     CARD_CERTIFICATE)
    assert_failed(app, wait_for_end(browser, waiting), NOT_FOR_LOGIN, "wrong_policy")
    [row] = audit_rows(app, "login", "failure")
    assert "ID Card CA" in row.detail["certificate_issuer"]


def test_a_revoked_sim_certificate_is_refused(app, browser, journey, mobile_id, mssp):
    mobile_id.revoke(CUSTOMER)
    mssp.script(CUSTOMER, behaviour="confirm_after", delay=0.1, pin=SIMS[CUSTOMER].pin)
    waiting = submit(browser, journey[1])
    assert_failed(app, wait_for_end(browser, waiting),
                  "Your Mobile ID certificate has been revoked or suspended.",
                  "certificate_revoked")


# Who: all read the same


def test_wrong_number_unknown_number_and_sims_without_mobile_id_read_the_same(
        app, issuer, browser, client_factory, mobile_id, mssp):
    make_citizen(app, CUSTOMER)
    make_citizen(app, SECOND)
    mssp.script(CUSTOMER, behaviour="confirm_after", delay=0.1, pin=SIMS[CUSTOMER].pin)
    cases = [(CUSTOMER, national_id_of(SECOND), "national_id_mismatch"),
             (UNKNOWN, national_id_of(CUSTOMER), "not_a_customer"),
             (NO_KEY, national_id_of(NO_KEY), "no_key"),
             (NO_CERTIFICATE, national_id_of(NO_CERTIFICATE), "no_key")]
    answers = []
    for msisdn, national_id, _reason in cases:
        form = to_form(browser, new_rp(issuer, client_factory))
        waiting = submit(browser, form, msisdn, national_id)
        # Every one gets the waiting page with a verification code.
        assert len(waiting.code) == 4 and waiting.code.isdigit()
        answers.append(wait_for_end(browser, waiting))
    assert {a["state"] for a in answers} == {"failed"}
    assert {a["message"] for a in answers} == {answers[0]["message"]}
    assert answers[0]["message"].startswith(GENERIC)
    assert failure_reasons(app) == [reason for *_, reason in cases]
    assert session_count(app) == 0
    assert {r.state for r in mobile_requests(app)} == {"failed"}


@pytest.mark.parametrize("locked", [False, True])
def test_unknown_or_locked_citizen_reads_the_same(app, issuer, browser, client_factory,
                                                  mobile_id, mssp, locked):
    if locked:
        make_citizen(app, CUSTOMER, locked=True)
    mssp.script(CUSTOMER, behaviour="confirm_after", delay=0.1, pin=SIMS[CUSTOMER].pin)
    waiting = submit(browser, to_form(browser, new_rp(issuer, client_factory)))
    assert_failed(app, wait_for_end(browser, waiting), GENERIC,
                  "account_locked" if locked else "citizen_unknown")


# The page


def test_cancel_on_the_page_ends_the_request_even_if_the_phone_confirms_later(
        app, browser, journey, mssp):
    waiting = submit(browser, journey[1])
    page = browser.post("/login/mobile-id/cancel", {"csrf_token": waiting.csrf,
                                                    "tx": waiting.tx})
    assert page.status_code == 200
    assert "You cancelled the login." in alert_text(page)
    assert 'name="msisdn"' in page.text
    pending = mssp.transaction(CUSTOMER, mobile_requests(app)[-1].mssp_trans_id)
    browser.http.post(f"{mssp.url}/handset/{CUSTOMER}/{pending['id']}/confirm",
                      data={"pin": SIMS[CUSTOMER].pin}, timeout=10)
    refused = browser.http.post(browser.issuer + "/login/mobile-id/status",
                                data={"tx": waiting.tx},
                                headers={"X-CSRFToken": waiting.csrf,
                                         "Accept": "application/json"}, timeout=10)
    assert refused.json()["state"] == "failed"
    assert failure_reasons(app) == ["cancelled"]
    assert session_count(app) == 0


@pytest.mark.parametrize("fields, errors", [
    ({"national_id": "12", "msisdn": CUSTOMER}, ["national_id"]),
    ({"national_id": national_id_of(CUSTOMER), "msisdn": "24123456"}, ["msisdn"]),
    ({"national_id": "", "msisdn": "not a number"}, ["national_id", "msisdn"]),
])
def test_malformed_input_never_reaches_the_mssp(app, browser, journey, mssp, fields, errors):
    before = mssp.phone(CUSTOMER)["requests"]
    response = browser.post("/login/mobile-id", {"csrf_token": browser.csrf(journey[1]),
                                                 "tx": journey[1].url.split("tx=")[1],
                                                 **fields})
    assert response.status_code == 400
    for name in errors:
        assert f'id="{name}-error"' in response.text and 'aria-invalid="true"' in response.text
    assert mssp.phone(CUSTOMER)["requests"] == before
    assert mobile_requests(app) == [] and failure_reasons(app) == []


def test_without_javascript_the_confirm_button_asks_once(app, browser, journey, mssp):
    rp = journey[0]
    waiting = submit(browser, journey[1])
    pending = browser.post("/login/mobile-id/check", {"csrf_token": waiting.csrf,
                                                      "tx": waiting.tx})
    assert pending.status_code == 303
    assert pending.headers["Location"] == f"/login/mobile-id/wait?tx={waiting.tx}"
    mssp.script(CUSTOMER, behaviour="reset")
    mssp.script(CUSTOMER, behaviour="cancel", delay=0)
    failed = submit(browser, journey[1])

    def check(waiting):
        page = browser.post("/login/mobile-id/check", {"csrf_token": waiting.csrf,
                                                       "tx": waiting.tx})
        still = page.status_code == 303 and "/wait" in page.headers["Location"]
        return None if still else [page]

    [page] = wait_until(lambda: check(failed))
    assert page.status_code == 401
    assert "You declined the request on your phone." in alert_text(page)
    mssp.script(CUSTOMER, behaviour="confirm_after", delay=0, pin=SIMS[CUSTOMER].pin)
    done = submit(browser, journey[1])
    [response] = wait_until(lambda: check(done))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/authorize/resume?tx={done.tx}"
    assert finish(browser, rp, {"state": "done", "location": response.headers["Location"]})


def test_failure_messages_speak_the_journeys_language(app, issuer, browser, client_factory,
                                                      mobile_id, mssp):
    make_citizen(app, CUSTOMER)
    mssp.script(CUSTOMER, behaviour="cancel", delay=0.1)
    form = to_form(browser, new_rp(issuer, client_factory), ui_locales="ar")
    assert '<html lang="ar" dir="rtl">' in form.text
    waiting = submit(browser, form)
    assert '<html lang="ar" dir="rtl">' in waiting.page.text
    answer = wait_for_end(browser, waiting)
    assert answer["message"] == "لقد رفضت الطلب على هاتفك."
