"""Every bad input of registration and SMS login over HTTP, with the simulators as real
servers: wrong, expired, reused codes, a code from another browser, too many tries, too
many sends, unknown IDs, wrong dates of birth, the registry or the SMS gateway down or
busy, an SMS centre refusing the number, malformed numbers in the registry. Each gets a
clear message in English and Arabic, is audited, and nothing tells whether an identity
exists: the answers to an unknown identity and to a known one are the same page."""

import re
from datetime import timedelta

import pytest

from idp.extensions import db
from idp.models import AuditEvent
from idp.models import Citizen
from idp.models import OtpChallenge

from . import citizen_support
from .citizen_support import AHMED
from .citizen_support import FATMA
from .citizen_support import MARYAM
from .citizen_support import PASSWORD
from .citizen_support import UNKNOWN
from .citizen_support import ZAINAB
from .citizen_support import Citizen as CitizenBrowser
from .citizen_support import alert_of
from .citizen_support import field_error_of
from .citizen_support import sms_provider

simulators = citizen_support.simulators
provider = citizen_support.provider
sms = citizen_support.sms

SENT_REGISTER = "If your ID number and date of birth match the civil registry, we sent a 6-digit"
SENT_LOGIN = "If your ID number and password are right, we sent a 6-digit code"
NOT_CORRECT = "The code is not correct. Tries left for this code: {}."
LOGIN_NOT_CORRECT = ("The ID number, password or code is not correct. Tries left for this "
                     "code: {}.")
EXPIRED = "This code has expired. Ask for a new code."
USED = "This code has already been used. Start again to get a new code."
TOO_MANY_TRIES = "This code was entered wrongly too many times. Ask for a new code."
NO_CODE = ("No code is waiting for this page: it may have been asked for in another browser "
           "or tab, or it has gone. Start again.")
TOO_MANY_SENDS = "Too many codes were asked for with these details. Try again in an hour."
NETWORK_LIMIT = "Too many codes were asked for from your network. Try again in an hour."
SMS_DOWN = "Text messages cannot be sent right now. Try again in a few minutes."
SMS_BUSY = "The text message service is busy. Try again in a few minutes."
REGISTRY_DOWN = "The civil registry cannot be reached right now. Try again in a few minutes."
REGISTRY_BUSY = "The civil registry is busy. Try again in a few minutes."
LOCKED = ("Your account is locked after too many failed attempts. Contact the Bawaba help "
          "desk to unlock it.")
ARABIC = {
    NOT_CORRECT.format(4): "الرمز غير صحيح. المحاولات المتبقية لهذا الرمز: 4.",
    SMS_DOWN: "لا يمكن إرسال الرسائل النصية الآن. حاول مرة أخرى بعد بضع دقائق.",
    REGISTRY_DOWN: "لا يمكن الوصول إلى السجل المدني الآن. حاول مرة أخرى بعد بضع دقائق.",
    TOO_MANY_SENDS: "طُلبت رموز كثيرة جدًا بهذه البيانات. حاول مرة أخرى بعد ساعة.",
    EXPIRED: "انتهت صلاحية هذا الرمز. اطلب رمزًا جديدًا.",
}


def shape(page):
    """A page without what differs between any two requests (CSRF tokens, journey ids)."""
    text = re.sub(r'name="csrf_token" value="[^"]*"', "", page.text)
    return page.status_code, re.sub(r"tx=[\w-]+|name=\"tx\" value=\"[\w-]+\"", "", text)


def wrong(code):
    return "000000" if code != "000000" else "111111"


def events(app, event=None):
    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if event:
            query = query.where(AuditEvent.event == event)
        return [(e.event, e.outcome, e.subject, e.detail) for e in db.session.scalars(query)]


def age_codes(app, seconds):
    """Move every code `seconds` into the past, as if time had passed."""
    with app.app_context():
        for challenge in db.session.scalars(db.select(OtpChallenge)):
            challenge.created_at -= timedelta(seconds=seconds)
            challenge.last_sent_at -= timedelta(seconds=seconds)
            challenge.expires_at -= timedelta(seconds=seconds)
        db.session.commit()


