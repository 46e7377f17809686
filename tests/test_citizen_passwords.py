"""Citizens' passwords (idp/citizens/passwords.py): NIST SP 800-63B rules, the common
password list, argon2id hashing."""

import pytest

from idp.citizens import passwords
from idp.citizens.passwords import check_password

ID = "10293847"


def choose(password, confirmation=None, min_length=12):
    return check_password(password, password if confirmation is None else confirmation,
                          national_id=ID, min_length=min_length)


@pytest.mark.parametrize("password", [
    "correct horse battery staple",  # spaces allowed, no composition rules
    "كلمة سر طويلة جداً",  # Arabic
    "ninechars",  # with a lower configured minimum, below
    "tuesday lemon kite",
    "Ω≈ç√∫˜µ≤≥÷ñ",
    "plain lowercase words",
    "r7 fresh apricots",
])
def test_accepted(password):
    minimum = 9 if password == "ninechars" else 12
    assert choose(password, min_length=minimum) == passwords.normalise(password)


def test_length_counts_characters_after_normalisation():
    with pytest.raises(passwords.PasswordTooShortError) as raised:
        choose("short words")  # 11
    assert raised.value.minimum == 12
    assert choose("twelve chars") == "twelve chars"
    assert choose("ﬁﬁﬁ lemon tree") == "fififi lemon tree"  # NFKC: each ligature is two
    assert choose("x" * 10 + " lemon tree" * 10 + "y" * 8)  # 128 characters
    with pytest.raises(passwords.PasswordTooLongError):
        choose("x" * 10 + " lemon tree" * 10 + "y" * 9)
    with pytest.raises(passwords.PasswordTooShortError) as raised:
        check_password("seven77", "seven77", national_id=ID, min_length=4)
    assert raised.value.minimum == 8  # never below the NIST minimum


@pytest.mark.parametrize("password", [
    "password1234", "Password1234!", "qwertyuiop12", "iloveyou2024", "1q2w3e4r5t6y",
    "qwertyqwerty", "PASSWORDPASSWORD", "trustno1trustno1", "  password1234  ",
])
def test_common_passwords_and_their_easy_variants_are_refused(password):
    with pytest.raises(passwords.PasswordCommonError):
        choose(password)


@pytest.mark.parametrize("password", [
    "aaaaaaaaaaaa", "abababababab", "123456789012", "abcdefghijklm", "zyxwvutsrqpo",
    "aabbccddeeff",
])
def test_repetitive_or_sequential_passwords_are_refused(password):
    with pytest.raises((passwords.PasswordRepetitiveError, passwords.PasswordCommonError)):
        choose(password)


def test_the_national_id_is_refused():
    with pytest.raises(passwords.PasswordHasIdError):
        choose("my id 10293847!")
    with pytest.raises((passwords.PasswordHasIdError, passwords.PasswordRepetitiveError,
                        passwords.PasswordCommonError)):
        check_password("10293847", "10293847", national_id=ID, min_length=8)


def test_the_two_entries_must_match():
    with pytest.raises(passwords.PasswordMismatchError):
        choose("tuesday lemon kite", "tuesday lemon kit")
    assert choose("ﬁne lemon tree", "fine lemon tree") == "fine lemon tree"


def test_the_list_is_shipped_and_readable():
    common = passwords.common_passwords()
    assert len(common) > 19_000
    assert {"password", "123456", "qwerty"} <= common


def test_argon2id_hashes_verify_and_never_hold_the_password():
    stored = passwords.hash_password("tuesday lemon kite")
    assert stored.startswith("$argon2id$") and "lemon" not in stored
    assert passwords.verify_password(stored, "tuesday lemon kite") == (True, False)
    assert passwords.verify_password(stored, "tuesday lemon kitE") == (False, False)
    assert passwords.verify_password("not a hash", "tuesday lemon kite") == (False, False)
    assert passwords.verify_nothing("anything") is False
    assert passwords.verify_nothing(None) is False


def test_an_old_hash_is_upgraded():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("lemon tree kite")
    assert passwords.verify_password(weak, "lemon tree kite") == (True, True)
