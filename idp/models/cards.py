"""ID card login records: the challenge nonces issued (their digests only), the cards
linked to accounts, and the evidence behind each certificate login.

`CardChallengeStore` is the storage interface `idp.pki.challenge` is given."""

import secrets
from datetime import timedelta

from sqlalchemy import JSON

from ..extensions import db
from .accounts import Account
from .types import UTCDateTime
from .types import utcnow

KEEP_SPENT = timedelta(hours=1)  # how long an expired challenge is kept, so a replay is named


class CardChallenge(db.Model):
    __tablename__ = "card_challenges"

    id = db.Column(db.Integer, primary_key=True)
    nonce_digest = db.Column(db.String(64), unique=True, nullable=False)
    transaction_id = db.Column(db.String(64), nullable=False)
    origin = db.Column(db.String(255), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False)
    expires_at = db.Column(UTCDateTime, nullable=False, index=True)
    used_at = db.Column(UTCDateTime)


class LinkedCard(db.Model):
    """A card certificate that has logged in to an account (linked at its first login)."""

    __tablename__ = "linked_cards"

    id = db.Column(db.Integer, primary_key=True)
    account_id = db.Column(db.Integer, db.ForeignKey("accounts.id", ondelete="CASCADE"),
                           nullable=False, index=True)
    fingerprint = db.Column(db.String(64), unique=True, nullable=False)  # SHA-256 of the DER
    serial = db.Column(db.String(42), nullable=False)  # lowercase hex
    issuer = db.Column(db.Text, nullable=False)  # RFC 4514
    national_id = db.Column(db.String(32), nullable=False)
    not_after = db.Column(UTCDateTime, nullable=False)
    linked_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class AuthnEvidence(db.Model):
    """What a login rested on; `ref` is the session's evidence_ref. Certificate logins
    (card, card-tls, mobile-id) fill the certificate and revocation columns; every login
    gets the level, methods, address and browser (idp/authn/evidence.py)."""

    __tablename__ = "authn_evidence"

    id = db.Column(db.Integer, primary_key=True)
    ref = db.Column(db.String(64), unique=True, nullable=False,
                    default=lambda: secrets.token_urlsafe(24))
    method = db.Column(db.String(16), nullable=False)  # card, card-tls, mobile-id, sms
    subject = db.Column(db.String(64), nullable=False, index=True)
    certificate_serial = db.Column(db.String(42))
    certificate_issuer = db.Column(db.Text)
    certificate_fingerprint = db.Column(db.String(64))
    algorithm = db.Column(db.String(8))  # the token's; None for TLS
    revocation_status = db.Column(db.String(16))  # good, fail-open
    revocation_source = db.Column(db.String(8))  # ocsp, crl
    revocation_checked_at = db.Column(UTCDateTime)
    acr = db.Column(db.String(128))
    amr = db.Column(JSON)
    client_id = db.Column(db.String(64))  # the relying party the login was for
    ip = db.Column(db.String(64))
    user_agent = db.Column(db.String(300))
    mssp_transaction = db.Column(db.String(64))  # Mobile ID: the MSSP's transaction id
    sms_message_id = db.Column(db.String(64))  # SMS login: the gateway's message id
    sms_reference = db.Column(db.String(64))  # and the reference Bawaba gave it
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class CardChallengeStore:
    def add(self, nonce_digest, transaction, origin, created_at, expires_at):
        db.session.execute(db.delete(CardChallenge).where(
            CardChallenge.expires_at < created_at - KEEP_SPENT))
        db.session.add(CardChallenge(nonce_digest=nonce_digest, transaction_id=transaction,
                                     origin=origin, created_at=created_at,
                                     expires_at=expires_at))
        db.session.commit()

    def take(self, nonce_digest, now):
        """Mark the challenge used; (record, True) the first time, (record, False) after,
        (None, False) for a digest never issued. Committed at once: the nonce is spent
        even if the rest of the request fails."""
        spent = db.session.execute(
            db.update(CardChallenge)
            .where(CardChallenge.nonce_digest == nonce_digest, CardChallenge.used_at.is_(None))
            .values(used_at=now))
        record = db.session.execute(
            db.select(CardChallenge).filter_by(nonce_digest=nonce_digest)).scalar_one_or_none()
        db.session.commit()
        return record, spent.rowcount == 1


def find_account_by_national_id(national_id):
    if not isinstance(national_id, str) or not national_id:
        return None
    return db.session.execute(
        db.select(Account).filter_by(national_id=national_id)).scalar_one_or_none()


def find_linked_card(fingerprint):
    return db.session.execute(
        db.select(LinkedCard).filter_by(fingerprint=fingerprint)).scalar_one_or_none()


def linked_cards(account_id):
    return list(db.session.scalars(
        db.select(LinkedCard).filter_by(account_id=account_id).order_by(LinkedCard.id)))


def find_evidence(ref):
    if not isinstance(ref, str):
        return None
    return db.session.execute(db.select(AuthnEvidence).filter_by(ref=ref)).scalar_one_or_none()



def evidence_of(subject, limit=50):
    """The newest `limit` evidence records of a subject, newest first."""
    return list(db.session.scalars(
        db.select(AuthnEvidence).filter_by(subject=subject)
        .order_by(AuthnEvidence.created_at.desc(), AuthnEvidence.id.desc()).limit(limit)))