# Registration


def test_unknown_ids_and_wrong_birth_dates_get_the_same_answer_as_real_ones(sms, app):
    real = CitizenBrowser(sms).start_registration(AHMED)
    assert SENT_REGISTER in real.text
    assert len(sms.outbox(AHMED["mobile"])) == 1
    for person in (UNKNOWN, {**AHMED, "date_of_birth": "1985-03-15"}, ZAINAB):
        page = CitizenBrowser(sms).start_registration(person)
        assert page.url.split("?")[0] == real.url.split("?")[0]
        assert shape(page) == shape(real)
    assert len(sms.outbox(AHMED["mobile"])) == 1  # nothing more was sent
    reasons = [e[3].get("reason") for e in events(app, "code_sent")]
    assert reasons == [None, "no_match", "no_match", "registry_record"]


def test_an_unknown_id_fails_only_at_the_code_like_a_wrong_code(sms):
    for person in (UNKNOWN, AHMED):
        browser = CitizenBrowser(sms)
        browser.start_registration(person)
        page = browser.enter_code("register", "123456" if person is UNKNOWN else wrong(
            sms.last_code(AHMED["mobile"])))
        assert page.status_code == 400
        assert alert_of(page) == NOT_CORRECT.format(4)


def test_wrong_code_in_english_and_arabic(sms, app):
    for language in ("en", "ar"):
        browser = CitizenBrowser(sms, language)
        browser.start_registration(AHMED)
        page = browser.enter_code("register", wrong(sms.last_code(AHMED["mobile"])))
        assert page.status_code == 400
        expected = NOT_CORRECT.format(4)
        assert alert_of(page) == (ARABIC[expected] if language == "ar" else expected)
    failed = events(app, "code_failed")
    assert [(e[1], e[3]["tries_left"]) for e in failed] == [("failure", 4)] * 2


def test_too_many_tries(sms):
    browser = CitizenBrowser(sms)
    browser.start_registration(AHMED)
    code = sms.last_code(AHMED["mobile"])
    left = [alert_of(browser.enter_code("register", wrong(code))) for _ in range(5)]
    assert left == [NOT_CORRECT.format(n) for n in (4, 3, 2, 1, 0)]
    page = browser.enter_code("register", code)
    assert page.status_code == 400 and alert_of(page) == TOO_MANY_TRIES


def test_expired_code(sms, app):
    for language in ("en", "ar"):
        browser = CitizenBrowser(sms, language)
        browser.start_registration(AHMED)
        age_codes(app, 300)
        page = browser.enter_code("register", sms.last_code(AHMED["mobile"]))
        assert page.status_code == 400
        assert alert_of(page) == (ARABIC[EXPIRED] if language == "ar" else EXPIRED)


def test_reused_code(sms):
    browser = CitizenBrowser(sms)
    browser.start_registration(AHMED)
    code = sms.last_code(AHMED["mobile"])
    assert "/register/password" in browser.enter_code("register", code).url
    page = browser.enter_code("register", code)
    assert page.status_code == 400 and alert_of(page) == USED


def test_a_code_from_another_browser_never_works(sms):
    first, second = CitizenBrowser(sms), CitizenBrowser(sms)
    first.start_registration(AHMED)
    first_code = sms.last_code(AHMED["mobile"])
    second.start_registration(AHMED)
    page = second.enter_code("register", first_code)
    if first_code != sms.last_code(AHMED["mobile"]):
        assert alert_of(page) == NOT_CORRECT.format(4)
    stranger = CitizenBrowser(sms)  # never asked for a code
    page = stranger.enter_code("register", first_code)
    assert page.status_code == 400 and alert_of(page) == NO_CODE
    assert "/register/password" in first.enter_code("register", first_code).url


