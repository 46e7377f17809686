"""Following a CIBA request to its end (OpenID CIBA Core 1.0 §5, §10.2).

`launch` starts a thread in the process that accepted the request; every MSSP polling
interval it takes the Mobile ID request one step (`settle`) until the person confirmed
(`authorized`), the request failed (`denied`) or expired (`expired`). Ping clients are
then told with a POST of `{"auth_req_id"}` to their notification endpoint, bearing their
`client_notification_token` (§10.2). Should the thread die with its process, the token
endpoint settles the request itself when nobody has polled the MSSP for a while, and the
request expires at the latest at `expires_at`."""

import logging
import threading
import time
from datetime import timedelta

import requests
from flask import current_app

from .. import audit
from ..authn.assurance import LEVEL_2
from ..extensions import db
from ..mobileid import signing
from ..mobileid.operators import operators
from ..mobileid.verification import MobileIdVerificationError
from ..models.clients import find_client
from ..models.mobile_id import AUTHORIZED
from ..models.mobile_id import DENIED
from ..models.mobile_id import EXPIRED
from ..models.mobile_id import FAILED
from ..models.mobile_id import PENDING
from ..models.mobile_id import claim_notification
from ..models.mobile_id import finish_ciba_request
from ..models.mobile_id import get_ciba_request
from ..models.mobile_id import get_mobile_request
from ..models.mobile_id import overdue_ciba_requests
from ..models.types import utcnow

log = logging.getLogger(__name__)
RETRY_AFTER_ERROR = 2  # seconds
GIVE_UP_MARGIN = 60  # seconds after expiry a thread stops trying, whatever happens


def launch(app, ciba):
    expires_in = (ciba.expires_at - utcnow()).total_seconds()
    give_up = time.monotonic() + expires_in + GIVE_UP_MARGIN
    thread = threading.Thread(target=_follow, args=(app, ciba.id, ciba.auth_req_id, give_up),
                              name=f"ciba-{ciba.id}", daemon=True)
    thread.start()
    return thread


def _follow(app, ciba_id, auth_req_id, give_up):
    while time.monotonic() < give_up:
        with app.app_context():
            try:
                wait = step(ciba_id, utcnow(), auth_req_id)
            except Exception:  # the thread must outlive a database or MSSP hiccup
                db.session.rollback()
                log.exception("CIBA request %s: step failed; retrying", ciba_id)
                wait = RETRY_AFTER_ERROR
        if wait is None:
            return
        time.sleep(wait)


def poll_interval(mobile_request):
    return operators().client(mobile_request.operator).settings.poll_interval \
        if mobile_request.operator else 1.0


def step(ciba_id, now, auth_req_id=None):
    """Take the request one step; the seconds to wait before the next, or None when it
    has ended (ping clients have then been told)."""
    ciba = get_ciba_request(ciba_id)
    if ciba is None or ciba.state != PENDING or auth_req_id not in (None, ciba.auth_req_id):
        return None
    mobile = get_mobile_request(ciba.mobile_id_request_id)
    if now >= ciba.expires_at:
        expire(ciba, mobile, now)
    elif not settle(ciba, mobile, now):
        return poll_interval(mobile)
    notify(get_ciba_request(ciba_id), now)
    return None


def settle(ciba, mobile, now):
    """One step of the Mobile ID request behind `ciba`; True once the CIBA request has
    ended (authorized or denied), by this call or another."""
    step_ = signing.advance(mobile, now)
    if step_.state == signing.SIGNED:
        try:
            account = signing.find_signer(step_.validated)
        except MobileIdVerificationError as error:
            step_ = signing.fail(mobile, error.code, now,
                                 certificate=step_.validated.certificate)
        else:
            result = signing.complete(mobile, step_.validated, account, now)
            if result is None:
                return _ended(ciba)
            finish_ciba_request(ciba.id, AUTHORIZED, subject=result.subject, acr=LEVEL_2,
                                amr=list(result.amr), auth_time=result.auth_time,
                                evidence_ref=result.evidence_ref, finished_at=now)
            audit.record("ciba_authenticated", subject=result.subject,
                         client_id=ciba.client_id, now=now, evidence=result.evidence_ref)
            db.session.commit()
            return True
    if step_.state == FAILED:
        state = EXPIRED if step_.reason == "expired" else DENIED
        finish_ciba_request(ciba.id, state, reason=step_.reason, finished_at=now)
        db.session.commit()
        return True
    return _ended(ciba)


def expire(ciba, mobile, now):
    """The request ran out of time (the Mobile ID request ends with it)."""
    if mobile.state == PENDING:
        signing.fail(mobile, "expired", now, code="ciba_expiry")
    finish_ciba_request(ciba.id, EXPIRED, reason="expired", finished_at=now)
    db.session.commit()


def expire_overdue(now):
    """Housekeeping: end the CIBA requests nobody followed to their end (their thread
    died with its process)."""
    for ciba in overdue_ciba_requests(now):
        expire(ciba, get_mobile_request(ciba.mobile_id_request_id), now)


def lease_is_stale(mobile, now):
    """Nobody asked the MSSP about this request for three polling intervals (and 5 s)."""
    last = mobile.polled_at or mobile.created_at
    return now - last > timedelta(seconds=3 * poll_interval(mobile) + 5)


def notify(ciba, now):
    """Ping (§10.2): tell a ping client its request has ended, once (whoever ended it),
    tried a few times."""
    if ciba is None or ciba.delivery_mode != "ping" or not ciba.notification_token:
        return
    client = find_client(ciba.client_id)
    endpoint = client and client.backchannel_client_notification_endpoint
    if not endpoint or not claim_notification(ciba.id, now):
        return
    cfg = current_app.config
    status = None
    for attempt in range(cfg["IDP_CIBA_NOTIFY_ATTEMPTS"]):
        if attempt:
            time.sleep(attempt)
        try:
            response = requests.post(
                endpoint, json={"auth_req_id": ciba.auth_req_id},
                headers={"Authorization": f"Bearer {ciba.notification_token}"},
                timeout=cfg["IDP_BACKCHANNEL_TIMEOUT"], allow_redirects=False)
            status = response.status_code
            response.close()
        except requests.RequestException as error:
            status = type(error).__name__
            continue
        if 200 <= response.status_code < 300:
            audit.record("ciba_notification", client_id=ciba.client_id, now=now,
                         state=ciba.state, attempts=attempt + 1)
            db.session.commit()
            return
    audit.record("ciba_notification", "failure", client_id=ciba.client_id, now=now,
                 state=ciba.state, status=str(status))
    db.session.commit()


def _ended(ciba):
    db.session.commit()
    return get_ciba_request(ciba.id).state != PENDING
