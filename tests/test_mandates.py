"""Establishment mandates end to end over HTTP, with the chamber of commerce simulator as
a real server: owners at level 2 grant and revoke in the account pages (ownership checked
with the chamber), agents hand in chamber-certified letters that wait for review, and
every bad input is refused with its reason and audited. The agent gets an SMS at each
change."""

from datetime import timedelta

import pytest
from joserfc.jwk import ECKey

from connectors.chamber.letters import sign_letter
from idp.authn.assurance import LEVEL_1
from idp.models.types import utcnow

from . import mandate_support
from .mandate_support import AGENT
from .mandate_support import AL_NOOR
from .mandate_support import LETTER
from .mandate_support import NOBODY
from .mandate_support import OTHER_OWNER
from .mandate_support import OWNER
from .mandate_support import SAHIL
from .mandate_support import STRUCK_OFF
from .mandate_support import SUSPENDED
from .mandate_support import WITHDRAWN
from .mandate_support import account_login
from .mandate_support import alert
from .mandate_support import certify
from .mandate_support import events
from .mandate_support import grant
from .mandate_support import hand_in
from .mandate_support import letter_document
from .mandate_support import mandates

chamber_simulator = mandate_support.chamber_simulator
chamber = mandate_support.chamber
people = mandate_support.people


def test_an_owner_at_level_2_grants_a_mandate_and_the_agent_is_told(app, browser, chamber,
                                                                    people):
    page = account_login(browser, OWNER)
    response = grant(browser, page)
    assert response.status_code == 303, alert(browser.follow(response))
    page = browser.follow(response)
    [mandate] = mandates(app)
    assert (mandate.status, mandate.source, mandate.establishment_cr) == (
        "active", "owner", AL_NOOR)
    assert mandate.establishment_name == "Al Noor Trading LLC"
    assert mandate.permissions == ["work_permit.issue", "visa.cancel"]
    assert (mandate.agent_national_id, mandate.agent_sub, mandate.granted_by) == (
        AGENT["national_id"], AGENT["sub"], OWNER["sub"])
    assert mandate.evidence_ref.startswith("owner-grant:")
    assert mandate.ref in page.text
    [sms] = chamber.sms.outbox
    assert sms.to == AGENT["phone"]
    assert "Al Noor Trading LLC (CR 1234567)" in sms.text and mandate.ref in sms.text
    assert "شركة النور للتجارة" in sms.text
    assert [(e, o, s) for e, o, s, _ in events(app, "mandate_granted", "mandate_notice")] == [
        ("mandate_granted", "success", OWNER["sub"]),
        ("mandate_notice", "success", AGENT["sub"])]
    agent_browser = type(browser)(browser.issuer)
    agent_page = account_login(agent_browser, AGENT, acr=LEVEL_1)
    assert f'data-mandate="{mandate.ref}"' in agent_page.text
    assert "Issue work permits" in agent_page.text


def test_granting_needs_a_level_2_login(app, browser, chamber, people):
    page = account_login(browser, OWNER, acr=LEVEL_1)
    assert 'name="cr_number"' not in page.text
    assert "/account/login?level=2" in page.text
    response = grant(browser, page)
    assert response.status_code == 403
    assert "needs a login with your ID card or Mobile ID" in alert(response)
    assert mandates(app) == []


@pytest.mark.parametrize("overrides, status, reason, message", [
    ({"cr": "9999999"}, 400, "unknown_establishment", "has no establishment with this number"),
    ({"cr": STRUCK_OFF}, 400, "establishment_inactive", "is not active"),
    ({"cr": SUSPENDED, "person": OTHER_OWNER}, 400, "establishment_inactive", "is not active"),
    ({"cr": SAHIL}, 403, "not_owner", "does not list you as an owner"),
    ({"cr": "12-ab"}, 400, "invalid_cr_number", "7 to 10 digits"),
    ({"agent": "12"}, 400, "invalid_national_id", "6 to 12 digits"),
    ({"permissions": ()}, 400, "invalid_permissions", "Choose at least one service"),
    ({"permissions": ("visa.issue",)}, 400, "invalid_permissions", "Choose at least one"),
    ({"ends": "past"}, 400, "invalid_period", "has not ended"),
    ({"ends": "too-long"}, 400, "invalid_period", "at most five years"),
])
def test_bad_grants_are_refused_with_their_reason(app, browser, chamber, people, overrides,
                                                  status, reason, message):
    person = overrides.pop("person", OWNER)
    page = account_login(browser, person)
    today = utcnow().date()
    ends = {"past": today - timedelta(days=1),
            "too-long": today + timedelta(days=6 * 366)}.get(overrides.pop("ends", None))
    kwargs = dict(overrides)
    if ends is not None:
        kwargs["ends"] = ends
        if ends < today:
            kwargs["starts"] = ends - timedelta(days=5)
    response = grant(browser, page, **kwargs)
    assert response.status_code == status, response.text[:300]
    assert message in alert(response)
    assert mandates(app) == []
    assert [(e, o, d["reason"]) for e, o, _, d in events(app, "mandate_refused")] == [
        ("mandate_refused", "failure", reason)]