def test_a_code_from_another_journey_of_the_same_browser_never_works(sms, client_factory):
    from .helpers import RelyingParty

    rp = RelyingParty(sms.issuer, client_factory())
    browser = CitizenBrowser(sms)
    tx_one = browser.authorize(rp.params()).url.split("tx=")[1]
    tx_two = browser.authorize(rp.params()).url.split("tx=")[1]
    browser.start_registration(AHMED, tx=tx_one)
    page = browser.enter_code("register", sms.last_code(AHMED["mobile"]), tx=tx_two)
    assert alert_of(page) == NO_CODE
    page = browser.enter_code("register", sms.last_code(AHMED["mobile"]), tx=tx_one)
    assert "/register/password" in page.url


def test_resend_waits_a_minute_and_replaces_the_code(sms, app):
    browser = CitizenBrowser(sms)
    browser.start_registration(AHMED)
    first = sms.last_code(AHMED["mobile"])
    page = browser.resend("register")
    assert page.status_code == 429
    assert re.fullmatch(r"You can ask for a new code in (60|59) seconds\.", alert_of(page))
    age_codes(app, 60)
    page = browser.resend("register")
    assert page.status_code == 200
    assert "If your details matched, we sent a new code." in page.text
    assert len(sms.outbox(AHMED["mobile"])) == 2
    second = sms.last_code(AHMED["mobile"])
    if second != first:
        assert alert_of(browser.enter_code("register", first)) == NOT_CORRECT.format(4)
    assert "/register/password" in browser.enter_code("register", second).url


def test_too_many_sends_to_one_number_and_for_an_unknown_id(sms, app):
    for person in (AHMED, UNKNOWN):
        for _ in range(5):
            assert SENT_REGISTER in CitizenBrowser(sms).start_registration(person).text
        page = CitizenBrowser(sms).start_registration(person)
        assert page.status_code == 429 and alert_of(page) == TOO_MANY_SENDS
        arabic = CitizenBrowser(sms, "ar").start_registration(person)
        assert alert_of(arabic) == ARABIC[TOO_MANY_SENDS]
    assert len(sms.outbox(AHMED["mobile"])) == 5
    limited = [e for e in events(app, "code_sent") if e[1] == "failure"
               and e[3].get("reason") == "NumberThrottledError"]
    assert len(limited) == 4


def test_the_civil_registry_down_or_busy(sms, app):
    for mode, message in (("down", REGISTRY_DOWN), ("throttle", REGISTRY_BUSY)):
        sms.control("registry", mode)
        for person in (AHMED, UNKNOWN):
            page = CitizenBrowser(sms).start_registration(person)
            assert page.status_code == 503 and alert_of(page) == message
        sms.control("registry", "normal")
    sms.control("registry", "down")
    page = CitizenBrowser(sms, "ar").start_registration(AHMED)
    assert alert_of(page) == ARABIC[REGISTRY_DOWN]
    sms.control("registry", "normal")
    assert SENT_REGISTER in CitizenBrowser(sms).start_registration(AHMED).text
    reasons = [e[3]["reason"] for e in events(app, "registration") if e[1] == "failure"]
    assert reasons == ["civil_registry_unavailable"] * 2 + ["civil_registry_throttled"] * 2 \
        + ["civil_registry_unavailable"]


@pytest.mark.parametrize("mode, message", [("down", SMS_DOWN), ("throttle", SMS_BUSY)])
def test_the_sms_gateway_down_or_busy(sms, app, mode, message):
    sms.control("sms", mode)
    for person in (AHMED, UNKNOWN, FATMA):  # an unknown ID fails the same way meanwhile
        page = CitizenBrowser(sms).start_registration(person)
        assert page.status_code == 503 and alert_of(page) == message
    if mode == "down":
        arabic = CitizenBrowser(sms, "ar").start_registration(AHMED)
        assert alert_of(arabic) == ARABIC[SMS_DOWN]
    sms.control("sms", "normal")
    assert SENT_REGISTER in CitizenBrowser(sms).start_registration(AHMED).text
    assert SENT_REGISTER in CitizenBrowser(sms).start_registration(UNKNOWN).text
    failures = [e[3]["reason"] for e in events(app, "code_sent") if e[1] == "failure"
                and e[3]["reason"].startswith("sms_")]
    assert failures and set(failures) == {f"sms_{'unavailable' if mode == 'down' else 'throttled'}"}


