"""Mobile ID signature requests, from the challenge to the verified signer.

`start` makes a fresh challenge (256 random bits), asks the operator's MSSP to have it
signed on the phone, which shows `display_text(verification_code)`, and stores the request
(`MobileIdRequest`). `advance` takes a pending request one step further: at most one
MSSP status query per polling interval whoever asks (a lease in the database), then the
checks of verification.py on a signed answer. Every end is recorded once: `fail` (audit
`login` failure, with the reason) or `complete` (evidence, audit `mobile_id_signature`).

Nothing stays pending: past the request's deadline (the MSSP's TimeOut plus the
connector's grace) it fails as `expired` without asking the MSSP, and an MSSP that keeps
failing to answer (down, garbled) ends it after MAX_TRANSIENT_FAILURES status queries."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.serialization import Encoding

from connectors.mssp import PendingSignature
from connectors.mssp import verification_code
from connectors.mssp.errors import MalformedAnswerError
from connectors.mssp.errors import MobileIdError
from connectors.mssp.errors import MsspUnavailableError

from .. import audit
from ..authn.assurance import LEVEL_2
from ..authn.result import AuthenticationResult
from ..extensions import db
from ..models.cards import AuthnEvidence
from ..models.mobile_id import DONE
from ..models.mobile_id import FAILED
from ..models.mobile_id import PENDING
from ..models.mobile_id import MobileIdRequest
from ..models.mobile_id import claim_poll
from ..models.mobile_id import count_transient_failure
from ..models.mobile_id import delete_finished_before
from ..models.mobile_id import find_account_by_national_id
from ..models.mobile_id import finish_mobile_request
from ..models.mobile_id import get_mobile_request
from ..models.mobile_id import overdue_mobile_requests
from ..pki.ca import serial_text
from ..pki.errors import PkiError
from .operators import operators
from .verification import MobileIdVerificationError
from .verification import algorithm_of
from .verification import verify

METHOD = "mobile-id"
AMR = ("hwk", "pin", "mca", "mfa")  # RFC 8176: hardware key, PIN, multiple-channel, MFA
CHALLENGE_BYTES = 32
MAX_TRANSIENT_FAILURES = 3
SIGNED = "signed"
KEEP_FINISHED = timedelta(days=1)


@dataclass(frozen=True)
class Step:
    """Where a request stands after `advance`: pending, signed (with the validated
    certificate), done or failed (with the reason)."""

    state: str
    reason: str | None = None
    validated: object = None


def start(purpose, msisdn, display_text, now, national_id=None, transaction_id=None,
          client_id=None):
    """Send the signature request; the stored MobileIdRequest (added, not committed).
    Raises the connector's MobileIdError (or InvalidDataError) when the MSSP refuses."""
    client = operators().for_msisdn(msisdn)
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    code = verification_code(challenge)
    pending = client.start(msisdn, challenge, display_text(code), now=now)
    row = MobileIdRequest(
        purpose=purpose, transaction_id=transaction_id, client_id=client_id,
        operator=pending.operator, msisdn=pending.msisdn, national_id=national_id,
        verification_code=code, pending=pending.to_dict(), mssp_trans_id=pending.mssp_trans_id,
        state=PENDING, transient_failures=0, created_at=now, deadline=pending.deadline)
    db.session.add(row)
    db.session.flush()
    return row


def start_unsent(purpose, msisdn, reason, now, national_id=None, transaction_id=None,
                 client_id=None):
    """A request the MSSP refused at once for a reason the page must not tell apart from
    a wrong number (not a customer, no key): it looks like any other request, verification
    code included, and fails with `reason` when next asked about."""
    row = MobileIdRequest(
        purpose=purpose, transaction_id=transaction_id, client_id=client_id,
        msisdn=msisdn, national_id=national_id,
        verification_code=verification_code(secrets.token_bytes(CHALLENGE_BYTES)),
        pending=None, state=PENDING, reason=reason, transient_failures=0, created_at=now,
        deadline=now)
    db.session.add(row)
    db.session.flush()
    return row


