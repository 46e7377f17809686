"""How a certificate login ends, for the ID card page and the TLS client-certificate
alternative alike: the citizen found by the national ID in the certificate's
serialNumber, the card linked to the account at its first login, the evidence recorded
and the session started; or a refusal with a message in the person's language, an audit
row and no session.

Audit events: `login` failure (reason = the error code of idp.pki.errors or of this module,
with the certificate's serial and issuer when the certificate could be read),
`certificate_login` success (serial, issuer, revocation status and source, evidence),
`card_linked`; `login` success comes from the session (idp/sessions.py). Refusals never
tell whether a national ID has an account: an unknown citizen, a locked account and a
card linked to someone else read the same."""

import hashlib
import time

from cryptography.hazmat.primitives.serialization import Encoding
from flask import current_app
from flask import make_response
from flask import render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..authn.assurance import LEVEL_2
from ..authn.result import AuthenticationResult
from ..extensions import db
from ..models.cards import AuthnEvidence
from ..models.cards import LinkedCard
from ..models.cards import find_account_by_national_id
from ..models.cards import find_linked_card
from ..models.clients import find_client
from ..oauth.transactions import get_transaction
from ..pki.ca import serial_text
from ..security_headers import CSP
from .complete import finish_login

AMR = ("sc", "hwk", "pin", "mfa")  # RFC 8176: smart card, hardware key, PIN, multi-factor

TRY_AGAIN = _l("This login attempt is no longer valid. Try again.")
NOT_VERIFIED = _l("The answer from your ID card could not be verified. Try again. If this "
                  "keeps happening, update the Bawaba card agent.")
NOT_FOR_LOGIN = _l("This certificate cannot be used to log in with an ID card.")
GENERIC = _l("We could not log you in with this ID card. If you have not registered with "
             "Bawaba yet, register first. Otherwise contact the help desk.")
UNAVAILABLE = _l("ID card login is not available right now. Try again in a few minutes.")

# Error code -> (what the person reads, HTTP status).
MESSAGES = {
    "challenge_missing": (TRY_AGAIN, 400),
    "challenge_unknown": (TRY_AGAIN, 400),
    "challenge_replayed": (TRY_AGAIN, 400),
    "challenge_other_transaction": (TRY_AGAIN, 400),
    "challenge_wrong_origin": (TRY_AGAIN, 400),
    "challenge_expired": (_l("The login took too long. Try again."), 400),
    "token_malformed": (NOT_VERIFIED, 400),
    "token_field_missing": (NOT_VERIFIED, 400),
    "token_field_invalid": (NOT_VERIFIED, 400),
    "token_format_unsupported": (NOT_VERIFIED, 400),
    "token_base64_invalid": (NOT_VERIFIED, 400),
    "algorithm_not_allowed": (NOT_VERIFIED, 400),
    "algorithm_key_mismatch": (NOT_VERIFIED, 400),
    "certificate_malformed": (NOT_VERIFIED, 400),
    "signature_invalid": (_l("Your ID card's signature could not be verified. Try again."),
                          401),
    "unsupported_algorithm": (NOT_VERIFIED, 400),
    "certificate_expired": (_l("The certificate on your ID card has expired. Renew your ID "
                               "card, or choose another way to log in."), 401),
    "certificate_not_yet_valid": (_l("The certificate on your ID card is not valid yet. Try "
                                     "again later."), 401),
    "certificate_revoked": (_l("The certificate on your ID card has been revoked. Contact "
                               "the office that issued your card."), 401),
    "certificate_on_hold": (_l("The certificate on your ID card is suspended. Contact the "
                               "office that issued your card."), 401),
    "certificate_untrusted": (_l("This card was not issued by an authority Bawaba "
                                 "trusts."), 401),
    "chain_too_long": (_l("This card was not issued by an authority Bawaba trusts."), 401),
    "wrong_purpose": (NOT_FOR_LOGIN, 401),
    "wrong_policy": (NOT_FOR_LOGIN, 401),
    "weak_certificate_key": (NOT_FOR_LOGIN, 401),
    "revocation_unknown": (_l("We cannot check your ID card's status right now. Try again "
                              "in a few minutes."), 503),
    "hierarchy_missing": (UNAVAILABLE, 503),
    "citizen_unknown": (GENERIC, 401),
    "account_locked": (GENERIC, 401),
    "card_linked_elsewhere": (GENERIC, 401),
    "client_certificate_missing": (_l("Your browser did not present a certificate. Insert "
                                      "your ID card, reload the page and choose your card's "
                                      "certificate when the browser asks."), 401),
    "untrusted_proxy": (_l("Logging in with the certificate in your browser is not "
                           "available here."), 403),
}

