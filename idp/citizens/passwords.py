"""Citizens' passwords: the rules of NIST SP 800-63B-4 §3.1.1.2 and argon2id hashing.

Rules, checked in this order, one exception per reason:
- the password is normalised to NFKC (§3.1.1.2: Unicode normalisation before hashing);
  every Unicode character is allowed, spaces included, and counts once;
- at least `min_length` characters (IDP_PASSWORD_MIN_LENGTH, 12 by default, never below
  the 8 that §3.1.1.2 requires of a password used in multi-factor authentication; 12
  because this password guards access to every government service) and at most
  MAX_LENGTH (128; §3.1.1.2 asks for at least 64);
- no composition rules (no "one digit, one capital");
- not a common or breached password: the list in common-passwords.txt.gz (19,640 entries,
  see common-passwords.LICENSE), compared case-insensitively, also after removing up to
  four trailing digits or symbols (`Password1234!`) and when it is one such password
  repeated (`qwertyqwerty`);
- not repetitive or sequential characters only (`aaaaaaaaaaaa`, `123456789012`);
- not the national ID, and not containing it.

Hashing is argon2id (RFC 9106) with argon2-cffi's defaults (RFC 9106 second recommended
option); `verify_password` reports when a hash should be upgraded."""

import gzip
import re
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError

COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")
MIN_LENGTH = 12
NIST_MIN_LENGTH = 8
MAX_LENGTH = 128
TRAILING = re.compile(r"[\W\d_]{1,4}$")

_hasher = PasswordHasher()


class PasswordRejectedError(ValueError):
    """Base of the reasons a chosen password is refused."""


class PasswordTooShortError(PasswordRejectedError):
    def __init__(self, minimum):
        super().__init__(f"shorter than {minimum} characters")
        self.minimum = minimum


class PasswordTooLongError(PasswordRejectedError):
    def __init__(self, maximum):
        super().__init__(f"longer than {maximum} characters")
        self.maximum = maximum


class PasswordCommonError(PasswordRejectedError):
    """A common or breached password, or one made from it."""


class PasswordRepetitiveError(PasswordRejectedError):
    """Only repeated or sequential characters."""


class PasswordHasIdError(PasswordRejectedError):
    """The national ID, or a password containing it."""


class PasswordMismatchError(PasswordRejectedError):
    """The two entries differ."""


def normalise(password):
    return unicodedata.normalize("NFKC", password)


@cache
def common_passwords():
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def check_password(password, confirmation, *, national_id, min_length=MIN_LENGTH):
    """Return the normalised password, or raise the reason it is refused."""
    if not isinstance(password, str) or not isinstance(confirmation, str):
        raise PasswordTooShortError(min_length)
    password = normalise(password)
    if len(password) < max(min_length, NIST_MIN_LENGTH):
        raise PasswordTooShortError(max(min_length, NIST_MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise PasswordTooLongError(MAX_LENGTH)
    if normalise(confirmation) != password:
        raise PasswordMismatchError("the two entries differ")
    if _is_common(password):
        raise PasswordCommonError("a common password")
    if _is_repetitive(password):
        raise PasswordRepetitiveError("repeated or sequential characters")
    if national_id and national_id in password:
        raise PasswordHasIdError("contains the national ID")
    return password


def _is_common(password):
    folded = password.casefold()
    common = common_passwords()
    candidates = {folded, folded.strip(), TRAILING.sub("", folded)}
    for text in list(candidates):
        for size in range(1, len(text) // 2 + 1):
            if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
                candidates.add(text[:size])
                break
    return any(c in common for c in candidates if c)


def _is_repetitive(password):
    if len(set(password)) <= 2:
        return True
    steps = {ord(b) - ord(a) for a, b in zip(password, password[1:], strict=False)}
    return steps <= {1} or steps <= {-1} or steps <= {0, 1} or steps <= {0, -1}


def hash_password(password):
    """The argon2id hash of an already checked (normalised) password."""
    return _hasher.hash(password)


def verify_password(stored_hash, password):
    """(matches, needs_rehash). A malformed stored hash never matches."""
    try:
        _hasher.verify(stored_hash, normalise(password))
    except (VerificationError, InvalidHashError):
        return False, False
    return True, _hasher.check_needs_rehash(stored_hash)


@cache
def _dummy_hash():
    return _hasher.hash("not a password anyone has")


def verify_nothing(password):
    """The same work as `verify_password`, for an unknown ID: same answer time."""
    verify_password(_dummy_hash(), password if isinstance(password, str) else "")
    return False
