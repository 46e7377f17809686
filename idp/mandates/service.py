"""Creating and changing mandates. Each function takes the chamber connector and the time,
checks cheap things first (formats, permissions, dates), then asks the chamber, writes the
mandate, audits and sends the agent an SMS (notices.py). Nothing is committed here.

- `grant_by_owner`: an owner (their national ID on record at the chamber as an owner of an
  active establishment) grants a mandate; it is active at once. The caller makes sure the
  owner is logged in at level 2 and passes the evidence of that login.
- `request_by_letter`: an agent hands in a letter the chamber certified (signature and
  record checked by the connector); the mandate waits for review (`pending`).
- `approve` (the letter is checked with the chamber again), `reject`, `revoke`.

Audit events: mandate_granted, mandate_requested, mandate_approved, mandate_rejected,
mandate_revoked, and mandate_refused (failure, with the reason)."""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from connectors.chamber import EstablishmentStatus
from connectors.chamber import LetterRejectedError
from connectors.chamber import normalise_cr_number
from connectors.civil_registry import normalise_national_id
from connectors.errors import InvalidDataError

from .. import audit
from ..extensions import db
from ..models.cards import find_account_by_national_id
from ..models.mandates import ACTIVE
from ..models.mandates import LETTER
from ..models.mandates import OWNER
from ..models.mandates import PENDING
from ..models.mandates import REJECTED
from ..models.mandates import Mandate
from ..models.mandates import find_mandate
from ..models.mandates import find_mandate_by_letter
from . import errors
from .notices import notify
from .permissions import known

MAX_DAYS = 5 * 366  # longest mandate, in days
MAX_REASON = 300


def parse_cr_number(value):
    try:
        return normalise_cr_number(value)
    except InvalidDataError:
        raise errors.InvalidCrNumberError("7 to 10 digits") from None


def parse_national_id(value):
    try:
        return normalise_national_id(value)
    except InvalidDataError:
        raise errors.InvalidNationalIdError("6 to 12 digits") from None


def parse_day(value):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        return None


def period(starts_on, ends_on, now):
    """[start of the first day, end of the last day) in UTC; InvalidPeriodError unless the
    first day is not after the last, the last is not past and the span is at most
    MAX_DAYS."""
    first, last = parse_day(starts_on), parse_day(ends_on)
    if first is None or last is None:
        raise errors.InvalidPeriodError("dates must be YYYY-MM-DD")
    starts_at = datetime(first.year, first.month, first.day, tzinfo=UTC)
    ends_at = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    if last < first or (last - first).days >= MAX_DAYS:
        raise errors.InvalidPeriodError("the period is empty or too long")
    if ends_at <= now:
        raise errors.InvalidPeriodError("the period is over")
    return starts_at, ends_at


def active_establishment(chamber, cr_number):
    establishment = chamber.establishment(cr_number)
    if establishment is None:
        raise errors.UnknownEstablishmentError()
    if establishment.status is not EstablishmentStatus.ACTIVE:
        raise errors.EstablishmentInactiveError(establishment.status.value)
    return establishment


def grant_by_owner(chamber, owner, cr_text, agent_text, permissions, starts_on, ends_on, now,
                   owner_evidence_ref):
    """An owner's grant (active at once); `owner` is their Account."""
    try:
        cr_number = parse_cr_number(cr_text)
        agent_national_id = parse_national_id(agent_text)
        granted = known(permissions)
        if granted is None:
            raise errors.InvalidPermissionsError()
        starts_at, ends_at = period(starts_on, ends_on, now)
        establishment = active_establishment(chamber, cr_number)
        if not owner.national_id or not chamber.is_owner(cr_number, owner.national_id):
            raise errors.NotOwnerError()
    except errors.MandateError as error:
        refused(owner.sub, "owner", error, now)
        raise
    agent = find_account_by_national_id(agent_national_id)
    mandate = Mandate(
        agent_national_id=agent_national_id, agent_sub=agent.sub if agent else None,
        establishment_cr=cr_number, establishment_name=establishment.name,
        establishment_name_ar=establishment.name_ar, permissions=granted,
        starts_at=starts_at, ends_at=ends_at, status=ACTIVE, source=OWNER,
        granted_by=owner.sub, evidence_ref=f"owner-grant:{owner_evidence_ref}", created_at=now)
    db.session.add(mandate)
    db.session.flush()
    audit.record("mandate_granted", subject=owner.sub, now=now, mandate=mandate.ref,
                 establishment=cr_number, agent=agent_national_id, permissions=granted,
                 evidence=owner_evidence_ref)
    notify(mandate, "granted", now)
    return mandate