# What the card agent reports (docs/card-agent.md), as the page shows it. `wrong_pin`
# carries the tries left, which the page puts in place of {tries}.
AGENT_MESSAGES = {
    "agent_not_running": _l("The Bawaba card agent is not running on this computer. Start "
                            "it and try again."),
    "no_reader": _l("No card reader was found. Connect your card reader and try again."),
    "no_card": _l("No ID card was found in the reader. Insert your ID card and try again."),
    "card_removed": _l("The ID card was removed. Insert it and try again."),
    "wrong_pin": _l("The PIN was wrong. Try again."),
    "pin_blocked": _l("Your PIN is blocked. Unblock it with your PUK code, or contact the "
                      "office that issued your card."),
    "user_cancelled": _l("You cancelled the login."),
    "timeout": _l("The PIN was not entered in time. Try again."),
    "busy": _l("The card agent is busy with another login. Finish or cancel it, then try "
               "again."),
    "origin_not_trusted": _l("The card agent does not trust this site. Check that you are "
                             "on the real Bawaba site."),
    "card_error": _l("The ID card could not be used. Take it out, insert it again and try "
                     "again."),
    "failed": _l("Something went wrong. Reload the page and try again."),
    "working": _l("Preparing the login…"),
    "enter_pin": _l("Enter your PIN in the card agent's window. Never type your PIN on this "
                    "page."),
    "signing": _l("Signing with your ID card…"),
    "sending": _l("Checking your ID card…"),
}


class CardLoginError(Exception):
    """A refusal decided here rather than by idp.pki."""

    def __init__(self, code, detail=None):
        super().__init__(detail or code)
        self.code = code


def card_csp():
    """The page's Content-Security-Policy: ours, and the card agent's origin for fetch."""
    return CSP.replace("default-src 'self'", "default-src 'self'; connect-src 'self' "
                       + current_app.config["IDP_CARD_AGENT_ORIGIN"], 1)


def card_page(tx_id, error=None, status=200):
    tx = get_transaction(tx_id)
    client = find_client(tx["params"].get("client_id")) if tx else None
    response = make_response(render_template(
        "login/card.html", tx=tx_id, client=client, error=error, messages=AGENT_MESSAGES,
        agent_url=current_app.config["IDP_CARD_AGENT_ORIGIN"],
        tls=bool(current_app.config["IDP_CLIENT_CERT_HEADER"])), status)
    response.headers["Content-Security-Policy"] = card_csp()
    return response


def refuse(tx_id, code, method, certificate=None, detail=None):
    """Audit the failure and show the page again with the reason; no session."""
    db.session.rollback()
    message, status = MESSAGES.get(code, (NOT_VERIFIED, 400))
    audit.record("login", "failure", method=method, reason=code,
                 **_certificate_detail(certificate))
    db.session.commit()
    current_app.logger.info("card login refused: %s (%s), request %s", code, detail,
                            audit.request_id())
    return card_page(tx_id, error=message, status=status)


def accept(tx_id, validated, method, now, algorithm=None):
    """Log in the citizen whose national ID the validated certificate carries."""
    certificate = validated.certificate
    account = find_account_by_national_id(validated.national_id)
    if account is None:
        raise CardLoginError("citizen_unknown")
    if account.locked_at is not None:
        raise CardLoginError("account_locked")
    link(account, certificate, validated.national_id, now)
    status = validated.revocation[0] if validated.revocation else None
    evidence = AuthnEvidence(
        method=method, subject=account.sub, certificate_serial=serial_text(
            certificate.serial_number), certificate_issuer=certificate.issuer.rfc4514_string(),
        certificate_fingerprint=fingerprint(certificate), algorithm=algorithm,
        revocation_status=status.state if status else "unchecked",
        revocation_source=status.source if status else None, revocation_checked_at=now,
        created_at=now)
    db.session.add(evidence)
    db.session.flush()
    audit.record("certificate_login", subject=account.sub, method=method,
                 evidence=evidence.ref, revocation=evidence.revocation_status,
                 revocation_source=evidence.revocation_source,
                 **_certificate_detail(certificate))
    result = AuthenticationResult(account.sub, method, LEVEL_2, AMR, int(time.time()),
                                  evidence.ref)
    return finish_login(tx_id, result)


def link(account, certificate, national_id, now):
    """Link the card at its first login; a card already linked to another account is
    refused."""
    print_ = fingerprint(certificate)
    linked = find_linked_card(print_)
    if linked is None:
        try:
            with db.session.begin_nested():
                db.session.add(LinkedCard(
                    account_id=account.id, fingerprint=print_,
                    serial=serial_text(certificate.serial_number),
                    issuer=certificate.issuer.rfc4514_string(), national_id=national_id,
                    not_after=certificate.not_valid_after_utc, linked_at=now, last_used_at=now))
        except IntegrityError:  # the same card's first login in two requests at once
            linked = find_linked_card(print_)
        else:
            audit.record("card_linked", subject=account.sub, **_certificate_detail(certificate))
            return
    if linked.account_id != account.id:
        raise CardLoginError("card_linked_elsewhere")
    linked.last_used_at = now


def fingerprint(certificate):
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


def _certificate_detail(certificate):
    if certificate is None:
        return {}
    return {"certificate_serial": serial_text(certificate.serial_number),
            "certificate_issuer": certificate.issuer.rfc4514_string()[:200]}
