"""The civil registry interface and the person record it returns.

``lookup(national_id, date_of_birth)`` answers a :class:`Person` only when both
match a record; an unknown ID and a wrong date of birth both give ``None`` (the
registry offers no way to enumerate identities). Records are validated when they
arrive: a registry record that is malformed (a mobile number that is not a valid
E.164 mobile number, an unknown gender code, ...) raises
:class:`~connectors.errors.InvalidDataError` (``InvalidMsisdnError`` for the
mobile number) naming the field, instead of reaching the login flow half-checked.
"""

import abc
import enum
import re
from dataclasses import dataclass
from datetime import date
from datetime import datetime

from connectors.errors import InvalidDataError
from connectors.msisdn import normalise_msisdn

CONNECTOR = "civil_registry"
NATIONAL_ID = re.compile(r"\d{6,12}")
MAX_NAME = 200
# Arabic-Indic and Extended Arabic-Indic digits, as typed on Arabic keyboards.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class Gender(enum.Enum):
    """Registry gender codes; the values are also OpenID Connect ``gender`` values."""

    FEMALE = "female"
    MALE = "male"


class MaritalStatus(enum.Enum):
    """Registry marital status codes."""

    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"


@dataclass(frozen=True)
class Name:
    """A name in one language: given name, family name, and the full name as written."""

    given: str
    family: str
    full: str


@dataclass(frozen=True)
class Person:
    """A registry record, validated.

    ``nationality`` is an ISO 3166-1 alpha-2 code; ``mobile`` is in E.164 form.
    """

    national_id: str
    name_ar: Name
    name_en: Name
    birthdate: date
    gender: Gender
    nationality: str
    mobile: str
    marital_status: MaritalStatus


class CivilRegistry(abc.ABC):
    """Looks people up in the civil registry."""

    @abc.abstractmethod
    def lookup(self, national_id: str, date_of_birth: date) -> Person | None:
        """The person with this national ID *and* date of birth, or ``None``.

        ``national_id`` is normalised first (:func:`normalise_national_id`).
        Raises ``UnavailableError`` (down, timed out, bad credentials as
        ``CredentialsRejectedError``), ``ThrottledError``, and ``InvalidDataError``
        for malformed input or a malformed record.
        """

    def close(self) -> None:
        """Release connections."""
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def normalise_national_id(value: object) -> str:
    """Digits only (Arabic-Indic digits, spaces and hyphens accepted); 6 to 12 of them."""
    if not isinstance(value, str):
        raise InvalidDataError("national ID missing", connector=CONNECTOR, field="national_id")
    cleaned = re.sub(r"[\s\-]", "", value.translate(_DIGITS))
    if not NATIONAL_ID.fullmatch(cleaned):
        raise InvalidDataError("national ID must be 6 to 12 digits", connector=CONNECTOR,
                               field="national_id")
    return cleaned


def check_date_of_birth(value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidDataError("date of birth must be a date", connector=CONNECTOR,
                               field="date_of_birth")
    return value


def _invalid(field: str, reason: str) -> InvalidDataError:
    return InvalidDataError(f"registry record: {field} {reason}", connector=CONNECTOR,
                            field=field)


def _name(record: dict, field: str) -> Name:
    value = record.get(field)
    if not isinstance(value, dict):
        raise _invalid(field, "missing")
    parts = []
    for part in ("given", "family", "full"):
        text = value.get(part)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_NAME:
            raise _invalid(f"{field}.{part}", "missing or too long")
        parts.append(text.strip())
    return Name(*parts)


def _enum(record: dict, field: str, kind: type[enum.Enum]):
    try:
        return kind(record.get(field))
    except ValueError:
        raise _invalid(field, "has an unknown code") from None


def parse_person(record: object) -> Person:
    """Validate a registry record (the JSON shape in ``citizens.json``) into a Person."""
    if not isinstance(record, dict):
        raise _invalid("record", "is not an object")
    national_id = record.get("national_id")
    if not isinstance(national_id, str) or not NATIONAL_ID.fullmatch(national_id):
        raise _invalid("national_id", "is malformed")
    try:
        birthdate = date.fromisoformat(record.get("date_of_birth"))
    except (TypeError, ValueError):
        raise _invalid("date_of_birth", "is not an ISO 8601 date") from None
    nationality = record.get("nationality")
    if not isinstance(nationality, str) or not re.fullmatch(r"[A-Z]{2}", nationality):
        raise _invalid("nationality", "is not an ISO 3166-1 alpha-2 code")
    mobile = normalise_msisdn(record.get("mobile"), default_region=None, field="mobile",
                              connector=CONNECTOR)
    return Person(
        national_id=national_id, name_ar=_name(record, "name_ar"),
        name_en=_name(record, "name_en"), birthdate=birthdate,
        gender=_enum(record, "gender", Gender), nationality=nationality, mobile=mobile,
        marital_status=_enum(record, "marital_status", MaritalStatus))
