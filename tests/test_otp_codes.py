"""One-time codes (idp/otp/codes.py): RFC 4226 and RFC 6238 test vectors, the stored
digest, the order of the checks, expiry one second either side, limits and the policy
bounds. Pure functions: no application, no database."""

import base64
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pyotp
import pytest

from idp.otp import codes

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
KEY = b"k" * 32
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

# RFC 4226 Appendix D: HOTP values of the test secret for counters 0-9.
RFC4226 = ["755224", "287082", "359152", "969429", "338314",
           "254676", "287922", "162583", "399871", "520489"]
# RFC 6238 Appendix B (SHA-1): 8-digit TOTP values; a 6-digit code is the last 6 digits
# (the value modulo 10^6, RFC 4226 §5.3).
RFC6238 = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
           (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130")]


@pytest.mark.parametrize("counter, expected", list(enumerate(RFC4226)))
def test_rfc4226_hotp_values(counter, expected):
    assert codes.code_at(RFC_SECRET, counter) == expected


@pytest.mark.parametrize("unix_time, expected", RFC6238)
def test_rfc6238_totp_values(unix_time, expected):
    assert codes.code_at(RFC_SECRET, unix_time // 30) == expected[-6:]
    assert pyotp.TOTP(RFC_SECRET, digits=6).at(unix_time) == expected[-6:]


def test_each_code_comes_from_its_own_secret():
    secrets = {codes.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(len(base64.b32decode(s)) == 20 for s in secrets)  # 160 bits, RFC 4226 R6
    made = [codes.new_code() for _ in range(200)]
    assert all(len(c) == 6 and c.isdigit() for c in made)
    assert len(set(made)) > 150


def test_only_a_keyed_digest_is_stored_and_it_is_bound_to_the_challenge():
    digest = codes.code_digest(KEY, "challenge-a", "123456")
    assert "123456" not in digest and len(digest) == 64
    assert digest == codes.code_digest(KEY, "challenge-a", "123456")
    assert digest != codes.code_digest(KEY, "challenge-b", "123456")
    assert digest != codes.code_digest(b"x" * 32, "challenge-a", "123456")
    assert codes.binding_digest(KEY, "browser-a", "login:tx") != \
        codes.binding_digest(KEY, "browser-b", "login:tx")
    assert codes.binding_digest(KEY, "browser-a", "login:tx1") != \
        codes.binding_digest(KEY, "browser-a", "login:tx2")
    assert codes.number_key(KEY, "+96891234567") != codes.decoy_key(KEY, "+96891234567")


@pytest.mark.parametrize("typed, expected", [
    ("123456", "123456"), (" 123 456 ", "123456"), ("١٢٣٤٥٦", "123456"),
    ("12345", None), ("1234567", None), ("12345a", None), ("", None), (None, None),
    ("１２３４５６", None),
])
def test_typed_codes(typed, expected):
    assert codes.normalise_code(typed) == expected


@dataclass
class Challenge:
    public_id: str = "c1"
    binding: str = "b" * 64
    code_digest: str = ""
    tries: int = 0
    used_at: datetime | None = None
    expires_at: datetime = NOW + timedelta(seconds=300)

    def __post_init__(self):
        self.code_digest = self.code_digest or codes.code_digest(KEY, self.public_id, "246810")


POLICY = codes.CodePolicy()


def check(challenge, code="246810", binding="b" * 64, now=NOW):
    return codes.check_code(challenge, binding, code, KEY, now, POLICY)


def test_the_right_code_passes():
    assert check(Challenge()) is None
    assert check(Challenge(), code="٢٤٦٨١٠") is None


def test_expiry_one_second_either_side():
    expires = NOW + timedelta(seconds=300)
    assert check(Challenge(), now=expires - timedelta(seconds=1)) is None
    with pytest.raises(codes.CodeExpiredError):
        check(Challenge(), now=expires)
    with pytest.raises(codes.CodeExpiredError):
        check(Challenge(), now=expires + timedelta(seconds=1))
    assert codes.expiry(NOW, POLICY) == expires


def test_wrong_codes_count_down_the_tries():
    for tries, left in ((0, 4), (3, 1), (4, 0)):
        with pytest.raises(codes.WrongCodeError) as raised:
            check(Challenge(tries=tries), code="135791")
        assert raised.value.tries_left == left
    with pytest.raises(codes.WrongCodeError):
        check(Challenge(), code="not a code")


def test_checks_in_order():
    """Another browser learns nothing; a used code is used before anything else; too many
    tries before expiry; expiry before the code is even compared."""
    with pytest.raises(codes.NoChallengeError):
        check(None)
    with pytest.raises(codes.NoChallengeError):
        check(Challenge(used_at=NOW, tries=5), binding="c" * 64)
    with pytest.raises(codes.CodeUsedError):
        check(Challenge(used_at=NOW, tries=5, expires_at=NOW))
    with pytest.raises(codes.TooManyTriesError):
        check(Challenge(tries=5, expires_at=NOW))
    with pytest.raises(codes.TooManyTriesError):
        check(Challenge(tries=5))  # even the right code
    with pytest.raises(codes.CodeExpiredError):
        check(Challenge(expires_at=NOW), code="000000")


def test_resend_wait_one_second_either_side():
    sent = NOW
    assert codes.resend_wait(sent, NOW + timedelta(seconds=59), POLICY) == 1
    assert codes.resend_wait(sent, NOW + timedelta(seconds=59, milliseconds=1), POLICY) == 1
    assert codes.resend_wait(sent, NOW + timedelta(seconds=60), POLICY) == 0
    assert codes.resend_wait(sent, NOW + timedelta(seconds=61), POLICY) == 0
    assert codes.resend_wait(sent, NOW, POLICY) == 60


def test_send_limits():
    codes.check_send_allowed(4, 29, POLICY)
    with pytest.raises(codes.NumberThrottledError):
        codes.check_send_allowed(5, 0, POLICY)
    with pytest.raises(codes.AddressThrottledError):
        codes.check_send_allowed(0, 30, POLICY)
    with pytest.raises(codes.AddressThrottledError):  # the address is checked first
        codes.check_send_allowed(5, 30, POLICY)
    assert codes.window_start(NOW, POLICY) == NOW - timedelta(hours=1)


def test_account_lock_threshold():
    assert not codes.locks_account(99, POLICY)
    assert codes.locks_account(100, POLICY)
    assert codes.locks_account(3, codes.CodePolicy(max_failures=3))


@pytest.mark.parametrize("setting", [
    {"lifetime": 301}, {"lifetime": 0}, {"max_tries": 6}, {"resend_after": 59},
    {"sends_per_number": 6}, {"sends_per_address": 0}, {"send_window": 3599},
    {"max_failures": 101},
])
def test_the_policy_cannot_be_loosened_past_the_rules(setting):
    with pytest.raises(ValueError):
        codes.CodePolicy(**setting)
