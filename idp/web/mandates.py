"""The person's mandate pages: the establishments they may act for, handing in a letter
certified by the chamber of commerce (reviewed by an administrator before it takes
effect), and, for an establishment's owner logged in at level 2, granting and revoking
mandates. `/account/login` starts a login for these pages (level 2 for owners)."""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from connectors.chamber import LetterRejectedError
from connectors.errors import ThrottledError
from connectors.errors import UnavailableError

from ..authn.assurance import LEVEL_2
from ..extensions import db
from ..mandates import CHAMBER
from ..mandates import errors
from ..mandates import service
from ..mandates.notices import last_day
from ..mandates.permissions import PERMISSIONS
from ..models.accounts import find_account
from ..models.mandates import find_mandate
from ..models.mandates import mandates_granted_by
from ..models.mandates import mandates_of_agent
from ..models.types import utcnow
from ..oauth.transactions import open_transaction
from ..sessions import current_session

bp = Blueprint("mandates", __name__)
MAX_LETTER = 16 * 1024

MESSAGES = {
    "invalid_cr_number": _l("Enter the commercial registration number: 7 to 10 digits."),
    "invalid_national_id": _l("Enter the agent's national ID number: 6 to 12 digits."),
    "invalid_permissions": _l("Choose at least one service."),
    "invalid_period": _l("Enter a period of at most five years that has not ended, its "
                         "first day not after its last."),
    "unknown_establishment": _l("The chamber of commerce has no establishment with this "
                                "number."),
    "establishment_inactive": _l("This establishment is not active at the chamber of "
                                 "commerce."),
    "not_owner": _l("The chamber of commerce does not list you as an owner of this "
                    "establishment."),
    "letter_missing": _l("Choose the letter file to hand in."),
    "letter_not_for_agent": _l("This letter authorises someone else."),
    "letter_expired": _l("The period of this letter is over."),
    "letter_already_used": _l("This letter was already handed in."),
    "letter_malformed": _l("This file is not a letter certified by the chamber of commerce."),
    "letter_signature": _l("The certification of this letter is not valid: the letter may "
                           "have been altered."),
    "letter_unknown_key": _l("The certification of this letter is not valid: the letter may "
                             "have been altered."),
    "letter_not_on_record": _l("The chamber of commerce has no record of this letter."),
    "letter_withdrawn": _l("The chamber of commerce withdrew this letter."),
    "letter_mismatch": _l("This letter differs from the chamber of commerce's record."),
    "already_revoked": _l("This mandate was already revoked."),
    "unknown_mandate": _l("We could not find this mandate."),
    "level_2": _l("Granting and revoking mandates needs a login with your ID card or Mobile "
                  "ID."),
    "unavailable": _l("The chamber of commerce cannot be reached right now. Please try again "
                      "in a few minutes."),
}
STATES = {
    "active": _l("In force"), "scheduled": _l("Not yet in force"), "expired": _l("Ended"),
    "pending": _l("Waiting for review"), "rejected": _l("Rejected"), "revoked": _l("Revoked"),
}


def init_app(app):
    app.register_blueprint(bp)


@bp.get("/account/login")
def login():
    """Log in for the account pages; `level=2` for what owners do."""
    params = {"scope": "openid"}
    if request.args.get("level") == "2":
        params["acr_values"] = LEVEL_2
    tx_id = open_transaction(params, return_to=url_for("mandates.page"))
    return redirect(url_for("login.choose", tx=tx_id), 303)


@bp.get("/account/mandates")
def page():
    return _page()


def _page(error=None, status=200, form=None):
    session = current_session()
    if session is None:
        return render_template("account/mandates.html", session=None), status
    account = find_account(session.subject)
    now = utcnow()
    held = mandates_of_agent(account.national_id if account else None, session.subject)
    return render_template(
        "account/mandates.html", session=session, now=now, held=held,
        granted=mandates_granted_by(session.subject), level_2=session.acr == LEVEL_2,
        permissions=PERMISSIONS, states=STATES, error=error, form=form or {},
        chosen=form.getlist("permissions") if form else [], last_day=last_day), status


@bp.post("/account/mandates/grant")
def grant():
    session, account = _owner()
    if session is None:
        return account
    form = request.form
    try:
        mandate = service.grant_by_owner(
            _chamber(), account, form.get("cr_number", "")[:32],
            form.get("agent_national_id", "")[:32], form.getlist("permissions"),
            form.get("starts_on"), form.get("ends_on"), utcnow(), session.evidence_ref)
    except errors.MandateError as error:
        db.session.commit()
        return _page(MESSAGES[error.code], error.status, form)
    except (UnavailableError, ThrottledError):
        db.session.rollback()
        return _page(MESSAGES["unavailable"], 503, form)
    db.session.commit()
    flash(gettext("The mandate %(ref)s for %(name)s is in force.", ref=mandate.ref,
                  name=mandate.establishment_name))
    return redirect(url_for("mandates.page"), 303)


@bp.post("/account/mandates/<ref>/revoke")
def revoke(ref):
    session, account = _owner()
    if session is None:
        return account
    mandate = find_mandate(ref)
    try:
        if mandate is None:
            raise errors.UnknownMandateError()
        if mandate.granted_by != session.subject and not _chamber().is_owner(
                mandate.establishment_cr, account.national_id):
            raise errors.NotOwnerError()
        service.revoke(ref, session.subject, "Revoked by the owner", utcnow(), mandate)
    except errors.MandateError as error:
        db.session.commit()
        return _page(MESSAGES[error.code], error.status)
    except (UnavailableError, ThrottledError):
        db.session.rollback()
        return _page(MESSAGES["unavailable"], 503)
    db.session.commit()
    flash(gettext("The mandate %(ref)s was revoked.", ref=mandate.ref))
    return redirect(url_for("mandates.page"), 303)


@bp.post("/account/mandates/letter")
def letter():
    session = current_session()
    if session is None:
        return redirect(url_for("mandates.page"), 303)
    account = find_account(session.subject)
    document = _letter_text()
    try:
        if not document:
            raise errors.MandateError("no letter")
        mandate = service.request_by_letter(_chamber(), account, document, utcnow())
    except errors.MandateError as error:
        db.session.commit()
        return _page(MESSAGES.get(error.code, MESSAGES["letter_missing"]), error.status)
    except LetterRejectedError as error:
        db.session.commit()
        return _page(MESSAGES[error.code], 422)
    except (UnavailableError, ThrottledError):
        db.session.rollback()
        return _page(MESSAGES["unavailable"], 503)
    db.session.commit()
    flash(gettext("We received the letter %(number)s. The mandate takes effect once it is "
                  "reviewed; we will send you a text message.", number=mandate.letter_number))
    return redirect(url_for("mandates.page"), 303)


def _owner():
    """(session, account) of someone logged in at level 2, or (None, the response)."""
    session = current_session()
    if session is None:
        return None, redirect(url_for("mandates.page"), 303)
    if session.acr != LEVEL_2:
        return None, _page(MESSAGES["level_2"], 403)
    return session, find_account(session.subject)


def _chamber():
    chamber = current_app.extensions.get(CHAMBER)
    if chamber is None:
        raise UnavailableError("no chamber configured", connector="chamber")
    return chamber


def _letter_text():
    upload = request.files.get("letter")
    if upload is not None and upload.filename:
        raw = upload.stream.read(MAX_LETTER + 1)
        if len(raw) > MAX_LETTER:
            return "x"  # too large to be a letter: refused as malformed
        return raw.decode("utf-8", "replace").strip()
    return request.form.get("letter_text", "")[:MAX_LETTER + 1].strip()