def advance(row, now, poll_interval=None):
    """One step of a request: a Step. Asks the MSSP at most once per polling interval."""
    if row.state != PENDING:
        return Step(row.state, row.reason)
    if row.pending is None:
        return fail(row, row.reason or "not_a_customer", now)
    if now >= row.deadline:
        return fail(row, "expired", now, code="deadline")
    client = operators().client(row.operator)
    interval = client.settings.poll_interval if poll_interval is None else poll_interval
    if not claim_poll(row.id, now, now - timedelta(seconds=interval)):
        return Step(PENDING)
    pending = PendingSignature.from_dict(row.pending)
    try:
        result = client.poll(pending, now=now)
    except (MsspUnavailableError, MalformedAnswerError) as error:
        # The transaction stands at the MSSP: polling again is allowed, a few times.
        if count_transient_failure(row.id) < MAX_TRANSIENT_FAILURES:
            return Step(PENDING)
        return fail(get_mobile_request(row.id), error.outcome.value, now, code=error.code)
    except MobileIdError as error:
        return fail(row, error.outcome.value, now, code=error.code)
    if result.signature is None:
        return Step(PENDING)
    signature = result.signature
    try:
        from ..web.pki import validator

        validated = verify(signature, pending.data, validator("sim"), now, row.national_id)
    except (PkiError, MobileIdVerificationError) as error:
        return fail(row, error.code, now, certificate=signature.certificate, detail=str(error))
    return Step(SIGNED, validated=validated)


def fail(row, reason, now, certificate=None, code=None, detail=None):
    """End a pending request with `reason`, audited once (committed)."""
    if finish_mobile_request(row.id, FAILED, now, reason=reason):
        audit.record("login", "failure", client_id=row.client_id, now=now, method=METHOD,
                     reason=reason, purpose=row.purpose, operator=row.operator,
                     mssp_trans_id=row.mssp_trans_id, mssp_code=code,
                     **certificate_detail(certificate))
        db.session.commit()
        return Step(FAILED, reason)
    db.session.commit()
    row = get_mobile_request(row.id)
    return Step(row.state, row.reason)


def expire_overdue(now):
    """Housekeeping: end the requests past their deadline that nobody asked about (the
    page was left), and forget failed ones after KEEP_FINISHED."""
    for row in overdue_mobile_requests(now):
        fail(row, "expired", now, code="abandoned")
    delete_finished_before(now - KEEP_FINISHED)


def find_signer(validated):
    """The account of the certificate's national ID; MobileIdVerificationError when there
    is none or it is locked."""
    account = find_account_by_national_id(validated.national_id)
    if account is None:
        raise MobileIdVerificationError("citizen_unknown")
    if account.locked_at is not None:
        raise MobileIdVerificationError("account_locked")
    return account


def complete(row, validated, account, now):
    """Record the evidence and end the request as done; the AuthenticationResult, or None
    when another poller completed it first. Not committed."""
    certificate = validated.certificate
    status = validated.revocation[0] if validated.revocation else None
    evidence = AuthnEvidence(
        method=METHOD, subject=account.sub, certificate_serial=serial_text(
            certificate.serial_number), certificate_issuer=certificate.issuer.rfc4514_string(),
        certificate_fingerprint=hashlib.sha256(certificate.public_bytes(Encoding.DER))
        .hexdigest(), algorithm=algorithm_of(certificate),
        revocation_status=status.state if status else "unchecked",
        revocation_source=status.source if status else None, revocation_checked_at=now,
        mssp_transaction=row.mssp_trans_id, created_at=now)
    db.session.add(evidence)
    db.session.flush()
    if not finish_mobile_request(row.id, DONE, now, subject=account.sub,
                                 evidence_ref=evidence.ref):
        db.session.rollback()
        return None
    audit.record("mobile_id_signature", subject=account.sub, client_id=row.client_id,
                 now=now, method=METHOD, purpose=row.purpose, operator=row.operator,
                 mssp_trans_id=row.mssp_trans_id, evidence=evidence.ref,
                 revocation=evidence.revocation_status,
                 revocation_source=evidence.revocation_source,
                 **certificate_detail(certificate))
    return AuthenticationResult(account.sub, METHOD, LEVEL_2, AMR, int(now.timestamp()),
                                evidence.ref)


def certificate_detail(certificate):
    if certificate is None:
        return {}
    return {"certificate_serial": serial_text(certificate.serial_number),
            "certificate_issuer": certificate.issuer.rfc4514_string()[:200]}
