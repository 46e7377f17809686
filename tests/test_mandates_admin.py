"""Administrators and mandates: the admin API (Bearer token of an admin at level 2, as
the PKI API) and the `idp mandates` commands: listing, the review queue, approval
(the letter checked with the chamber again), rejection and revocation, each audited,
each bad request refused with its exact error."""

import json

import pytest
import requests

from idp.authn.assurance import LEVEL_1
from idp.models import AuditEvent

from . import mandate_support
from .mandate_support import AGENT
from .mandate_support import LETTER
from .mandate_support import OWNER
from .mandate_support import AdminApi
from .mandate_support import account_login
from .mandate_support import admin_token
from .mandate_support import certify
from .mandate_support import events
from .mandate_support import grant
from .mandate_support import hand_in
from .mandate_support import letter_document
from .mandate_support import mandates

chamber_simulator = mandate_support.chamber_simulator
chamber = mandate_support.chamber
people = mandate_support.people


@pytest.fixture
def admin(app, issuer, client_factory):
    return AdminApi(issuer, admin_token(app, issuer, client_factory))


def pending(app, browser, chamber, document=None):
    page = account_login(browser, AGENT, acr=LEVEL_1)
    response = hand_in(browser, page, document or letter_document(chamber))
    assert response.status_code == 303
    return mandates(app)[-1].ref


def assert_error(response, status, error):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error and body["error_description"], body
    assert response.headers["Cache-Control"] == "no-store"
    return body


