"""Mobile numbers (MSISDNs) in E.164 form (ITU-T E.164; formats via ``phonenumbers``).

:func:`normalise_msisdn` accepts what people and registries write
(``+968 9123 4567``, ``0096891234567``, ``91234567`` with a default region,
Arabic-Indic digits) and returns ``+96891234567``, or raises
:class:`~connectors.errors.InvalidMsisdnError`. Only numbers that can receive an
SMS are accepted: mobile numbers, and numbers whose type cannot be told from
the number alone (``FIXED_LINE_OR_MOBILE``).
"""

import phonenumbers

from connectors.errors import InvalidMsisdnError

DEFAULT_REGION = "OM"

SMS_CAPABLE_TYPES = frozenset({
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
})

MAX_INPUT_LENGTH = 32


def normalise_msisdn(value: object, *, default_region: str | None = DEFAULT_REGION,
                     field: str = "msisdn", connector: str | None = None) -> str:
    """Return ``value`` as an E.164 mobile number (``+`` and digits only).

    ``default_region`` (ISO 3166-1 alpha-2) is used for numbers written without a
    country code; ``None`` requires an international number. ``field`` and
    ``connector`` are copied into the error, so the caller can tell which value
    was wrong.
    """
    def invalid(reason: str) -> InvalidMsisdnError:
        return InvalidMsisdnError(f"{field}: {reason}", connector=connector, field=field)

    if not isinstance(value, str) or not value.strip():
        raise invalid("missing telephone number")
    if len(value) > MAX_INPUT_LENGTH:
        raise invalid("telephone number too long")
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        raise invalid("not a telephone number") from None
    if number.extension:
        raise invalid("telephone number has an extension")
    if not phonenumbers.is_valid_number(number):
        raise invalid("not a valid telephone number")
    if phonenumbers.number_type(number) not in SMS_CAPABLE_TYPES:
        raise invalid("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
