"""`idp citizens`: list, show, lock, unlock, set-phone, on citizens registered over HTTP;
every change audited, bad input refused with a usage error, and the effect seen by the
next login."""

import json

import pytest

from idp.extensions import db
from idp.models import AuditEvent
from idp.models import Citizen

from . import citizen_support
from .citizen_support import AHMED
from .citizen_support import FATMA
from .citizen_support import Citizen as CitizenBrowser
from .citizen_support import alert_of

simulators = citizen_support.simulators
provider = citizen_support.provider
sms = citizen_support.sms

LOCKED = ("Your account is locked after too many failed attempts. Contact the Bawaba help "
          "desk to unlock it.")


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["citizens", *args])


def audit_rows(app, event):
    with app.app_context():
        rows = db.session.scalars(db.select(AuditEvent).where(AuditEvent.event == event))
        return [(r.outcome, r.subject, r.detail) for r in rows]


@pytest.fixture
def registered(sms):
    CitizenBrowser(sms).register(AHMED)
    CitizenBrowser(sms).register(FATMA)
    return sms


def test_list_and_show(app, registered):
    result = cli(app, "list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [c["national_id"] for c in listed] == [AHMED["national_id"], FATMA["national_id"]]
    assert listed[0]["name"] == AHMED["name"] and listed[0]["name_ar"] == AHMED["name_ar"]
    assert listed[0]["phone_number"] == AHMED["mobile"] and listed[0]["locked_at"] is None

    text = cli(app, "list").output.splitlines()
    assert len(text) == 2 and text[0].startswith(f"{AHMED['national_id']}  ")
    assert f"  {AHMED['mobile']}  active  failures=0  {AHMED['name']}" in text[0]

    shown = json.loads(cli(app, "show", "١٠٢٩٣٨٤٧", "--json").output)
    assert shown == listed[0]
    assert f"phone_number: {AHMED['mobile']}" in cli(app, "show", AHMED["national_id"]).output


def test_lock_and_unlock(app, registered):
    result = cli(app, "lock", AHMED["national_id"], "--reason", "fraud")
    assert result.exit_code == 0 and result.output == f"locked {AHMED['national_id']}\n"
    listed = json.loads(cli(app, "list", "--locked", "--json").output)
    assert [(c["national_id"], c["lock_reason"]) for c in listed] == [
        (AHMED["national_id"], "fraud")]
    page = CitizenBrowser(registered).login(AHMED)
    assert page.status_code == 403 and alert_of(page) == LOCKED
    again = cli(app, "lock", AHMED["national_id"])
    assert again.exit_code == 2 and "is already locked (fraud)" in again.output

    result = cli(app, "unlock", AHMED["national_id"])
    assert result.exit_code == 0 and result.output == f"unlocked {AHMED['national_id']}\n"
    assert CitizenBrowser(registered).login(AHMED).url.rstrip("/") == registered.issuer
    assert cli(app, "unlock", AHMED["national_id"]).exit_code == 2

    sub = json.loads(cli(app, "show", AHMED["national_id"], "--json").output)["sub"]
    assert audit_rows(app, "lock") == [("success", sub, {"reason": "fraud", "by": "cli"})]
    assert audit_rows(app, "unlock") == [("success", sub, {"reason": "fraud", "by": "cli"})]


def test_set_phone_is_audited_and_codes_go_to_the_new_number(app, registered):
    browser = CitizenBrowser(registered)
    browser.start_login(AHMED)
    old_code = registered.last_code(AHMED["mobile"])
    result = cli(app, "set-phone", AHMED["national_id"], "+968 9988 7766")
    assert result.exit_code == 0, result.output
    assert result.output == f"{AHMED['national_id']}: {AHMED['mobile']} -> +96899887766\n"
    # The code in flight to the old number stopped working.
    assert browser.enter_code("login", old_code).status_code == 400
    shown = json.loads(cli(app, "show", AHMED["national_id"], "--json").output)
    assert shown["phone_number"] == "+96899887766" and shown["phone_verified"] is False
    assert audit_rows(app, "phone_changed") == [
        ("success", shown["sub"], {"old_phone": AHMED["mobile"], "new_phone": "+96899887766",
                                   "by": "cli"})]

    moved = {**AHMED, "mobile": "+96899887766"}
    assert CitizenBrowser(registered).login(moved).url.rstrip("/") == registered.issuer
    with app.app_context():
        citizen = db.session.scalars(db.select(Citizen).filter_by(
            national_id=AHMED["national_id"])).one()
        assert citizen.phone_verified_at is not None  # proven by the code
        assert citizen.account.profile["phone_number"] == "+96899887766"
        assert citizen.account.profile["phone_number_verified"] is True


@pytest.mark.parametrize("args, message", [
    (["show", "12ab"], "'12ab' is not a national ID number (6 to 12 digits)."),
    (["show", "99999999"], "No registered citizen has national ID 99999999."),
    (["lock", "99999999"], "No registered citizen has national ID 99999999."),
    (["unlock", "1"], "'1' is not a national ID number (6 to 12 digits)."),
    (["set-phone", "10293847", "24123456"],
     "'24123456' is not a mobile number in international form, e.g. +96891234567."),
    (["set-phone", "10293847", "+96824123456"],
     "'+96824123456' is not a mobile number in international form, e.g. +96891234567."),
    (["set-phone", "10293847", "+96891234567"], "10293847 already has +96891234567."),
])
def test_bad_input_is_a_usage_error(app, registered, args, message):
    result = cli(app, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert audit_rows(app, "phone_changed") == [] and audit_rows(app, "lock") == []
