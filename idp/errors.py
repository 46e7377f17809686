"""The only place exceptions become HTTP responses. Browsers get a page, API clients
JSON `{"error", "error_description"}`; details are logged with the request id only."""

import logging

from authlib.oauth2 import OAuth2Error
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .audit import request_id
from .extensions import db
from .oauth.authorize import AuthorizationRequestError

log = logging.getLogger(__name__)

API_PATHS = ("/token", "/introspect", "/revoke", "/userinfo", "/jwks", "/.well-known/")


def wants_json():
    if request.path.startswith(API_PATHS):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def init_app(app):
    @app.errorhandler(AuthorizationRequestError)
    def authorization_request_error(exc):
        error = exc.error
        return _page(error.error, error.description, 400)

    @app.errorhandler(OAuth2Error)
    def oauth_error(error):
        return _respond(error.error, error.description, error.status_code or 400)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _respond("invalid_request",
                        gettext("This form has expired. Go back, reload the page and try again."),
                        400)

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = {404: "not_found", 405: "invalid_request", 413: "invalid_request",
                429: "slow_down"}.get(error.code, "invalid_request")
        return _respond(code, error.description, error.code)

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        log.exception("unexpected error, request %s", request_id())
        return _respond("server_error",
                        gettext("Something went wrong on our side. Please try again."), 500)


def _respond(code, description, status):
    if wants_json():
        response = jsonify(error=code, error_description=description or code)
        response.status_code = status
        return response
    return _page(code, description, status)


def _page(code, description, status):
    body = render_template("error.html", code=code, description=description,
                           request_id=request_id(), status=status)
    return body, status
