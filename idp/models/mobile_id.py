"""Mobile ID signature requests and the CIBA requests they serve.

A `MobileIdRequest` is one MSS_Signature transaction at an operator's MSSP (the stored
`PendingSignature`), started for a login page or for a CIBA request, and how it ended. Its
`state` moves once from `pending` to `done` (signature verified and used) or `failed`
(`reason`), by a compare-and-set, so two pollers never both use one signature.

A `CibaRequest` is one backchannel authentication request (OpenID CIBA Core 1.0 §7): the
client, what it asked for, its polling pace, and its state: `pending`, then `authorized`
(the person confirmed on the phone), `denied` or `expired`; `issued` once the tokens were
handed out."""

import secrets

from sqlalchemy import JSON

from ..extensions import db
from .accounts import Account
from .types import UTCDateTime

PENDING, DONE, FAILED = "pending", "done", "failed"
AUTHORIZED, DENIED, EXPIRED, ISSUED = "authorized", "denied", "expired", "issued"


class MobileIdRequest(db.Model):
    __tablename__ = "mobile_id_requests"

    id = db.Column(db.Integer, primary_key=True)
    ref = db.Column(db.String(43), unique=True, nullable=False,
                    default=lambda: secrets.token_urlsafe(32))
    purpose = db.Column(db.String(8), nullable=False)  # login, ciba
    transaction_id = db.Column(db.String(64))  # the login page's authorization transaction
    client_id = db.Column(db.String(64))
    operator = db.Column(db.String(32))
    msisdn = db.Column(db.String(20), nullable=False)
    national_id = db.Column(db.String(32))  # the one entered or hinted, if any
    verification_code = db.Column(db.String(4), nullable=False)
    pending = db.Column(JSON)  # PendingSignature.to_dict(); None when never sent
    mssp_trans_id = db.Column(db.String(64))
    state = db.Column(db.String(8), nullable=False, default=PENDING, index=True)
    reason = db.Column(db.String(40))
    transient_failures = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(UTCDateTime, nullable=False)
    deadline = db.Column(UTCDateTime, nullable=False)
    polled_at = db.Column(UTCDateTime)
    finished_at = db.Column(UTCDateTime)
    subject = db.Column(db.String(64))
    evidence_ref = db.Column(db.String(64))


class CibaRequest(db.Model):
    __tablename__ = "ciba_requests"

    id = db.Column(db.Integer, primary_key=True)
    # An identifier, not a credential: it is only honoured with the client's authentication.
    auth_req_id = db.Column(db.String(64), unique=True, nullable=False)
    client_id = db.Column(db.String(64), nullable=False, index=True)
    mobile_id_request_id = db.Column(
        db.Integer, db.ForeignKey("mobile_id_requests.id", ondelete="CASCADE"),
        nullable=False)
    scope = db.Column(db.Text, nullable=False)
    acr_values = db.Column(db.Text)
    binding_message = db.Column(db.String(200))
    delivery_mode = db.Column(db.String(8), nullable=False)  # poll, ping
    notification_token = db.Column(db.Text)  # the client's bearer token for its ping endpoint
    interval = db.Column(db.Integer, nullable=False)
    state = db.Column(db.String(12), nullable=False, default=PENDING)
    reason = db.Column(db.String(40))
    subject = db.Column(db.String(64))
    acr = db.Column(db.String(128))
    amr = db.Column(JSON)
    auth_time = db.Column(db.Integer)
    evidence_ref = db.Column(db.String(64))
    created_at = db.Column(UTCDateTime, nullable=False)
    expires_at = db.Column(UTCDateTime, nullable=False)
    last_polled_at = db.Column(UTCDateTime)
    finished_at = db.Column(UTCDateTime)
    notified_at = db.Column(UTCDateTime)
    issued_at = db.Column(UTCDateTime)


