"""One-time codes and the rules they live by.

A code is the 6-digit HOTP value (RFC 4226 §5.3, through pyotp) of a fresh random secret,
one secret per code: the secret is dropped as soon as the code is made, and only an
HMAC-SHA256 of the code under a server key, bound to its challenge, is stored. A TOTP
value (RFC 6238 §4) is the same computation with the time step as the counter, which is
how the RFC 6238 test vectors check `code_at` too.

Rules (`CodePolicy`, defaults in brackets): a code is valid for `lifetime` seconds [300],
accepted once, only from the browser and login transaction that asked for it (the
challenge's `binding`), and tried at most `max_tries` times [5]. A new code may be asked
for `resend_after` seconds after the last one [60]. At most `sends_per_number` codes go to
one number per `send_window` [5 per hour] and `sends_per_address` from one IP address
[30 per hour]. An account is locked after `max_failures` consecutive failures [100] until
an administrator unlocks it.

Checks are listed in order in `check_code` (cheap first), one exception per reason."""

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp

DIGITS = 6
CODE_CHARS = frozenset("0123456789")


@dataclass(frozen=True)
class CodePolicy:
    lifetime: int = 300
    max_tries: int = 5
    resend_after: int = 60
    sends_per_number: int = 5
    sends_per_address: int = 30
    send_window: int = 3600
    max_failures: int = 100

    def __post_init__(self):
        if not 0 < self.lifetime <= 300:
            raise ValueError("a code may live at most 5 minutes")
        if not 0 < self.max_tries <= 5:
            raise ValueError("a code may be tried at most 5 times")
        if self.resend_after < 60:
            raise ValueError("a new code may be sent at the earliest after 60 seconds")
        if not 0 < self.sends_per_number <= 5:
            raise ValueError("at most 5 codes per number per hour")
        if self.sends_per_address < 1 or self.send_window < 3600:
            raise ValueError("the send limits count over at least an hour")
        if not 0 < self.max_failures <= 100:
            raise ValueError("at most 100 consecutive failures before the account locks")


class OtpError(Exception):
    """Base of every reason a code is not sent or not accepted."""


class NoChallengeError(OtpError):
    """No code is waiting for this browser and login transaction (never asked for, asked
    for in another browser or journey, or already gone)."""


class CodeUsedError(OtpError):
    """The code was already accepted once."""


class TooManyTriesError(OtpError):
    """The code was tried too often; a new one must be asked for."""


class CodeExpiredError(OtpError):
    """The code is older than its lifetime."""


class WrongCodeError(OtpError):
    """The code does not match; `tries_left` more tries for this code."""

    def __init__(self, tries_left):
        super().__init__(f"wrong code, {tries_left} tries left")
        self.tries_left = tries_left


class ResendTooSoonError(OtpError):
    """A new code was asked for too soon; `wait` seconds to go."""

    def __init__(self, wait):
        super().__init__(f"resend too soon, wait {wait} s")
        self.wait = wait


class NumberThrottledError(OtpError):
    """Too many codes went to this number (or this ID, for a decoy) within the window."""


class AddressThrottledError(OtpError):
    """Too many codes were asked for from this IP address within the window."""


def new_secret():
    """A random 160-bit base32 secret (RFC 4226 §4 R6)."""
    return pyotp.random_base32(32)


def code_at(secret, counter):
    """The 6-digit HOTP value of `secret` at `counter` (RFC 4226 §5.3)."""
    return pyotp.HOTP(secret, digits=DIGITS).at(counter)


def new_code():
    """A code from a fresh secret that nobody keeps."""
    return code_at(new_secret(), 0)


def code_digest(key, challenge_id, code):
    """The stored form of a code: HMAC-SHA256 under the server key, bound to its challenge
    so equal codes of two challenges have unrelated digests."""
    message = f"bawaba-otp\x00{challenge_id}\x00{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def binding_digest(key, browser_secret, transaction):
    """What ties a challenge to the browser (a secret in its session) and to the login
    transaction that asked for it."""
    message = f"bawaba-otp-binding\x00{browser_secret}\x00{transaction or ''}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def number_key(key, msisdn):
    """The send counter key of a mobile number (the number itself is not needed to count)."""
    return hmac.new(key, f"bawaba-otp-number\x00{msisdn}".encode(), hashlib.sha256).hexdigest()


def decoy_key(key, national_id):
    """The send counter key of a decoy challenge: unknown IDs are counted like numbers, so
    the limits answer the same whether the ID exists or not."""
    message = f"bawaba-otp-decoy\x00{national_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def normalise_code(value):
    """The digits a person typed: spaces dropped, Arabic-Indic digits read as digits.
    Anything else gives None (counted as a wrong code)."""
    if not isinstance(value, str):
        return None
    arabic = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
    cleaned = "".join(value.translate(arabic).split())
    if len(cleaned) != DIGITS or not set(cleaned) <= CODE_CHARS:
        return None
    return cleaned


def expiry(now, policy):
    return now + timedelta(seconds=policy.lifetime)


def resend_wait(last_sent_at, now, policy):
    """Seconds until a new code may be sent (0: now)."""
    remaining = policy.resend_after - (now - last_sent_at).total_seconds()
    return max(0, math.ceil(remaining))


def window_start(now, policy):
    return now - timedelta(seconds=policy.send_window)


def check_send_allowed(sends_to_number, sends_from_address, policy):
    """Before any code is made: the address limit, then the number limit."""
    if sends_from_address >= policy.sends_per_address:
        raise AddressThrottledError()
    if sends_to_number >= policy.sends_per_number:
        raise NumberThrottledError()


def check_code(challenge, binding, code, key, now, policy):
    """Raise the reason `code` is not accepted for `challenge`, in order; return None when
    it is. The caller counts the try (`tries`) whenever WrongCodeError is raised."""
    if challenge is None or not hmac.compare_digest(challenge.binding, binding):
        raise NoChallengeError()
    if challenge.used_at is not None:
        raise CodeUsedError()
    if challenge.tries >= policy.max_tries:
        raise TooManyTriesError()
    if now >= challenge.expires_at:
        raise CodeExpiredError()
    typed = normalise_code(code)
    expected = challenge.code_digest
    actual = code_digest(key, challenge.public_id, typed or "")
    if typed is None or not hmac.compare_digest(expected, actual):
        raise WrongCodeError(policy.max_tries - challenge.tries - 1)


def locks_account(consecutive_failures, policy):
    """True when this many consecutive failures lock the account."""
    return consecutive_failures >= policy.max_failures


def new_challenge_id():
    return secrets.token_urlsafe(18)
