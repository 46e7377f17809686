"""Evidence of every login, so an auditor can tell why a session and its tokens stated
their level (`idp evidence show`). Each session names one evidence record
(`login_sessions.evidence_ref`). Certificate methods (card, Mobile ID) write theirs with
the certificate, its revocation check and the MSSP transaction; for the other methods
(SMS, ...) the record is made here. Either way it gets the level and methods reached, the
relying party, the address and the browser of the login, and the details the method
handed over (`AuthenticationResult.evidence`: the SMS gateway's message id and the
reference Bawaba gave the message)."""

import dataclasses

from ..extensions import db
from ..models.cards import AuthnEvidence
from ..models.cards import find_evidence

DETAILS = ("mssp_transaction", "sms_message_id", "sms_reference")


def record_evidence(result, now, client_id=None, ip=None, user_agent=None):
    """Complete (or make) the evidence record of a login; returns the result naming it.
    Not committed."""
    row = find_evidence(result.evidence_ref) if result.evidence_ref else None
    if row is None:
        row = AuthnEvidence(method=result.method[:16], subject=result.subject, created_at=now)
        db.session.add(row)
    row.acr = result.acr
    row.amr = list(result.amr)
    row.client_id = client_id
    row.ip = ip
    row.user_agent = (user_agent or "")[:300] or None
    for name in DETAILS:
        value = (result.evidence or {}).get(name)
        if value:
            setattr(row, name, str(value)[:64])
    db.session.flush()
    return dataclasses.replace(result, evidence_ref=row.ref)


def describe(row):
    """An evidence record as the auditor reads it."""
    def when(value):
        return value.isoformat() if value is not None else None

    return {
        "ref": row.ref, "method": row.method, "subject": row.subject, "acr": row.acr,
        "amr": row.amr, "client_id": row.client_id, "ip": row.ip,
        "user_agent": row.user_agent, "created_at": when(row.created_at),
        "certificate_serial": row.certificate_serial,
        "certificate_issuer": row.certificate_issuer,
        "certificate_fingerprint": row.certificate_fingerprint,
        "algorithm": row.algorithm, "revocation_status": row.revocation_status,
        "revocation_source": row.revocation_source,
        "revocation_checked_at": when(row.revocation_checked_at),
        "mssp_transaction": row.mssp_transaction, "sms_message_id": row.sms_message_id,
        "sms_reference": row.sms_reference,
    }
