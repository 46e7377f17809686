"""Social insurance (pension fund) connector: interface, HTTP client, in-memory fake,
simulator.

Typical use::

    from connectors.social_insurance import social_insurance_from_settings

    fund = social_insurance_from_settings(app.config)    # SOCIAL_INSURANCE_* keys
    income = fund.insured_income("10293847")             # InsuredIncome, or
                                                         # InsuredPersonNotFoundError
    income.monthly_amount, income.currency, income.employer, income.as_of

See ``connectors.social_insurance.insurance`` and ``docs/connectors.md``.
"""

from connectors.social_insurance.factory import social_insurance_from_settings
from connectors.social_insurance.insurance import IncomeKind
from connectors.social_insurance.insurance import InsuredIncome
from connectors.social_insurance.insurance import InsuredPersonNotFoundError
from connectors.social_insurance.insurance import SocialInsurance
from connectors.social_insurance.insurance import normalise_national_id

__all__ = ["IncomeKind", "InsuredIncome", "InsuredPersonNotFoundError", "SocialInsurance",
           "normalise_national_id", "social_insurance_from_settings"]
