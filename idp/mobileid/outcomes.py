"""Why a Mobile ID request ended, and what the person reads for each reason.

Reason codes are the connector's outcomes (connectors.mssp.Outcome values), the PKI core's
error codes (idp.pki.errors) and those of verification.py, plus ``cancelled`` (on the login
page), ``citizen_unknown`` and ``account_locked``. Following the login-failure rule, a
number that is not a Mobile ID customer, a SIM without a Mobile ID key, a certificate of
another national ID, an unknown citizen and a locked account all read the same."""

from flask_babel import lazy_gettext as _l

GENERIC = _l("We could not log you in with Mobile ID. Check your national ID number and "
             "mobile number, and that your SIM has Mobile ID. If you have not registered with "
             "Bawaba yet, register first.")
UNAVAILABLE = _l("Mobile ID is not available right now. Try again in a few minutes, or "
                 "choose another way to log in.")
NOT_VERIFIED = _l("The answer from your mobile operator could not be verified. Try again.")
NOT_FOR_LOGIN = _l("The certificate on your SIM cannot be used to log in with Mobile ID. "
                   "Contact your mobile operator.")
REVOKED = _l("Your Mobile ID certificate has been revoked or suspended. Contact your mobile "
             "operator.")
TRY_AGAIN = _l("This login attempt is no longer valid. Try again.")

# Reason -> (what the person reads, HTTP status of a page that says it).
MESSAGES = {
    "cancelled": (_l("You cancelled the login. If your phone still shows the request, "
                     "decline it there."), 200),
    "user_cancelled": (_l("You declined the request on your phone."), 401),
    "pin_blocked": (_l("Your Mobile ID PIN is blocked. Contact your mobile operator to "
                       "unblock it."), 403),
    "card_blocked": (_l("Mobile ID on your SIM is blocked. Contact your mobile operator."),
                     403),
    "signature_failed": (_l("Your phone could not sign the request. Try again."), 401),
    "expired": (_l("The request on your phone was not confirmed in time. Try again."), 401),
    "phone_unreachable": (_l("We could not reach your phone. Check that it is switched on "
                             "and has signal, then try again."), 503),
    "not_a_customer": (GENERIC, 401),
    "no_key": (GENERIC, 401),
    "national_id_mismatch": (GENERIC, 401),
    "citizen_unknown": (GENERIC, 401),
    "account_locked": (GENERIC, 401),
    "mssp_unavailable": (UNAVAILABLE, 503),
    "malformed_answer": (UNAVAILABLE, 503),
    "unknown_client": (UNAVAILABLE, 503),
    "bad_request": (UNAVAILABLE, 503),
    "hierarchy_missing": (UNAVAILABLE, 503),
    "data_mismatch": (NOT_VERIFIED, 401),
    "signature_invalid": (NOT_VERIFIED, 401),
    "unsupported_algorithm": (NOT_FOR_LOGIN, 401),
    "certificate_malformed": (NOT_VERIFIED, 401),
    "certificate_revoked": (REVOKED, 401),
    "certificate_on_hold": (REVOKED, 401),
    "certificate_expired": (_l("Your Mobile ID certificate has expired. Contact your mobile "
                               "operator."), 401),
    "certificate_not_yet_valid": (_l("Your Mobile ID certificate is not valid yet. Try again "
                                     "later."), 401),
    "certificate_untrusted": (NOT_FOR_LOGIN, 401),
    "chain_too_long": (NOT_FOR_LOGIN, 401),
    "wrong_purpose": (NOT_FOR_LOGIN, 401),
    "wrong_policy": (NOT_FOR_LOGIN, 401),
    "weak_certificate_key": (NOT_FOR_LOGIN, 401),
    "revocation_unknown": (_l("We cannot check your Mobile ID certificate right now. Try "
                              "again in a few minutes."), 503),
    "request_unknown": (TRY_AGAIN, 400),
}


def message_for(reason):
    return MESSAGES.get(reason, (NOT_VERIFIED, 401))[0]


def status_for(reason):
    return MESSAGES.get(reason, (NOT_VERIFIED, 401))[1]
