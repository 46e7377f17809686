"""Why a certified letter is refused: one exception per reason, each a
``RejectedError`` with ``code`` naming it."""

from connectors.errors import RejectedError

from .chamber import CONNECTOR


class LetterRejectedError(RejectedError):
    code_name = "letter_rejected"

    def __init__(self, message: str):
        super().__init__(message, connector=CONNECTOR, code=self.code_name)


class LetterMalformedError(LetterRejectedError):
    """Not a certified letter at all: not a JWS, wrong type, missing or malformed fields."""

    code_name = "letter_malformed"


class LetterSignatureError(LetterRejectedError):
    """The signature does not verify under the named chamber key (tampered or forged)."""

    code_name = "letter_signature"


class LetterUnknownKeyError(LetterRejectedError):
    """Signed under a key the chamber does not publish (forged)."""

    code_name = "letter_unknown_key"


class LetterNotOnRecordError(LetterRejectedError):
    """Correctly signed, but the chamber has no letter with this number."""

    code_name = "letter_not_on_record"


class LetterWithdrawnError(LetterRejectedError):
    """The chamber withdrew the letter."""

    code_name = "letter_withdrawn"


class LetterMismatchError(LetterRejectedError):
    """The chamber's record of this letter number is another document."""

    code_name = "letter_mismatch"
