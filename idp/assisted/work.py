"""One piece of assisted work, step by step; each step checks cheap things first, is
audited (`assisted_work`, with the step) and sends the citizen an SMS (English, then
Arabic). Nothing is committed here; `now` is an argument.

1. `start`: an operator (checked by the caller) asks for consent: the citizen, found by
   national ID, gets a 6-digit code naming the centre and the service. At most
   START_LIMIT requests per citizen per hour.
2. `consent`: the code the citizen gave the operator; one code per request (a code of
   another request never fits), OTP_MAX_TRIES tries, OTP_CODE_LIFETIME seconds. The
   answer is the consent token: an access token for the citizen, issued to the centre's
   client, usable only at the token endpoint (`aud`), naming who may act (`may_act`).
3. `exchange` (token_exchange.py): the consent, used once, becomes the acting token.
4. `complete`: the centre closes the work; its tokens stop being active."""

import hmac
from datetime import timedelta

from flask import current_app

from connectors.errors import ConnectorError

from .. import audit
from ..citizens.connections import code_policy
from ..citizens.connections import hash_key
from ..extensions import db
from ..mandates.notices import gateway
from ..mandates.notices import number_of
from ..models.accounts import find_account
from ..models.cards import find_account_by_national_id
from ..models.centres import ABANDONED
from ..models.centres import AWAITING
from ..models.centres import COMPLETED
from ..models.centres import CONSENTED
from ..models.centres import EXCHANGED
from ..models.centres import AssistedWork
from ..models.centres import count_try
from ..models.centres import move_work
from ..models.clients import find_client
from ..oauth.tokens import GrantContext
from ..oauth.tokens import issue_tokens
from ..otp import codes

CONSENT_SCOPE = "assisted_work"
START_LIMIT = 5  # requests per citizen per hour
CONSENT_TTL = 600  # seconds a consent token waits for its exchange

TEXTS = {
    "code": (
        "Bawaba: {centre} asks to act for you in {service}. If you are at its counter and "
        "agree, give the operator this code: {code}. It expires in {minutes} minutes.",
        "بوابة: يطلب {centre_ar} التصرف نيابة عنك في {service}. إذا كنت لدى مكتبه وتوافق، "
        "فأعطِ الموظف هذا الرمز: {code}. تنتهي صلاحيته خلال {minutes} دقائق."),
    "consented": (
        "Bawaba: you allowed {centre} to act for you in {service}.",
        "بوابة: سمحت لـ {centre_ar} بالتصرف نيابة عنك في {service}."),
    "submitted": (
        "Bawaba: {centre} submitted your request in {service}.",
        "بوابة: قدّم {centre_ar} طلبك في {service}."),
    "completed": (
        "Bawaba: {centre} completed the work in {service}. It can no longer act for you.",
        "بوابة: أنهى {centre_ar} العمل في {service}. لم يعد بإمكانه التصرف نيابة عنك."),
}


class AssistedWorkError(Exception):
    """Why a step is refused: `error` (the wire code), `status`, a description."""

    def __init__(self, status, error, description):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def start(centre, operator, operator_acr, national_id, service_id, now):
    service = find_client(service_id) if isinstance(service_id, str) else None
    if service is None or service.client_id == centre.client_id:
        raise AssistedWorkError(400, "invalid_target", "Unknown service.")
    citizen = find_account_by_national_id(national_id) if isinstance(national_id, str) \
        else None
    number = number_of(citizen) if citizen is not None and citizen.locked_at is None else None
    if number is None:
        audit.record("assisted_work", "failure", subject=operator, now=now, step="start",
                     centre=centre.code, reason="citizen_unreachable")
        raise AssistedWorkError(400, "invalid_request",
                                "The citizen cannot be reached for consent.")
    since = now - timedelta(hours=1)
    recent = db.session.execute(db.select(db.func.count(AssistedWork.id)).where(
        AssistedWork.citizen_sub == citizen.sub, AssistedWork.created_at >= since)).scalar_one()
    if recent >= START_LIMIT:
        raise AssistedWorkError(429, "slow_down", "Too many requests for this citizen.")
    code = codes.new_code()
    work = AssistedWork(centre_id=centre.id, operator_sub=operator, operator_acr=operator_acr,
                        citizen_sub=citizen.sub, service=service.client_id,
                        service_name=service.name, state=AWAITING, code_digest="-", tries=0,
                        created_at=now, expires_at=now + timedelta(seconds=_policy().lifetime))
    work.centre = centre
    db.session.add(work)
    db.session.flush()
    work.code_digest = codes.code_digest(_key(), work.ref, code)
    audit.record("assisted_work", subject=citizen.sub, now=now, step="start", work=work.ref,
                 centre=centre.code, operator=operator, service=service.client_id)
    notify(work, "code", now, number, code=code)
    return work