def request_by_letter(chamber, agent, document, now):
    """An agent's request with a certified letter (pending review); `agent` is their
    Account. Raises the connector's LetterRejectedError subclasses for a letter that is
    forged, tampered with, withdrawn or not on the chamber's record."""
    try:
        if not isinstance(document, str) or not document.strip():
            raise errors.MandateError("no letter")
        letter = chamber.verify_letter(document)
        if not agent.national_id or letter.agent_national_id != agent.national_id:
            raise errors.LetterNotForAgentError()
        granted = known(letter.permissions)
        if granted is None:
            raise errors.InvalidPermissionsError()
        try:
            starts_at, ends_at = period(letter.valid_from, letter.valid_until, now)
        except errors.InvalidPeriodError:
            raise errors.LetterExpiredError() from None
        establishment = active_establishment(chamber, letter.cr_number)
        if find_mandate_by_letter(letter.number) is not None:
            raise errors.LetterAlreadyUsedError(letter.number)
    except LetterRejectedError as error:
        audit.record("mandate_refused", "failure", subject=agent.sub, now=now, source=LETTER,
                     reason=error.code)
        raise
    except errors.MandateError as error:
        refused(agent.sub, LETTER, error, now)
        raise
    mandate = Mandate(
        agent_national_id=agent.national_id, agent_sub=agent.sub,
        establishment_cr=letter.cr_number, establishment_name=establishment.name,
        establishment_name_ar=establishment.name_ar, permissions=granted,
        starts_at=starts_at, ends_at=ends_at, status=PENDING, source=LETTER,
        granted_by=agent.sub, evidence_ref=f"chamber-letter:{letter.number}",
        letter_number=letter.number, letter_document=document.strip(),
        letter_digest=letter.digest, letter_key_id=letter.key_id, created_at=now)
    db.session.add(mandate)
    db.session.flush()
    audit.record("mandate_requested", subject=agent.sub, now=now, mandate=mandate.ref,
                 establishment=letter.cr_number, letter=letter.number,
                 letter_digest=letter.digest, chamber_key=letter.key_id,
                 owner=letter.owner_national_id, permissions=granted)
    notify(mandate, "requested", now)
    return mandate


def approve(chamber, ref, reviewer, now):
    """Approve a pending letter request after checking the letter with the chamber again."""
    mandate = _pending(ref, now)
    try:
        chamber.verify_letter(mandate.letter_document)
    except LetterRejectedError as error:
        audit.record("mandate_refused", "failure", subject=reviewer, now=now,
                     mandate=mandate.ref, action="approve", reason=error.code)
        raise
    if mandate.ends_at <= now:
        refused(reviewer, "approve", errors.LetterExpiredError(), now, mandate=mandate.ref)
        raise errors.LetterExpiredError()
    mandate.status = ACTIVE
    mandate.reviewed_at, mandate.reviewed_by = now, reviewer
    audit.record("mandate_approved", subject=reviewer, now=now, mandate=mandate.ref,
                 establishment=mandate.establishment_cr, letter=mandate.letter_number)
    notify(mandate, "approved", now)
    return mandate


def reject(ref, reviewer, reason, now):
    mandate = _pending(ref, now)
    reason = _reason(reason)
    mandate.status = REJECTED
    mandate.reviewed_at, mandate.reviewed_by, mandate.review_reason = now, reviewer, reason
    audit.record("mandate_rejected", subject=reviewer, now=now, mandate=mandate.ref,
                 establishment=mandate.establishment_cr, letter=mandate.letter_number,
                 reason=reason)
    notify(mandate, "rejected", now)
    return mandate


def revoke(ref, by, reason, now, mandate=None):
    """Revoke a mandate (pending or active); tokens stop stating it at once."""
    mandate = mandate or find_mandate(ref)
    if mandate is None:
        raise errors.UnknownMandateError()
    if mandate.revoked_at is not None:
        raise errors.AlreadyRevokedError()
    reason = _reason(reason)
    mandate.revoked_at, mandate.revoked_by, mandate.revoke_reason = now, by, reason
    audit.record("mandate_revoked", subject=by, now=now, mandate=mandate.ref,
                 establishment=mandate.establishment_cr, agent=mandate.agent_national_id,
                 reason=reason)
    notify(mandate, "revoked", now)
    return mandate


def _pending(ref, now):
    mandate = find_mandate(ref)
    if mandate is None:
        raise errors.UnknownMandateError()
    if mandate.status != PENDING or mandate.revoked_at is not None:
        raise errors.NotPendingError(mandate.state(now))
    return mandate


def _reason(reason):
    if not isinstance(reason, str) or not reason.strip():
        raise errors.ReasonRequiredError()
    return reason.strip()[:MAX_REASON]


def refused(subject, source, error, now, **detail):
    audit.record("mandate_refused", "failure", subject=subject, now=now, source=source,
                 reason=error.code, **detail)
