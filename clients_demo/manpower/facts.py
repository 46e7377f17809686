"""The facts a licence decision needs, each behind a small interface chosen by
configuration: marital status from the civil registry (the `connectors.civil_registry`
client) and monthly income from the social insurance / pension fund (the
`connectors.social_insurance` client), each pointed at its simulator in development. When a
source is missing or down the application cannot be decided: FactsUnavailableError names
the source, and the page says so.

- MANPOWER_REGISTRY: `connector` (default; `CIVIL_REGISTRY_*` settings) or `absent`.
- MANPOWER_INCOME: `connector` (default; `SOCIAL_INSURANCE_*` settings) or `absent`.
"""

from datetime import date
from decimal import Decimal

CIVIL_REGISTRY = "civil_registry"
SOCIAL_INSURANCE = "social_insurance"


class FactsUnavailableError(Exception):
    """A source of facts cannot be used now (absent, not configured, down, throttled)."""

    def __init__(self, source, detail=""):
        super().__init__(f"{source}: {detail}")
        self.source = source


class PersonNotFoundError(Exception):
    """The registry knows no person with this national ID and date of birth."""


class InvalidFactsError(Exception):
    """The national ID or the record is malformed."""


class CivilRegistryFacts:
    def __init__(self, settings):
        self.settings = settings

    def marital_status(self, national_id, birthdate):
        try:
            from connectors.civil_registry import civil_registry_from_settings
            from connectors.errors import ConnectorError
            from connectors.errors import InvalidDataError
        except ImportError:
            raise FactsUnavailableError(CIVIL_REGISTRY, "connector missing") from None
        try:
            registry = civil_registry_from_settings(self.settings)
            person = registry.lookup(national_id, birthdate)
        except InvalidDataError as error:
            raise InvalidFactsError(str(error)) from None
        except ConnectorError as error:  # unavailable, throttled, refused, misconfigured
            raise FactsUnavailableError(CIVIL_REGISTRY, type(error).__name__) from None
        if person is None:
            raise PersonNotFoundError(national_id)
        return person.marital_status.value


class SocialInsuranceFacts:
    """The insured income or pension on record; a person the fund has no record of has
    no insured income (0.000)."""

    def __init__(self, settings):
        self.settings = settings

    def monthly_income(self, national_id):
        try:
            from connectors.errors import ConnectorError
            from connectors.social_insurance import InsuredPersonNotFoundError
            from connectors.social_insurance import social_insurance_from_settings
        except ImportError:
            raise FactsUnavailableError(SOCIAL_INSURANCE, "connector missing") from None
        try:
            with social_insurance_from_settings(self.settings) as fund:
                return fund.insured_income(national_id).monthly_amount
        except InsuredPersonNotFoundError:
            return Decimal("0.000")
        except ConnectorError as error:  # unavailable, throttled, malformed, misconfigured
            raise FactsUnavailableError(SOCIAL_INSURANCE, type(error).__name__) from None


class AbsentFacts:
    def __init__(self, source):
        self.source = source

    def marital_status(self, national_id, birthdate):
        raise FactsUnavailableError(self.source, "not configured")

    def monthly_income(self, national_id):
        raise FactsUnavailableError(self.source, "not configured")


def registry_from_config(config):
    if config.get("MANPOWER_REGISTRY", "connector") == "absent":
        return AbsentFacts(CIVIL_REGISTRY)
    return CivilRegistryFacts(config)


def income_from_config(config):
    if config.get("MANPOWER_INCOME", "connector") == "absent":
        return AbsentFacts(SOCIAL_INSURANCE)
    return SocialInsuranceFacts(config)


def parse_birthdate(value):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None