def consent(work, typed, now):
    """Accept the citizen's code; returns the consent token (issue_tokens answer)."""
    policy = _policy()
    if work.state != AWAITING:
        raise AssistedWorkError(400, "invalid_grant", "This request no longer waits for "
                                                      "consent.")
    if work.tries >= policy.max_tries:
        raise AssistedWorkError(400, "invalid_grant", "Too many wrong codes: start again.")
    if now >= work.expires_at:
        raise AssistedWorkError(400, "invalid_grant", "The code has expired: start again.")
    digits = codes.normalise_code(typed)
    if digits is None or not hmac.compare_digest(
            work.code_digest, codes.code_digest(_key(), work.ref, digits)):
        count_try(work)
        left = policy.max_tries - work.tries
        if left <= 0:
            move_work(work.id, AWAITING, ABANDONED)
        audit.record("assisted_work", "failure", subject=work.citizen_sub, now=now,
                     step="consent", work=work.ref, reason="wrong_code", tries_left=left)
        raise AssistedWorkError(400, "invalid_grant",
                                f"The code is not correct. Tries left: {left}.")
    expires_at = now + timedelta(seconds=CONSENT_TTL)
    if not move_work(work.id, AWAITING, CONSENTED, consented_at=now, expires_at=expires_at):
        raise AssistedWorkError(400, "invalid_grant", "This request no longer waits for "
                                                      "consent.")
    db.session.refresh(work)
    client = find_client(work.centre.client_id)
    ctx = GrantContext(subject=work.citizen_sub, scope=CONSENT_SCOPE, amr=["sms", "otp"],
                       auth_time=int(now.timestamp()),
                       delegation={"kind": "consent", "work": work.ref})
    token = issue_tokens(client, ctx, False, now)
    audit.record("assisted_work", subject=work.citizen_sub, now=now, step="consent",
                 work=work.ref, centre=work.centre.code, operator=work.operator_sub)
    notify(work, "consented", now)
    return token


def complete(work, now):
    if not move_work(work.id, EXCHANGED, COMPLETED, completed_at=now) and not move_work(
            work.id, CONSENTED, COMPLETED, completed_at=now):
        raise AssistedWorkError(409, "invalid_request", "This work is not in progress.")
    db.session.refresh(work)
    audit.record("assisted_work", subject=work.citizen_sub, now=now, step="complete",
                 work=work.ref, centre=work.centre.code, operator=work.operator_sub)
    notify(work, "completed", now)
    return work


def notify(work, event, now, number=None, **extra):
    """Tell the citizen (or audit why not); never raises for the gateway."""
    sms = gateway()
    number = number or number_of(find_account(work.citizen_sub))
    detail = {"work": work.ref, "notice": event}
    if sms is None or number is None:
        audit.record("assisted_work_notice", "skipped", subject=work.citizen_sub, now=now,
                     reason="no_gateway" if sms is None else "no_number", **detail)
        return
    english, arabic = TEXTS[event]
    values = {"centre": work.centre.name, "centre_ar": work.centre.name_ar or work.centre.name,
              "service": work.service_name, "minutes": _policy().lifetime // 60, **extra}
    try:
        receipt = sms.send(number, english.format(**values) + "\n" + arabic.format(**values),
                           reference=f"{work.ref}.{event}")
    except ConnectorError as error:
        audit.record("assisted_work_notice", "failure", subject=work.citizen_sub, now=now,
                     reason=type(error).__name__, status=error.code, **detail)
        return
    audit.record("assisted_work_notice", subject=work.citizen_sub, now=now,
                 message_id=receipt.message_id, **detail)


def _key():
    return hash_key(current_app.config)


def _policy():
    return code_policy(current_app.config)
