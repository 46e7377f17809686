"""Sending and checking codes (idp/otp/service.py) over the real storage (the test
database) and the in-memory SMS gateway, with pinned times: reuse, binding, tries,
expiry, resend, per-number and per-address limits, decoys and gateway failures."""

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from connectors.errors import ThrottledError
from connectors.errors import UnavailableError
from connectors.sms.memory import InMemorySmsGateway
from idp.extensions import db
from idp.models import OtpChallenge
from idp.models import citizens as store
from idp.otp import codes
from idp.otp.service import OtpService
from idp.otp.service import Request
from idp.otp.service import message_text

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
KEY = b"s" * 32
NUMBER = "+96891234567"
BROWSER = "a" * 64
OTHER_BROWSER = "b" * 64


@pytest.fixture
def gateway():
    return InMemorySmsGateway()


@pytest.fixture
def service(app, gateway):
    slept = []
    with app.app_context():
        otp = OtpService(store, gateway, KEY, codes.CodePolicy(sends_per_address=8),
                         sleep=slept.append)
        otp.slept = slept
        yield otp
        db.session.rollback()


def at(seconds=0, binding=BROWSER, ip="192.0.2.1"):
    return Request(binding, ip, NOW + timedelta(seconds=seconds))


def last_code(gateway):
    return re.search(r"\b(\d{6})\b", gateway.outbox[-1].text).group(1)


def test_a_code_is_sent_accepted_once_and_only_its_digest_is_stored(service, gateway):
    challenge = service.send_code(at(), "login", msisdn=NUMBER)
    assert [m.to for m in gateway.outbox] == [NUMBER]
    code = last_code(gateway)
    assert gateway.outbox[-1].reference == f"{challenge.public_id}.1"
    row = db.session.get(OtpChallenge, challenge.id)
    stored = [str(getattr(row, c.name)) for c in OtpChallenge.__table__.columns]
    assert not any(code in value for value in stored)
    assert row.code_digest == codes.code_digest(KEY, challenge.public_id, code)
    assert row.expires_at == NOW + timedelta(minutes=5)

    assert service.verify_code(at(10), challenge.public_id, code).used_at == at(10).now
    with pytest.raises(codes.CodeUsedError):
        service.verify_code(at(11), challenge.public_id, code)


def test_the_message_names_the_service_and_purpose_in_both_languages(service, gateway):
    service.send_code(at(), "register", msisdn=NUMBER)
    text = gateway.outbox[-1].text
    code = last_code(gateway)
    assert text == message_text("register", code, 5)
    assert f"Bawaba: {code} is your code to create your Bawaba account." in text
    assert f"بوابة: {code} هو رمزك لإنشاء حسابك في بوابة." in text
    assert "to log in to Bawaba" in message_text("login", "123456", 5)
    assert "لتسجيل الدخول إلى بوابة" in message_text("login", "123456", 5)


def test_a_code_from_another_browser_never_works(service, gateway):
    mine = service.send_code(at(), "login", msisdn=NUMBER)
    code = last_code(gateway)
    theirs = service.send_code(at(binding=OTHER_BROWSER), "login", msisdn=NUMBER)
    with pytest.raises(codes.NoChallengeError):
        service.verify_code(at(5, binding=OTHER_BROWSER), mine.public_id, code)
    with pytest.raises(codes.WrongCodeError):
        service.verify_code(at(5, binding=OTHER_BROWSER), theirs.public_id, code)
    assert service.verify_code(at(6), mine.public_id, code)  # untouched by the other


def test_five_tries_per_code(service, gateway):
    challenge = service.send_code(at(), "login", msisdn=NUMBER)
    code = last_code(gateway)
    wrong = "000000" if code != "000000" else "111111"
    left = []
    for i in range(5):
        with pytest.raises(codes.WrongCodeError) as raised:
            service.verify_code(at(i), challenge.public_id, wrong)
        left.append(raised.value.tries_left)
    assert left == [4, 3, 2, 1, 0]
    with pytest.raises(codes.TooManyTriesError):
        service.verify_code(at(6), challenge.public_id, code)


def test_expiry_one_second_either_side(service, gateway):
    first = service.send_code(at(), "login", msisdn=NUMBER)
    code = last_code(gateway)
    assert service.verify_code(at(299), first.public_id, code)
    second = service.send_code(at(), "login", msisdn=NUMBER)
    with pytest.raises(codes.CodeExpiredError):
        service.verify_code(at(300), second.public_id, last_code(gateway))