def test_the_first_day_may_not_follow_the_last(app, browser, chamber, people):
    page = account_login(browser, OWNER)
    today = utcnow().date()
    response = grant(browser, page, starts=today + timedelta(days=10),
                     ends=today + timedelta(days=9))
    assert response.status_code == 400 and "not after its last" in alert(response)


def test_an_agent_hands_in_a_certified_letter_and_an_administrator_approves_it(
        app, browser, chamber, people):
    page = account_login(browser, AGENT, acr=LEVEL_1)
    response = hand_in(browser, page, letter_document(chamber))
    assert response.status_code == 303, alert(browser.follow(response))
    [mandate] = mandates(app)
    assert (mandate.status, mandate.source, mandate.letter_number) == ("pending", "letter",
                                                                        LETTER)
    assert mandate.evidence_ref == f"chamber-letter:{LETTER}"
    assert mandate.permissions == ["work_permit.issue", "work_permit.renew",
                                   "absence_report.file"]
    assert "Waiting for review" in browser.follow(response).text
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["mandates", "review", "list"])
    assert mandate.ref in listed.output
    approved = runner.invoke(args=["mandates", "review", "approve", mandate.ref,
                                   "--by", "reviewer-1"])
    assert approved.exit_code == 0, approved.output
    assert f"{mandate.ref} approved" in approved.output
    [mandate] = mandates(app)
    assert (mandate.status, mandate.reviewed_by) == ("active", "reviewer-1")
    assert [m.text.split(":")[1].split(".")[0].strip() for m in chamber.sms.outbox] == [
        "we received the certified letter OCCI-2026-000101 for Al Noor Trading LLC (CR "
        "1234567)", "your mandate for Al Noor Trading LLC (CR 1234567) was approved"]
    assert [e for e, *_ in events(app, "mandate_requested", "mandate_approved")] == [
        "mandate_requested", "mandate_approved"]
    assert runner.invoke(args=["mandates", "review", "list"]).output == ""


def other_key_letter(kid):
    key = ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)
    today = utcnow().date()
    return sign_letter({"letter_number": "OCCI-2026-999999", "cr_number": AL_NOOR,
                        "establishment_name": "Al Noor Trading LLC",
                        "owner_national_id": OWNER["national_id"],
                        "agent_national_id": AGENT["national_id"],
                        "permissions": ["work_permit.issue"],
                        "valid_from": today.isoformat(),
                        "valid_until": (today + timedelta(days=9)).isoformat(),
                        "certified_at": "2026-01-01T08:00:00Z"}, key)


def tampered(document):
    import base64
    import json

    header, payload, signature = document.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields["permissions"].append("visa.cancel")
    forged = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def unregistered(simulator):
    today = utcnow().date()
    return sign_letter({"letter_number": "OCCI-2026-777777", "cr_number": AL_NOOR,
                        "establishment_name": "Al Noor Trading LLC",
                        "owner_national_id": OWNER["national_id"],
                        "agent_national_id": AGENT["national_id"],
                        "permissions": ["work_permit.issue"],
                        "valid_from": today.isoformat(),
                        "valid_until": (today + timedelta(days=9)).isoformat(),
                        "certified_at": "2026-01-01T08:00:00Z"}, simulator.directory.key)


def mismatched(simulator):
    today = utcnow().date()
    return sign_letter({"letter_number": LETTER, "cr_number": AL_NOOR,
                        "establishment_name": "Al Noor Trading LLC",
                        "owner_national_id": OWNER["national_id"],
                        "agent_national_id": AGENT["national_id"],
                        "permissions": ["visa.cancel"],
                        "valid_from": today.isoformat(),
                        "valid_until": (today + timedelta(days=9)).isoformat(),
                        "certified_at": "2026-01-01T08:00:00Z"}, simulator.directory.key)


