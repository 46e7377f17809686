"""The only place exceptions become HTTP responses. Browsers get a page in their language,
API clients JSON `{"error", "error_description"}`. The public text is short and safe; the
detail of an unexpected error is only logged, under the request reference shown to the
person (node-oidc-provider `lib/helpers/err_out.js`)."""

import logging

from authlib.oauth2 import OAuth2Error
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from .audit import request_id
from .extensions import db
from .oauth.authorize import AuthorizationRequestError

log = logging.getLogger(__name__)

API_PATHS = ("/token", "/introspect", "/revoke", "/userinfo", "/jwks", "/.well-known/",
             "/bc-authorize", "/assisted-work", "/admin/api/")

# HTTP status -> (wire error code, key of the message the person reads).
HTTP_CODES = {404: ("not_found", "not_found"), 405: ("invalid_request", "method_not_allowed"),
              429: ("slow_down", "slow_down")}

# What the person reads, by error code; the protocol description (English, for the
# service's developers) is shown below it as a technical detail.
MESSAGES = {
    "not_found": _l("We could not find this page. Check the address, or go back to the "
                    "service you came from."),
    "method_not_allowed": _l("This page cannot be used this way. Go back to the service "
                             "you came from and start again."),
    "csrf": _l("This form has expired or was sent from another page. Go back, reload the "
               "page and try again."),
    "bad_request": _l("We could not process this request. Go back and try again."),
    "server_error": _l("Something went wrong on our side. Please try again in a few "
                       "minutes."),
    "slow_down": _l("Too many attempts. Wait a moment and try again."),
    "invalid_client": _l("The service that sent you here is not registered with Bawaba."),
    "unauthorized_client": _l("The service that sent you here may not use this kind of "
                              "login."),
    "access_denied": _l("The request was declined."),
    "invalid_scope": _l("The service asked for information it may not receive."),
    "unsupported_response_type": _l("The service that sent you here made a request Bawaba "
                                    "does not support."),
    "request_not_supported": _l("The service that sent you here made a request Bawaba "
                                "does not support."),
    "request_uri_not_supported": _l("The service that sent you here made a request Bawaba "
                                    "does not support."),
    "registration_not_supported": _l("The service that sent you here made a request Bawaba "
                                     "does not support."),
}
# Protocol descriptions that mean something to the person, with their translation.
DESCRIPTIONS = {
    "This sign-in has expired. Return to the service and start again.":
        _l("This login has expired. Go back to the service you came from and start again."),
}
DEFAULT_MESSAGE = _l("The service that sent you here made a request that is not valid.")
CSRF_DESCRIPTION = "The form's CSRF token is missing, invalid or expired."
SERVER_ERROR_DESCRIPTION = "Unexpected server error."


def wants_json():
    if request.path.startswith(API_PATHS):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def init_app(app):
    @app.errorhandler(AuthorizationRequestError)
    def authorization_request_error(exc):
        # Client or redirect_uri not known good: never redirect; always the page.
        error = exc.error
        return _page(error.error, _message(error.error, error.description),
                     error.description, 400)

    @app.errorhandler(OAuth2Error)
    def oauth_error(error):
        return _respond(error.error, error.description, error.status_code or 400,
                        headers=error.get_headers())

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        log.info("CSRF rejection on %s %s: %s, request %s", request.method, request.path,
                 error.description, request_id())
        return _respond("invalid_request", CSRF_DESCRIPTION, 400, message=MESSAGES["csrf"],
                        technical=False)

    @app.errorhandler(HTTPException)
    def http_error(error):
        server_side = error.code >= 500
        code, key = HTTP_CODES.get(error.code) or (
            ("server_error", "server_error") if server_side else ("invalid_request", "bad_request")
        )
        headers = [(k, v) for k, v in error.get_headers() if k in ("Allow", "Retry-After")]
        return _respond(code, SERVER_ERROR_DESCRIPTION if server_side else error.description,
                        error.code, message=MESSAGES[key], technical=False, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        log.exception("unexpected error on %s %s, request %s", request.method, request.path,
                      request_id())
        try:
            return _respond("server_error", SERVER_ERROR_DESCRIPTION, 500,
                            message=MESSAGES["server_error"], technical=False)
        except Exception:
            # Even the error page failed (e.g. the database is gone): a bare page, still
            # without any detail.
            log.exception("error page failed, request %s", request_id())
            body = ("<!doctype html><title>Error</title><p>Something went wrong. "
                    f"Reference: {escape(request_id() or '-')}</p>")
            return body, 500, {"Content-Type": "text/html; charset=utf-8"}


def _respond(code, description, status, message=None, technical=True, headers=()):
    """JSON for API clients; for browsers, the page, with the protocol description as a
    technical detail when `technical`."""
    if wants_json():
        response = jsonify(error=code, error_description=description or code)
        response.status_code = status
        for name, value in headers:
            if name != "Content-Type":
                response.headers[name] = value
        return response
    body, status = _page(code, message or _message(code, description),
                         description if technical else None, status)
    return body, status, [(k, v) for k, v in headers if k in ("Allow", "Retry-After")]


def _message(code, description):
    return DESCRIPTIONS.get(description) or MESSAGES.get(code, DEFAULT_MESSAGE)


def _page(code, message, detail, status):
    if detail in DESCRIPTIONS:  # already said, translated, in the message
        detail = None
    body = render_template("error.html", code=code, message=message, detail=detail,
                           request_id=request_id(), status=status)
    return body, status