def test_resend_after_sixty_seconds_replaces_the_code(service, gateway):
    challenge = service.send_code(at(), "login", msisdn=NUMBER)
    old = last_code(gateway)
    with pytest.raises(codes.ResendTooSoonError) as raised:
        service.resend_code(at(59), challenge.public_id)
    assert raised.value.wait == 1
    with pytest.raises(codes.NoChallengeError):
        service.resend_code(at(60, binding=OTHER_BROWSER), challenge.public_id)
    service.resend_code(at(60), challenge.public_id)
    new = last_code(gateway)
    assert len(gateway.outbox) == 2 and gateway.outbox[-1].reference.endswith(".2")
    if new != old:
        with pytest.raises(codes.WrongCodeError):
            service.verify_code(at(61), challenge.public_id, old)
    assert service.verify_code(at(62), challenge.public_id, new)
    with pytest.raises(codes.CodeUsedError):
        service.resend_code(at(200), challenge.public_id)


def test_at_most_five_codes_per_number_per_hour(service, gateway):
    for i in range(5):
        service.send_code(at(i, ip=f"192.0.2.{i}"), "login", msisdn=NUMBER)
    with pytest.raises(codes.NumberThrottledError):
        service.send_code(at(10, ip="192.0.2.99"), "register", msisdn=NUMBER)
    assert len(gateway.outbox) == 5
    service.send_code(at(10, ip="192.0.2.99"), "login", msisdn="+96892345678")
    with pytest.raises(codes.NumberThrottledError):  # the first send is an hour old
        service.send_code(at(3600), "login", msisdn=NUMBER)
    service.send_code(at(3601), "login", msisdn=NUMBER)  # and now more than an hour
    assert len(gateway.outbox) == 7


def test_per_address_limit(service, gateway):
    for i in range(8):
        service.send_code(at(i), "login", msisdn=f"+9689123450{i}")
    with pytest.raises(codes.AddressThrottledError):
        service.send_code(at(9), "login", msisdn="+96892345678")
    with pytest.raises(codes.AddressThrottledError):
        service.send_code(at(9), "login", national_id="99999999")  # decoys too
    service.send_code(at(9, ip="192.0.2.2"), "login", msisdn="+96892345678")
    with pytest.raises(codes.AddressThrottledError):
        service.check_address(at(10))
    service.check_address(at(10, ip="192.0.2.2"))


def test_decoys_send_nothing_match_nothing_and_count_like_numbers(service, gateway):
    decoy = service.send_code(at(), "login", national_id="99999999")
    assert gateway.outbox == [] and decoy.msisdn is None
    for candidate in ("000000", "123456"):
        with pytest.raises(codes.WrongCodeError):
            service.verify_code(at(1), decoy.public_id, candidate)
    with pytest.raises(codes.ResendTooSoonError):
        service.resend_code(at(30), decoy.public_id)
    service.resend_code(at(60), decoy.public_id)
    for i in range(3):
        service.send_code(at(61 + i), "login", national_id="99999999")
    with pytest.raises(codes.NumberThrottledError):
        service.send_code(at(70), "login", national_id="99999999")
    assert gateway.outbox == []


def test_decoys_take_as_long_as_real_sends(service, gateway):
    service.send_code(at(), "login", national_id="99999999")
    assert service.slept == []  # nothing to imitate yet
    service.send_code(at(1), "login", msisdn=NUMBER)
    service.send_code(at(2), "login", national_id="99999999")
    assert len(service.slept) == 1 and 0 < service.slept[0] < 3


@pytest.mark.parametrize("failure", [
    UnavailableError("down", connector="sms", code="503"),
    ThrottledError("slow down", connector="sms", code="429", retry_after=1),
])
def test_while_the_gateway_fails_decoys_fail_too(service, gateway, failure):
    gateway.fail_with = failure
    with pytest.raises(type(failure)):
        service.send_code(at(), "login", msisdn=NUMBER)
    with pytest.raises(type(failure)):
        service.send_code(at(1), "login", national_id="99999999")
    gateway.fail_with = None
    service.send_code(at(2), "login", msisdn=NUMBER)  # recovered: decoys succeed again
    assert service.send_code(at(3), "login", national_id="99999999").msisdn is None


def test_a_failed_resend_keeps_the_previous_code(service, gateway):
    challenge = service.send_code(at(), "login", msisdn=NUMBER)
    code = last_code(gateway)
    gateway.fail_with = UnavailableError("down", connector="sms", code="503")
    with pytest.raises(UnavailableError):
        service.resend_code(at(60), challenge.public_id)
    assert challenge.sends == 1
    assert service.verify_code(at(61), challenge.public_id, code)


def test_unknown_purpose_is_a_programming_error(service):
    with pytest.raises(ValueError):
        service.send_code(at(), "payment", msisdn=NUMBER)