def test_a_number_the_sms_centre_refuses_looks_like_any_other_answer(sms, app):
    sms.control("sms", "reject")
    page = CitizenBrowser(sms).start_registration(MARYAM)
    sms.control("sms", "normal")
    unknown = CitizenBrowser(sms).start_registration(UNKNOWN)
    assert shape(page) == shape(unknown)
    assert sms.outbox(MARYAM["mobile"]) == []
    assert ("code_sent", "failure", None, {"purpose": "register", "reason": "sms_rejected",
                                           "status": "ESME_RSUBMITFAIL"}) in events(app)


def test_a_malformed_number_in_the_registry(sms, app):
    page = CitizenBrowser(sms).start_registration(ZAINAB)
    assert SENT_REGISTER in page.text
    assert "the mobile number in the civil registry may be missing or out of date: contact " \
        "the civil registry to correct it" in page.text
    arabic = CitizenBrowser(sms, "ar").start_registration(ZAINAB)
    assert "السجل المدني" in arabic.text
    detail = [e[3] for e in events(app, "code_sent")]
    assert detail[0] == {"purpose": "register", "reason": "registry_record", "field": "mobile"}


@pytest.mark.parametrize("fields, field, message", [
    ({"national_id": "12ab", "date_of_birth": "1985-03-14"}, "national_id",
     "Enter your national ID number: 6 to 12 digits."),
    ({"national_id": "1234567890123", "date_of_birth": "1985-03-14"}, "national_id",
     "Enter your national ID number: 6 to 12 digits."),
    ({"national_id": "10293847", "date_of_birth": ""}, "date_of_birth",
     "Enter your date of birth."),
    ({"national_id": "10293847", "date_of_birth": "14/03/1985"}, "date_of_birth",
     "Enter your date of birth as year, month and day, for example 1985-03-14."),
    ({"national_id": "10293847", "date_of_birth": "2999-01-01"}, "date_of_birth",
     "Enter a real date of birth, in the past."),
])
def test_malformed_form_fields(sms, fields, field, message):
    page = CitizenBrowser(sms).submit("/register", **fields)
    assert page.status_code == 400
    assert field_error_of(page, field) == message
    assert 'aria-invalid="true"' in page.text


def test_arabic_indic_digits_are_read(sms):
    person = {"national_id": "١٠٢٩٣٨٤٧", "date_of_birth": "١٩٨٥-٠٣-١٤"}
    assert SENT_REGISTER in CitizenBrowser(sms).start_registration(person).text
    assert len(sms.outbox(AHMED["mobile"])) == 1


@pytest.mark.parametrize("password, message", [
    ("short", "Choose a password of at least 12 characters."),
    ("password1234", "This password is too common and easy to guess. Choose another one."),
    ("lmnopqrstuvwxyz",
     "This password only repeats characters or follows a sequence. Choose another one."),
    ("my number 10293847", "Your password must not contain your ID number."),
])
def test_refused_passwords(sms, password, message):
    browser = CitizenBrowser(sms)
    browser.start_registration(AHMED)
    browser.enter_code("register", sms.last_code(AHMED["mobile"]))
    page = browser.choose_password(password)
    assert page.status_code == 400 and alert_of(page) == message
    page = browser.choose_password(PASSWORD, confirmation=PASSWORD + "!")
    assert alert_of(page) == "The two passwords are not the same."
    assert "/login/sms" in browser.choose_password(PASSWORD).url