@pytest.mark.parametrize("make, person, status, reason, message", [
    (lambda s: "not a letter", AGENT, 422, "letter_malformed", "is not a letter certified"),
    (lambda s: other_key_letter(s.directory.key.kid), AGENT, 422, "letter_signature",
     "may have been altered"),
    (lambda s: other_key_letter("forger-1"), AGENT, 422, "letter_unknown_key",
     "may have been altered"),
    (lambda s: tampered(letter_document(s)), AGENT, 422, "letter_signature",
     "may have been altered"),
    (lambda s: letter_document(s, WITHDRAWN), AGENT, 422, "letter_withdrawn",
     "withdrew this letter"),
    (unregistered, AGENT, 422, "letter_not_on_record", "has no record of this letter"),
    (mismatched, AGENT, 422, "letter_mismatch", "differs from the chamber"),
    (lambda s: letter_document(s), NOBODY, 400, "letter_not_for_agent",
     "authorises someone else"),
    (lambda s: certify(s, cr_number=STRUCK_OFF), AGENT, 400, "establishment_inactive",
     "is not active"),
    (lambda s: certify(s, permissions=["visa.issue"]), AGENT, 400, "invalid_permissions",
     "Choose at least one"),
    (lambda s: certify(s, valid_from="2020-01-01", valid_until="2020-12-31"), AGENT, 400,
     "letter_expired", "period of this letter is over"),
])
def test_forged_tampered_and_unusable_letters_are_refused(app, browser, chamber, people, make,
                                                          person, status, reason, message):
    page = account_login(browser, person, acr=LEVEL_1)
    response = hand_in(browser, page, make(chamber))
    assert response.status_code == status, response.text[:300]
    assert message in alert(response)
    assert mandates(app) == []
    assert [(o, d["reason"]) for _, o, _, d in events(app, "mandate_refused")] == [
        ("failure", reason)]


def test_a_letter_is_handed_in_once(app, browser, chamber, people):
    page = account_login(browser, AGENT, acr=LEVEL_1)
    assert hand_in(browser, page, letter_document(chamber)).status_code == 303
    page = browser.get("/account/mandates")
    response = hand_in(browser, page, letter_document(chamber))
    assert response.status_code == 409 and "already handed in" in alert(response)
    assert len(mandates(app)) == 1


def test_no_letter_file_is_refused(app, browser, chamber, people):
    page = account_login(browser, AGENT, acr=LEVEL_1)
    response = browser.post("/account/mandates/letter", {"csrf_token": browser.csrf(page)})
    assert response.status_code == 400 and "Choose the letter file" in alert(response)


def test_the_chamber_being_down_is_a_503_and_nothing_changes(app, browser, chamber, people):
    import requests

    page = account_login(browser, OWNER)
    requests.post(chamber.url + "/control", json={"mode": "down"}, timeout=5)
    response = grant(browser, page)
    assert response.status_code == 503 and "cannot be reached" in alert(response)
    assert mandates(app) == []


def test_an_owner_revokes_and_the_agent_is_told(app, browser, chamber, people):
    page = account_login(browser, OWNER)
    browser.follow(grant(browser, page))
    [mandate] = mandates(app)
    page = browser.get("/account/mandates")
    response = browser.post(f"/account/mandates/{mandate.ref}/revoke",
                            {"csrf_token": browser.csrf(page)})
    assert response.status_code == 303
    [mandate] = mandates(app)
    assert (mandate.revoked_by, mandate.revoke_reason) == (OWNER["sub"], "Revoked by the owner")
    assert "Revoked" in browser.follow(response).text
    assert "was revoked" in chamber.sms.outbox[-1].text
    again = browser.post(f"/account/mandates/{mandate.ref}/revoke",
                         {"csrf_token": browser.csrf(page)})
    assert again.status_code == 409 and "already revoked" in alert(again)


def test_someone_else_cannot_revoke(app, browser, chamber, people):
    page = account_login(browser, OWNER)
    browser.follow(grant(browser, page))
    [mandate] = mandates(app)
    other = type(browser)(browser.issuer)
    page = account_login(other, OTHER_OWNER)
    response = other.post(f"/account/mandates/{mandate.ref}/revoke",
                          {"csrf_token": other.csrf(page)})
    assert response.status_code == 403 and "does not list you as an owner" in alert(response)
    unknown = other.post("/account/mandates/mdt_nothing/revoke",
                         {"csrf_token": other.csrf(page)})
    assert unknown.status_code == 404
    assert mandates(app)[0].revoked_at is None


def test_without_a_gateway_notices_are_only_audited(app, browser, chamber, people):
    from idp.mandates import NOTIFIER

    app.extensions[NOTIFIER] = None
    page = account_login(browser, OWNER)
    assert grant(browser, page).status_code == 303
    [(_, outcome, _, detail)] = events(app, "mandate_notice")
    assert (outcome, detail["reason"], detail["notice"]) == ("skipped", "no_gateway", "granted")
