"""The kit's routes: login and callback (authorization code flow, OpenID Connect Core
§3.1), RP-initiated logout and its return (RP-Initiated Logout 1.0 §2-3), the
back-channel logout receiver (Back-Channel Logout 1.0 §2.5-2.8), the session page with
refresh, and the language switch."""

import base64
import hashlib
import json
import logging

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from . import assurance
from .errors import TokenError
from .i18n import COOKIE
from .i18n import LANGUAGES
from .i18n import current_lang
from .i18n import gettext as _
from .logout_token import validate_logout_token
from .provider import ProviderError
from .provider import ProviderUnavailableError
from .provider import provider
from .session import current_session
from .session import end_current
from .session import end_sessions_of
from .session import start_session
from .session import store
from .stepup import api_error
from .stepup import now
from .stepup import requires_login
from .tokens import fetch_userinfo
from .tokens import refresh
from .tokens import update_userinfo
from .tokens import validate_login

log = logging.getLogger(__name__)
bp = Blueprint("rp", __name__, template_folder="templates", static_folder="static",
               static_url_path="/rp-static")

ERROR_TEXTS = {
    "access_denied": "The login was cancelled.",
    "unmet_authentication_requirements":
        "This service needs a stronger login (ID card or Mobile ID), which is not available "
        "to you right now.",
}


def error_page(message, status):
    return render_template("rp/error.html", message=_(message)), status


def local_path(value, default="/"):
    """Only a path on this app may be returned to: no scheme, no host, no `//`, and no
    backslash, space or control character (browsers drop or rewrite those: a tab between
    two slashes would make `//`)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return default
    if any(c == "\\" or c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return default
    return value


def external(endpoint, **values):
    return current_app.config["DEMO_BASE_URL"] + url_for(endpoint, **values)


@bp.get("/login")
def login():
    level = assurance.from_short_name(request.args.get("acr", ""))
    max_age = request.args.get("max_age", type=int)
    params = {"ui_locales": current_lang()}
    if level:
        params["acr_values"] = level
    if max_age is not None and max_age >= 0:
        params["max_age"] = max_age
    else:
        max_age = None
    remember = {"next": local_path(request.args.get("next")), "acr": level, "max_age": max_age}
    try:
        url = provider().authorization_url(external("rp.callback"), remember, **params)
    except ProviderUnavailableError as error:
        log.warning("login not started: %s", error)
        return error_page("Bawaba cannot be reached right now. Please try again in a few "
                          "minutes.", 503)
    return redirect(url, 302)


@bp.get("/callback")
def callback():
    args = request.args
    data = provider().take_state(args.get("state"))
    if data is None:
        log.info("callback with an unknown state")
        return error_page("The login could not be completed. Please try again.", 400)
    issuer = current_app.config["DEMO_ISSUER"]
    if "iss" in args or provider().metadata().get("authorization_response_iss_parameter_supported"):
        if args.get("iss") != issuer:  # RFC 9207 §2.4: a mix-up
            log.warning("callback from another issuer: %r", args.get("iss"))
            return error_page("The login could not be completed. Please try again.", 400)
    if "error" in args:
        log.info("login ended with %s", args["error"])
        status = 403 if args["error"] in ERROR_TEXTS else 400
        return error_page(ERROR_TEXTS.get(args["error"],
                                          "The login could not be completed. Please try "
                                          "again."), status)
    try:
        token = provider().exchange_code(args.get("code", ""), data)
        claims = validate_login(token, data, now())
        userinfo = fetch_userinfo(token["access_token"], claims["sub"])
    except (ProviderError, TokenError) as error:
        log.warning("login refused: %s: %s", type(error).__name__, error)
        return error_page("The login could not be completed. Please try again.", 400)
    except ProviderUnavailableError as error:
        log.warning("login not completed: %s", error)
        return error_page("Bawaba cannot be reached right now. Please try again in a few "
                          "minutes.", 503)
    start_session(token, claims, userinfo, now())
    return redirect(local_path(data.get("next")), 303)


@bp.post("/logout")
def logout():
    local = end_current("logout", now())
    if local is None:
        return redirect(url_for("rp.logged_out_locally"), 303)
    try:
        return provider().logout_redirect(local.id_token, external("rp.logged_out"),
                                          ui_locales=current_lang())
    except ProviderUnavailableError:
        return redirect(url_for("rp.logged_out_locally"), 303)


@bp.get("/logged-out")
def logged_out():
    try:
        provider().check_logout_return()
    except ProviderError:
        return error_page("The logout answer was not recognised.", 400)
    return render_template("rp/logged_out.html")


@bp.get("/logged-out/here")
def logged_out_locally():
    return render_template("rp/logged_out.html")


@bp.post("/backchannel-logout")
def backchannel_logout():
    """§2.8: 200 when the sessions are ended (or there were none), 400 for a token that
    does not validate; never cached."""
    cfg = current_app.config
    value = request.form.get("logout_token")
    if not value:
        return api_error(400, "invalid_request", "The logout_token parameter is missing.")
    rp = provider()
    clock = now()
    try:
        logout = validate_logout_token(
            value, rp.fetch_keys, cfg["DEMO_ISSUER"], cfg["DEMO_CLIENT_ID"],
            rp.id_token_algorithms, lambda jti, exp: store().remember_once(jti, exp, clock),
            clock)
    except TokenError as error:
        log.warning("logout token refused: %s: %s", type(error).__name__, error)
        return api_error(400, "invalid_request", f"The logout token is not valid: {error}.")
    except ProviderUnavailableError as error:
        log.warning("logout token not checked: %s", error)
        return api_error(503, "temporarily_unavailable", "The provider's keys are unreachable.")
    ended = end_sessions_of(logout.sid, logout.sub, "backchannel_logout", clock)
    log.info("back-channel logout ended %d session(s)", ended)
    response = current_app.response_class(status=200)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/session")
@requires_login
def session_page():
    local = current_session()
    return render_template("rp/session.html", local=local,
                           access_id=_access_token_id(local.access_token),
                           refresh_print=fingerprint(local.refresh_token))


@bp.post("/session/refresh")
@requires_login
def session_refresh():
    local = current_session()
    try:
        refresh(local, now())
        update_userinfo(current_session(), now())
    except ProviderError as error:
        log.info("refresh refused: %s", error)
        end_current("refresh_refused", now())
        flash(_("Your session has ended. Please log in again."))
        return redirect(url_for("rp.logged_out_locally"), 303)
    except TokenError as error:
        log.warning("refresh answer refused: %s", error)
        end_current("refresh_refused", now())
        return error_page("The login could not be completed. Please try again.", 400)
    except ProviderUnavailableError:
        return error_page("Bawaba cannot be reached right now. Please try again in a few "
                          "minutes.", 503)
    return redirect(url_for("rp.session_page"), 303)


@bp.get("/lang/<code>")
def language(code):
    response = redirect(local_path(request.args.get("next")), 303)
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def fingerprint(value):
    return hashlib.sha256(value.encode()).hexdigest()[:12] if value else ""


def _access_token_id(value):
    """The `jti` of the session's own access token, shown (not trusted) on the page."""
    try:
        payload = value.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]
    except (AttributeError, IndexError, ValueError, KeyError):
        return ""