def test_the_password_page_needs_a_verified_code(sms, app):
    browser = CitizenBrowser(sms)
    page = browser.get("/register/password")
    assert page.status_code == 400
    assert alert_of(page) == "Your registration has expired. Start again."
    browser.start_registration(AHMED)
    browser.enter_code("register", sms.last_code(AHMED["mobile"]))
    age_codes(app, 600)
    with app.app_context():
        for challenge in db.session.scalars(db.select(OtpChallenge)):
            challenge.used_at -= timedelta(minutes=10)
        db.session.commit()
    page = browser.get("/register/password")
    assert page.status_code == 400
    assert alert_of(page) == "Your registration has expired. Start again."
    page = browser.post("/register/password", {"csrf_token": browser.csrf(page),
                                               "password": PASSWORD, "confirmation": PASSWORD})
    assert page.status_code == 400
    assert alert_of(page) == "Your registration has expired. Start again."
    with app.app_context():
        assert db.session.scalars(db.select(Citizen)).all() == []


# Login


def test_unknown_id_wrong_password_and_right_password_look_the_same(sms, app):
    CitizenBrowser(sms).register(AHMED)
    right = CitizenBrowser(sms).start_login(AHMED)
    assert SENT_LOGIN in right.text
    sent = len(sms.outbox(AHMED["mobile"]))
    for person, password in ((UNKNOWN, PASSWORD), (AHMED, PASSWORD + "x")):
        page = CitizenBrowser(sms).start_login(person, password)
        assert shape(page) == shape(right)
        assert alert_of(CitizenBrowser(sms).enter_code("login", "123456")) == NO_CODE
    assert len(sms.outbox(AHMED["mobile"])) == sent  # no SMS for the failures
    for person, password in ((UNKNOWN, PASSWORD), (AHMED, PASSWORD + "x")):
        browser = CitizenBrowser(sms)
        browser.start_login(person, password)
        page = browser.enter_code("login", "123456")
        assert page.status_code == 400 and alert_of(page) == LOGIN_NOT_CORRECT.format(4)
    reasons = [e[3].get("reason") for e in events(app, "login") if e[1] == "failure"]
    assert reasons == ["unknown_id", "password", "unknown_id", "password"]


def test_login_code_errors(sms, app):
    CitizenBrowser(sms).register(AHMED)
    browser = CitizenBrowser(sms)
    browser.start_login(AHMED)
    code = sms.last_code(AHMED["mobile"])
    page = browser.enter_code("login", wrong(code))
    assert alert_of(page) == LOGIN_NOT_CORRECT.format(4)
    assert browser.enter_code("login", code).url.rstrip("/") == sms.issuer
    page = browser.enter_code("login", code)
    assert page.status_code == 400 and alert_of(page) == USED

    other = CitizenBrowser(sms)
    other.start_login(AHMED)
    age_codes(app, 300)
    assert alert_of(other.enter_code("login", sms.last_code(AHMED["mobile"]))) == EXPIRED
    with app.app_context():
        citizen = db.session.scalars(db.select(Citizen)).one()
        assert citizen.failed_attempts == 0  # reset by the login; expiry is no failure


def test_a_login_code_from_another_browser_never_works(sms):
    CitizenBrowser(sms).register(AHMED)
    first, second = CitizenBrowser(sms), CitizenBrowser(sms)
    first.start_login(AHMED)
    first_code = sms.last_code(AHMED["mobile"])
    assert alert_of(CitizenBrowser(sms).enter_code("login", first_code)) == NO_CODE
    second.start_login(AHMED)
    if sms.last_code(AHMED["mobile"]) != first_code:
        assert alert_of(second.enter_code("login", first_code)) == \
            LOGIN_NOT_CORRECT.format(4)
    assert first.enter_code("login", first_code).url.rstrip("/") == sms.issuer


def test_login_with_the_gateway_down(sms):
    CitizenBrowser(sms).register(AHMED)
    sms.control("sms", "down")
    for person in (AHMED, UNKNOWN):
        page = CitizenBrowser(sms).start_login(person)
        assert page.status_code == 503 and alert_of(page) == SMS_DOWN
    sms.control("sms", "normal")
    assert CitizenBrowser(sms).login(AHMED).url.rstrip("/") == sms.issuer


