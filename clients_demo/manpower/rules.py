"""The licence rules for recruiting a household worker, decided from facts alone (no
documents): the applicant is or has been married, and earns at least the minimum monthly
income (salary or pension insured with the social insurance fund; none on record is
0.000). Returns the reasons for a refusal, in English (translated on the page)."""

from decimal import Decimal

ELIGIBLE_STATUSES = ("married", "widowed", "divorced")


def decide(marital_status, monthly_income, minimum_income):
    reasons = []
    if marital_status not in ELIGIBLE_STATUSES:
        reasons.append("The applicant must be married, widowed or divorced.")
    if monthly_income <= 0:
        reasons.append("The social insurance fund has no insured income or pension on record "
                       "for the applicant.")
    elif monthly_income < Decimal(minimum_income):
        reasons.append("The monthly income is below the minimum for this licence.")
    return not reasons, reasons
