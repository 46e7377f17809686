"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): a signed logout token
POSTed to each relying party of the ended session, retried with backoff until it is
acknowledged or IDP_BACKCHANNEL_MAX_ATTEMPTS is reached."""

import base64
import json
import logging
import secrets
from datetime import timedelta

import requests
from flask import current_app

from .. import audit
from ..extensions import db
from ..models import BackchannelDelivery
from ..models.clients import find_client
from ..models.sessions import clients_of_session
from ..models.types import utcnow
from .keys import key_ring

log = logging.getLogger(__name__)
EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TTL = 120


def logout_token(client_id, subject, sid, now):
    """A logout token (§2.4): typ logout+jwt, the session's sub and sid, the event, and
    never a nonce; signed with the alg the client chose for its ID tokens."""
    cfg = current_app.config
    client = find_client(client_id)
    iat = int(now.timestamp())
    claims = {
        "iss": cfg["IDP_ISSUER"],
        "aud": client_id,
        "iat": iat,
        "exp": iat + LOGOUT_TOKEN_TTL,
        "jti": secrets.token_urlsafe(16),
        "sub": subject,
        "sid": sid,
        "events": {EVENT: {}},
    }
    alg = (client and client.id_token_signed_response_alg) or cfg["IDP_DEFAULT_ID_TOKEN_ALG"]
    return key_ring().sign(claims, alg, typ="logout+jwt")


def _current_token(delivery, now):
    """The stored token, or a freshly signed one (new iat, exp and jti) when it would
    expire before the relying party could check it: retries outlast LOGOUT_TOKEN_TTL."""
    payload = delivery.logout_token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    margin = current_app.config["IDP_BACKCHANNEL_TIMEOUT"] + 30
    if claims["exp"] - margin > now.timestamp():
        return delivery.logout_token
    delivery.logout_token = logout_token(delivery.client_id, claims["sub"], claims["sid"], now)
    return delivery.logout_token


def queue_logout(session, now):
    """Queue a logout token for each client of the session that asked for one."""
    for client_id in clients_of_session(session.sid):
        client = find_client(client_id)
        if client is None or not client.backchannel_logout_uri:
            continue
        db.session.add(
            BackchannelDelivery(
                client_id=client_id,
                uri=client.backchannel_logout_uri,
                logout_token=logout_token(client_id, session.subject, session.sid, now),
                next_attempt_at=now,
                created_at=now,
            )
        )


def deliver_due(now=None, limit=50):
    """Send every delivery that is due; returns (delivered, failed) counts."""
    now = now or utcnow()
    due = db.session.execute(
        db.select(BackchannelDelivery)
        .where(BackchannelDelivery.delivered_at.is_(None))
        .where(BackchannelDelivery.abandoned_at.is_(None))
        .where(BackchannelDelivery.next_attempt_at <= now)
        .order_by(BackchannelDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars().all()
    delivered = failed = 0
    for delivery in due:
        if _send(delivery, now):
            delivered += 1
        else:
            failed += 1
    db.session.commit()
    return delivered, failed


def _send(delivery, now):
    cfg = current_app.config
    delivery.attempts += 1
    token = _current_token(delivery, now)
    try:
        response = requests.post(
            delivery.uri,
            data={"logout_token": token},
            timeout=cfg["IDP_BACKCHANNEL_TIMEOUT"],
            allow_redirects=False,
        )
        ok = response.status_code in (200, 204)
        error = None if ok else f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        ok, error = False, type(exc).__name__
    if ok:
        delivery.delivered_at = now
        audit.record("backchannel_logout", client_id=delivery.client_id)
        return True
    delivery.last_error = error
    if delivery.attempts >= cfg["IDP_BACKCHANNEL_MAX_ATTEMPTS"]:
        delivery.abandoned_at = now
        audit.record("backchannel_logout", "failure", client_id=delivery.client_id,
                     error=error, attempts=delivery.attempts)
    else:
        delivery.next_attempt_at = now + timedelta(seconds=5 * 3 ** (delivery.attempts - 1))
    log.warning("back-channel logout to %s failed (%s), attempt %d",
                delivery.client_id, error, delivery.attempts)
    return False
