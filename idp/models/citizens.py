"""Citizens' credentials and their one-time codes.

A `Citizen` is the login credential of an `Account` made by registration: the national
ID, an argon2id password hash, the mobile number the civil registry had on record
(E.164), consecutive failures and the lock. An `OtpChallenge` is one code journey (only
the HMAC of the current code is kept), an `OtpSend` one code sent (for the send limits)."""

from sqlalchemy import JSON

from ..extensions import db
from .accounts import Account
from .types import UTCDateTime
from .types import utcnow


class Citizen(db.Model):
    __tablename__ = "citizens"

    id = db.Column(db.Integer, primary_key=True)
    account_id = db.Column(db.Integer, db.ForeignKey("accounts.id"), unique=True,
                           nullable=False)
    national_id = db.Column(db.String(32), unique=True, nullable=False)
    password_hash = db.Column(db.Text, nullable=False)
    phone_number = db.Column(db.String(20), nullable=False)
    phone_verified_at = db.Column(UTCDateTime)
    registered_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    password_changed_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    failed_attempts = db.Column(db.Integer, nullable=False, default=0)
    last_failure_at = db.Column(UTCDateTime)
    last_login_at = db.Column(UTCDateTime)
    locked_at = db.Column(UTCDateTime)
    lock_reason = db.Column(db.String(32))

    account = db.relationship(Account, lazy="joined")


class OtpChallenge(db.Model):
    __tablename__ = "otp_challenges"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(32), unique=True, nullable=False)
    purpose = db.Column(db.String(16), nullable=False)  # register, login
    citizen_id = db.Column(db.Integer, db.ForeignKey("citizens.id", ondelete="CASCADE"),
                           index=True)
    msisdn = db.Column(db.String(20))  # None: a decoy, no SMS
    number_key = db.Column(db.String(64), nullable=False)
    binding = db.Column(db.String(64), nullable=False)
    code_digest = db.Column(db.String(64), nullable=False)
    sends = db.Column(db.Integer, nullable=False, default=1)
    tries = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(UTCDateTime, nullable=False)
    last_sent_at = db.Column(UTCDateTime, nullable=False)
    expires_at = db.Column(UTCDateTime, nullable=False, index=True)
    used_at = db.Column(UTCDateTime)
    message_id = db.Column(db.String(64))  # the SMS gateway's id of the last code sent
    payload = db.Column(JSON)  # registration: the registry record until the account exists


class OtpSend(db.Model):
    __tablename__ = "otp_sends"

    id = db.Column(db.Integer, primary_key=True)
    number_key = db.Column(db.String(64), nullable=False, index=True)
    ip = db.Column(db.String(64), index=True)
    sent_at = db.Column(UTCDateTime, nullable=False, index=True)


def find_citizen(national_id):
    if not isinstance(national_id, str):
        return None
    return db.session.execute(
        db.select(Citizen).filter_by(national_id=national_id)
    ).scalar_one_or_none()


def find_citizen_by_account(account_id):
    return db.session.execute(
        db.select(Citizen).filter_by(account_id=account_id)
    ).scalar_one_or_none()


def list_citizens(locked=None, limit=1000):
    query = db.select(Citizen).order_by(Citizen.registered_at, Citizen.id).limit(limit)
    if locked is not None:
        query = query.where(Citizen.locked_at.is_not(None) if locked
                            else Citizen.locked_at.is_(None))
    return list(db.session.scalars(query).all())


def find_challenge(public_id):
    if not isinstance(public_id, str) or len(public_id) > 32:
        return None
    return db.session.execute(
        db.select(OtpChallenge).filter_by(public_id=public_id)
    ).scalar_one_or_none()


def add_challenge(**fields):
    challenge = OtpChallenge(**fields)
    db.session.add(challenge)
    db.session.flush()
    return challenge


def count_try(challenge):
    """One more try of the challenge's code, counted in the database itself so two
    simultaneous tries both count."""
    db.session.execute(db.update(OtpChallenge).where(OtpChallenge.id == challenge.id)
                       .values(tries=OtpChallenge.tries + 1))
    db.session.refresh(challenge, ["tries"])


def count_sends(since, number_key=None, ip=None):
    query = db.select(db.func.count(OtpSend.id)).where(OtpSend.sent_at >= since)
    if number_key is not None:
        query = query.where(OtpSend.number_key == number_key)
    if ip is not None:
        query = query.where(OtpSend.ip == ip)
    return db.session.execute(query).scalar_one()


def record_send(number_key, ip, at):
    db.session.add(OtpSend(number_key=number_key, ip=ip, sent_at=at))


def delete_otp_records_before(before):
    """Housekeeping: challenges expired and sends counted before `before`."""
    db.session.execute(db.delete(OtpChallenge).where(OtpChallenge.expires_at < before))
    db.session.execute(db.delete(OtpSend).where(OtpSend.sent_at < before))
