"""The social insurance interface and the record it returns.

The social insurance (pension) fund knows, for every insured person, the monthly income
contributions are paid on (a salary, with the employer paying it) or the pension the fund
pays, and the date that figure stands at. ``insured_income(national_id)`` answers an
:class:`InsuredIncome`; a person the fund has no record of raises
:class:`InsuredPersonNotFoundError`. Records are validated when they arrive: a malformed
one raises :class:`~connectors.errors.InvalidDataError` naming the field."""

import abc
import enum
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation

from connectors.errors import InvalidDataError
from connectors.errors import NotFoundError

CONNECTOR = "social_insurance"
NATIONAL_ID = re.compile(r"\d{6,12}")
AMOUNT = re.compile(r"\d{1,9}(\.\d{1,3})?")
CURRENCY = re.compile(r"[A-Z]{3}")
MAX_NAME = 200
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class IncomeKind(enum.Enum):
    """What the monthly amount is: a salary contributions are paid on, or a pension."""

    SALARY = "salary"
    PENSION = "pension"


@dataclass(frozen=True)
class InsuredIncome:
    """An insured person's monthly income as the fund records it. ``monthly_amount`` has
    three decimals (baisa); ``currency`` is ISO 4217; ``employer`` is who pays it (the
    fund itself for a pension)."""

    national_id: str
    kind: IncomeKind
    employer: str
    employer_ar: str
    monthly_amount: Decimal
    currency: str
    as_of: date


class InsuredPersonNotFoundError(NotFoundError):
    """The fund has no insured person with this national ID."""

    def __init__(self, message: str = "no insured person with this national ID"):
        super().__init__(message, connector=CONNECTOR, code="not_found")


class SocialInsurance(abc.ABC):
    """Asks the social insurance fund about insured people."""

    @abc.abstractmethod
    def insured_income(self, national_id: str) -> InsuredIncome:
        """The person's monthly insured income or pension. Raises
        :class:`InsuredPersonNotFoundError` for a person without a record,
        ``InvalidDataError`` for a malformed ID or record, ``UnavailableError`` (bad
        credentials as ``CredentialsRejectedError``) and ``ThrottledError``."""

    def monthly_income(self, national_id: str) -> Decimal:
        """Only the amount of :meth:`insured_income`."""
        return self.insured_income(national_id).monthly_amount

    def close(self) -> None:
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


def _invalid(field: str, reason: str) -> InvalidDataError:
    return InvalidDataError(f"social insurance record: {field} {reason}", connector=CONNECTOR,
                            field=field)


def parse_income(record: object) -> InsuredIncome:
    """Validate an income record (the wire shape, as in ``insured.json``)."""
    if not isinstance(record, dict):
        raise _invalid("income", "is not an object")
    national_id = record.get("national_id")
    if not isinstance(national_id, str) or not NATIONAL_ID.fullmatch(national_id):
        raise _invalid("national_id", "malformed")
    try:
        kind = IncomeKind(record.get("kind"))
    except ValueError:
        raise _invalid("kind", "unknown") from None
    names = [record.get(key) for key in ("employer", "employer_ar")]
    if not all(isinstance(n, str) and n.strip() and len(n) <= MAX_NAME for n in names):
        raise _invalid("employer", "missing or too long")
    amount = record.get("monthly_amount")
    if not isinstance(amount, str) or not AMOUNT.fullmatch(amount):
        raise _invalid("monthly_amount", "must be a decimal text with at most 3 decimals")
    currency = record.get("currency")
    if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
        raise _invalid("currency", "must be an ISO 4217 code")
    try:
        as_of = date.fromisoformat(record.get("as_of"))
        monthly_amount = Decimal(amount).quantize(Decimal("0.001"))
    except (TypeError, ValueError, InvalidOperation):
        raise _invalid("as_of", "must be YYYY-MM-DD") from None
    return InsuredIncome(national_id, kind, names[0].strip(), names[1].strip(),
                         monthly_amount, currency, as_of)