def find_mobile_request(ref):
    if not isinstance(ref, str) or not ref or len(ref) > 43:
        return None
    return db.session.execute(
        db.select(MobileIdRequest).filter_by(ref=ref)).scalar_one_or_none()


def get_mobile_request(request_id):
    return db.session.get(MobileIdRequest, request_id, populate_existing=True)


def claim_poll(request_id, now, not_before):
    """Take the right to ask the MSSP now: only when nobody asked since `not_before`.
    Committed at once, so the HTTP call that follows holds no database lock."""
    taken = db.session.execute(
        db.update(MobileIdRequest)
        .where(MobileIdRequest.id == request_id, MobileIdRequest.state == PENDING,
               db.or_(MobileIdRequest.polled_at.is_(None),
                      MobileIdRequest.polled_at <= not_before))
        .values(polled_at=now))
    db.session.commit()
    return taken.rowcount == 1


def count_transient_failure(request_id):
    db.session.execute(
        db.update(MobileIdRequest).where(MobileIdRequest.id == request_id)
        .values(transient_failures=MobileIdRequest.transient_failures + 1))
    db.session.commit()
    return get_mobile_request(request_id).transient_failures


def finish_mobile_request(request_id, state, now, reason=None, subject=None,
                          evidence_ref=None):
    """Move a pending request to `state`; False when it was no longer pending (someone
    else finished it). The caller commits."""
    finished = db.session.execute(
        db.update(MobileIdRequest)
        .where(MobileIdRequest.id == request_id, MobileIdRequest.state == PENDING)
        .values(state=state, reason=reason, finished_at=now, subject=subject,
                evidence_ref=evidence_ref))
    return finished.rowcount == 1


def overdue_mobile_requests(now):
    """Pending requests past their deadline (their page was left, or their CIBA request
    ended without the phone's answer)."""
    return list(db.session.scalars(db.select(MobileIdRequest).where(
        MobileIdRequest.state == PENDING, MobileIdRequest.deadline < now)))


def overdue_ciba_requests(now):
    return list(db.session.scalars(db.select(CibaRequest).where(
        CibaRequest.state == PENDING, CibaRequest.expires_at < now)))


def delete_finished_before(before):
    """Forget CIBA requests and failed Mobile ID requests that ended before `before`; a
    request that logged someone in stays with its evidence."""
    db.session.execute(db.delete(CibaRequest).where(CibaRequest.finished_at < before))
    db.session.execute(db.delete(MobileIdRequest).where(
        MobileIdRequest.state == FAILED, MobileIdRequest.finished_at < before,
        ~MobileIdRequest.id.in_(db.select(CibaRequest.mobile_id_request_id))))


def find_ciba_request(auth_req_id):
    if not isinstance(auth_req_id, str) or not auth_req_id or len(auth_req_id) > 64:
        return None
    return db.session.execute(
        db.select(CibaRequest).filter_by(auth_req_id=auth_req_id)).scalar_one_or_none()


def get_ciba_request(request_id):
    return db.session.get(CibaRequest, request_id, populate_existing=True)


def claim_notification(request_id, now):
    """Take the single right to ping the client about this request (committed)."""
    taken = db.session.execute(
        db.update(CibaRequest)
        .where(CibaRequest.id == request_id, CibaRequest.notified_at.is_(None))
        .values(notified_at=now))
    db.session.commit()
    return taken.rowcount == 1


def finish_ciba_request(request_id, state, from_state=PENDING, **values):
    """Move a CIBA request from `from_state` to `state`; False when it was not in
    `from_state` any more. The caller commits."""
    finished = db.session.execute(
        db.update(CibaRequest)
        .where(CibaRequest.id == request_id, CibaRequest.state == from_state)
        .values(state=state, **values))
    return finished.rowcount == 1


def find_account_by_national_id(national_id):
    if not isinstance(national_id, str) or not national_id or len(national_id) > 32:
        return None
    return db.session.execute(
        db.select(Account).filter_by(national_id=national_id)).scalar_one_or_none()