def test_login_field_errors(sms):
    page = CitizenBrowser(sms).start_login({"national_id": "abc"})
    assert field_error_of(page, "national_id") == \
        "Enter your national ID number: 6 to 12 digits."
    page = CitizenBrowser(sms).start_login(AHMED, password="")
    assert field_error_of(page, "password") == "Enter your password."


@pytest.fixture(scope="module")
def strict(app, simulators, tmp_path_factory):
    """A provider that locks after 3 failures and allows 7 codes per address."""
    with sms_provider(app, simulators, tmp_path_factory.mktemp("strict"), OTP_MAX_FAILURES=3,
                      OTP_SENDS_PER_ADDRESS=7) as served:
        yield served


def test_the_account_locks_after_consecutive_failures_until_unlocked(strict, app):
    strict.reset()
    CitizenBrowser(strict).register(FATMA)
    for _ in range(3):
        page = CitizenBrowser(strict).start_login(FATMA, PASSWORD + "?")
        assert SENT_LOGIN in page.text  # a wrong password looks like a right one
    lock = events(app, "lock")
    assert [(e[1], e[3]["reason"], e[3]["failures"]) for e in lock] == [
        ("success", "failures", 3)]
    browser = CitizenBrowser(strict)
    page = browser.login(FATMA)  # the right password and code: only now is it told
    assert page.status_code == 403 and alert_of(page) == LOCKED
    assert CitizenBrowser(strict).start_login(FATMA, PASSWORD + "?").status_code == 200
    result = app.test_cli_runner().invoke(args=["citizens", "unlock", FATMA["national_id"]])
    assert result.exit_code == 0, result.output
    assert CitizenBrowser(strict).login(FATMA).url.rstrip("/") == strict.issuer


def test_too_many_codes_from_one_address(strict, app):
    strict.reset()
    for i in range(7):
        page = CitizenBrowser(strict).start_registration({**UNKNOWN, "national_id": f"5555000{i}"})
        assert SENT_REGISTER in page.text
    page = CitizenBrowser(strict).start_registration(AHMED)
    assert page.status_code == 429 and alert_of(page) == NETWORK_LIMIT
    assert strict.outbox(AHMED["mobile"]) == []
    assert events(app, "code_sent")[-1][3] == {"purpose": "register",
                                               "reason": "AddressThrottledError"}
    page = CitizenBrowser(strict, "ar").start_login(UNKNOWN)  # checked before the password
    assert page.status_code == 429
    assert alert_of(page) == "طُلبت رموز كثيرة جدًا من شبكتك. حاول مرة أخرى بعد ساعة."
    assert [e[0] for e in events(app)][-1] == "code_sent"  # no login failure was counted


def test_code_errors_in_arabic(sms):
    CitizenBrowser(sms).register(AHMED)
    browser = CitizenBrowser(sms, "ar")
    assert alert_of(browser.enter_code("login", "123456")) == (
        "لا يوجد رمز بانتظار هذه الصفحة: ربما طُلب في متصفح أو علامة تبويب أخرى، أو لم يعد "
        "صالحًا. ابدأ من جديد.")
    browser.start_login(AHMED)
    code = sms.last_code(AHMED["mobile"])
    assert alert_of(browser.enter_code("login", wrong(code))) == (
        "الرقم المدني أو كلمة المرور أو الرمز غير صحيح. المحاولات المتبقية لهذا الرمز: 4.")
    page = browser.resend("login")
    assert page.status_code == 429 and alert_of(page).startswith("يمكنك طلب رمز جديد بعد ")
    for _ in range(4):
        browser.enter_code("login", wrong(code))
    assert alert_of(browser.enter_code("login", code)) == \
        "أُدخل هذا الرمز خطأً مرات كثيرة جدًا. اطلب رمزًا جديدًا."
    again = CitizenBrowser(sms, "ar")
    again.start_login(AHMED)
    code = sms.last_code(AHMED["mobile"])
    again.enter_code("login", code)
    assert alert_of(again.enter_code("login", code)) == \
        "استُخدم هذا الرمز من قبل. ابدأ من جديد للحصول على رمز جديد."