def test_review_queue_approve_reject_and_revoke(app, browser, chamber, people, admin):
    ref = pending(app, browser, chamber)
    listed = admin.get(state="pending")
    assert listed.status_code == 200, listed.text
    [row] = listed.json()
    assert (row["id"], row["source"], row["letter_number"]) == (ref, "letter", LETTER)
    assert row["evidence"] == f"chamber-letter:{LETTER}"
    approved = admin.post(f"/{ref}/approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["reviewed_by"]) == ("active", "admin-1")
    assert admin.get(f"/{ref}").json()["state"] == "active"
    assert admin.get(state="pending").json() == []
    revoked = admin.post(f"/{ref}/revoke", {"reason": "The owner asked us to."})
    assert revoked.json()["state"] == "revoked"
    assert revoked.json()["revoke_reason"] == "The owner asked us to."
    assert_error(admin.post(f"/{ref}/revoke", {"reason": "again"}), 409, "already_revoked")

    other = pending(app, browser, chamber, certify(chamber))
    rejected = admin.post(f"/{other}/reject", {"reason": "The letter is not legible."})
    assert rejected.json()["state"] == "rejected"
    assert_error(admin.post(f"/{other}/approve"), 409, "not_pending")
    assert [t for t, *_ in [m.text.split(":", 1)[1].split(".")[0:1]
                            for m in chamber.sms.outbox]] == [
        " we received the certified letter OCCI-2026-000101 for Al Noor Trading LLC (CR "
        "1234567)", " your mandate for Al Noor Trading LLC (CR 1234567) was approved",
        " your mandate for Al Noor Trading LLC (CR 1234567) was revoked",
        f" we received the certified letter {mandates(app)[-1].letter_number} for Al Noor "
        "Trading LLC (CR 1234567)",
        " your request to act for Al Noor Trading LLC (CR 1234567) was rejected"]
    actions = [(o, d["action"]) for _, o, _, d in events(app, "mandates_admin")]
    assert actions == [("success", "list"), ("success", "approve"), ("success", "show"),
                       ("success", "list"), ("success", "revoke"),
                       ("failure", "mandates_admin.revoke"), ("success", "reject"),
                       ("failure", "mandates_admin.approve")]
    assert [(e, s) for e, _, s, _ in events(app, "mandate_approved", "mandate_revoked",
                                             "mandate_rejected")] == [
        ("mandate_approved", "admin-1"), ("mandate_revoked", "admin-1"),
        ("mandate_rejected", "admin-1")]


def test_bad_admin_requests(app, browser, chamber, people, admin):
    ref = pending(app, browser, chamber)
    assert_error(admin.get("/mdt_unknown"), 404, "unknown_mandate")
    assert_error(admin.post("/mdt_unknown/approve"), 404, "unknown_mandate")
    assert_error(admin.post(f"/{ref}/reject", {}), 400, "reason_required")
    assert_error(admin.post(f"/{ref}/reject", {"reason": "  "}), 400, "reason_required")
    assert_error(admin.get(state="lost"), 400, "invalid_request")
    no_json = requests.post(admin.base + f"/{ref}/reject", data="reason=x",
                            headers=admin.headers, timeout=10)
    assert_error(no_json, 400, "invalid_request")
    assert mandates(app)[0].status == "pending"


def test_approval_checks_the_letter_with_the_chamber_again(app, browser, chamber, people,
                                                          admin):
    ref = pending(app, browser, chamber, certify(chamber))
    number = mandates(app)[0].letter_number
    requests.post(chamber.url + "/control", json={"mode": "down"}, timeout=5)
    assert_error(admin.post(f"/{ref}/approve"), 503, "temporarily_unavailable")
    requests.post(chamber.url + "/control", json={"mode": "normal"}, timeout=5)
    requests.post(f"{chamber.url}/v1/letters/{number}/withdraw", timeout=5,
                  headers={"X-API-Key": chamber.config.api_key})
    assert_error(admin.post(f"/{ref}/approve"), 422, "letter_withdrawn")
    assert mandates(app)[0].status == "pending"
    [(_, outcome, subject, detail)] = events(app, "mandate_refused")
    assert (outcome, subject, detail["reason"], detail["action"]) == (
        "failure", "admin-1", "letter_withdrawn", "approve")


@pytest.mark.parametrize("who, status, error", [
    (None, 401, "invalid_token"),
    ("garbage", 401, "invalid_token"),
    ("level-1", 401, "insufficient_user_authentication"),
    ("no-role", 403, "access_denied"),
])
def test_only_administrators_at_level_2(app, issuer, client_factory, who, status, error):
    token = {"garbage": "not-a-token",
             "level-1": lambda: admin_token(app, issuer, client_factory, acr=LEVEL_1),
             "no-role": lambda: admin_token(app, issuer, client_factory, roles=())}.get(who)
    token = token() if callable(token) else token
    response = AdminApi(issuer, token).get()
    assert_error(response, status, error)
    if status == 401:
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="mandates"')
        if who == "level-1":
            assert 'acr_values="urn:bawaba:acr:level-2"' in challenge


def test_commands_list_show_revoke_and_reject(app, browser, chamber, people):
    page = account_login(browser, OWNER)
    browser.follow(grant(browser, page))
    granted = mandates(app)[0].ref
    browser = type(browser)(browser.issuer)
    asked = pending(app, browser, chamber)
    runner = app.test_cli_runner()
    listed = json.loads(runner.invoke(args=["mandates", "list", "--json"]).output)
    assert [(m["id"], m["state"]) for m in listed] == [(granted, "active"), (asked, "pending")]
    only = runner.invoke(args=["mandates", "list", "--state", "active"]).output
    assert granted in only and asked not in only
    assert json.loads(runner.invoke(args=["mandates", "show", granted]).output)["id"] == granted
    revoked = runner.invoke(args=["mandates", "revoke", granted, "--reason", "fraud",
                                  "--by", "ops-1"])
    assert revoked.exit_code == 0 and f"{granted} revoked" in revoked.output
    rejected = runner.invoke(args=["mandates", "review", "reject", asked, "--reason",
                                   "illegible", "--by", "ops-1"])
    assert rejected.exit_code == 0 and f"{asked} rejected" in rejected.output
    assert [(m.revoked_by, m.status) for m in mandates(app)] == [("ops-1", "active"),
                                                                 (None, "rejected")]
    for args, message in [
        (["mandates", "show", "mdt_x"], "No mandate 'mdt_x'."),
        (["mandates", "revoke", granted, "--reason", "x", "--by", "ops-1"], "already_revoked"),
        (["mandates", "review", "approve", asked, "--by", "ops-1"], "not_pending"),
        (["mandates", "review", "reject", "mdt_x", "--reason", "x", "--by", "o"],
         "unknown_mandate"),
        (["mandates", "revoke", asked, "--reason", " ", "--by", "ops-1"], "reason_required"),
    ]:
        result = runner.invoke(args=args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    with app.app_context():
        from idp.extensions import db

        assert db.session.scalars(db.select(AuditEvent).filter_by(
            event="mandate_revoked")).one().subject == "ops-1"
