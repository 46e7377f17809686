"""The chamber of commerce interface and the records it returns.

The chamber knows establishments by their commercial-registration (CR) number, who owns
them, and the authorisation letters it certified. A certified letter is a document the
chamber signed with its key (``letters.py``): an owner authorises an agent (by national
ID) to act for the establishment in named services, from one date to another. The
provider verifies the signature against the chamber's published keys and that the letter
is on the chamber's record and not withdrawn; a letter failing either is refused with the
reason (``errors.py``)."""

import abc
import enum
import re
from dataclasses import dataclass
from datetime import date
from datetime import datetime

from connectors.errors import InvalidDataError

CONNECTOR = "chamber"
CR_NUMBER = re.compile(r"\d{7,10}")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class EstablishmentStatus(enum.Enum):
    """The chamber's registration status codes."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    STRUCK_OFF = "struck_off"


class LetterStatus(enum.Enum):
    """Where a certified letter stands on the chamber's record."""

    VALID = "valid"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Establishment:
    cr_number: str
    name: str
    name_ar: str
    status: EstablishmentStatus


@dataclass(frozen=True)
class CertifiedLetter:
    """A verified letter: what it says, and which chamber key certified it."""

    number: str
    cr_number: str
    establishment_name: str
    owner_national_id: str
    agent_national_id: str
    permissions: tuple[str, ...]
    valid_from: date
    valid_until: date
    certified_at: datetime
    key_id: str
    digest: str  # SHA-256 of the document, hex


class Chamber(abc.ABC):
    """Asks the chamber of commerce about establishments, owners and letters."""

    @abc.abstractmethod
    def establishment(self, cr_number: str) -> Establishment | None:
        """The establishment with this CR number, or ``None``. Raises
        ``InvalidDataError`` for a malformed number, ``UnavailableError``,
        ``ThrottledError``."""

    @abc.abstractmethod
    def is_owner(self, cr_number: str, national_id: str) -> bool:
        """True when the person is an owner of the establishment on record."""

    @abc.abstractmethod
    def verify_letter(self, document: str) -> CertifiedLetter:
        """Check a certified letter: the chamber's signature, then the chamber's record
        (known, not withdrawn, the same document). Raises a ``LetterRejectedError``
        subclass naming the reason (errors.py), or the transport errors."""

    def close(self) -> None:
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def normalise_cr_number(value: object) -> str:
    """Digits only (Arabic-Indic digits, spaces and hyphens accepted); 7 to 10 of them."""
    if not isinstance(value, str):
        raise InvalidDataError("CR number missing", connector=CONNECTOR, field="cr_number")
    cleaned = re.sub(r"[\s\-]", "", value.translate(_DIGITS))
    if not CR_NUMBER.fullmatch(cleaned):
        raise InvalidDataError("CR number must be 7 to 10 digits", connector=CONNECTOR,
                               field="cr_number")
    return cleaned


def parse_establishment(record: object) -> Establishment:
    """Validate an establishment record (the shape in ``establishments.json``)."""
    if not isinstance(record, dict):
        raise InvalidDataError("establishment record is not an object", connector=CONNECTOR)
    try:
        status = EstablishmentStatus(record.get("status"))
    except ValueError:
        raise InvalidDataError("establishment status unknown", connector=CONNECTOR,
                               field="status") from None
    names = [record.get(k) for k in ("name", "name_ar")]
    if not all(isinstance(n, str) and n.strip() and len(n) <= 200 for n in names):
        raise InvalidDataError("establishment name missing or too long", connector=CONNECTOR,
                               field="name")
    cr_number = record.get("cr_number")
    if not isinstance(cr_number, str) or not CR_NUMBER.fullmatch(cr_number):
        raise InvalidDataError("establishment CR number malformed", connector=CONNECTOR,
                               field="cr_number")
    return Establishment(cr_number, names[0].strip(), names[1].strip(), status)
