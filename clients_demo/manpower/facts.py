"""The facts a licence decision needs, each behind a small interface chosen by
configuration: marital status from the civil registry (the `connectors.civil_registry`
client, pointed at its simulator in development) and monthly income from the social
insurance / pension system. When a source is missing or down the application cannot be
decided: FactsUnavailableError names the source, and the page says so.

- MANPOWER_REGISTRY: `connector` (default; `CIVIL_REGISTRY_*` settings) or `absent`.
- MANPOWER_INCOME: `connector` (default; `connectors.social_insurance` once it exists),
  `memory` (MANPOWER_INCOMES: national ID -> monthly income) or `absent`.
"""

import importlib
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation

CIVIL_REGISTRY = "civil_registry"
SOCIAL_INSURANCE = "social_insurance"

# Development incomes (OMR a month) for the civil registry simulator's test identities,
# used with MANPOWER_INCOME = "memory" until the social insurance simulator exists.
DEMO_INCOMES = {
    "10293847": "950.000", "10384756": "620.000", "10475869": "1200.000",
    "10567890": "300.000", "10658321": "780.000", "10749512": "510.000",
    "10831604": "350.000", "20456789": "880.000",
}


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
    """The social insurance connector, expected as `connectors.social_insurance` with
    `social_insurance_from_settings(settings).monthly_income(national_id)`."""

    def __init__(self, settings):
        self.settings = settings

    def monthly_income(self, national_id):
        try:
            module = importlib.import_module("connectors.social_insurance")
            from connectors.errors import ConnectorError
        except ImportError:
            raise FactsUnavailableError(SOCIAL_INSURANCE, "connector missing") from None
        try:
            source = module.social_insurance_from_settings(self.settings)
            return Decimal(str(source.monthly_income(national_id)))
        except (ConnectorError, AttributeError, InvalidOperation) as error:
            raise FactsUnavailableError(SOCIAL_INSURANCE, type(error).__name__) from None


class MemoryIncomeFacts:
    def __init__(self, incomes):
        self.incomes = {k: Decimal(v) for k, v in incomes.items()}

    def monthly_income(self, national_id):
        return self.incomes.get(national_id, Decimal("0.000"))


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
    choice = config.get("MANPOWER_INCOME", "connector")
    if choice == "memory":
        return MemoryIncomeFacts(config.get("MANPOWER_INCOMES") or DEMO_INCOMES)
    if choice == "absent":
        return AbsentFacts(SOCIAL_INSURANCE)
    return SocialInsuranceFacts(config)


def parse_birthdate(value):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None
