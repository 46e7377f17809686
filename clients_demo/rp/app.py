"""The factory every demo app is built with: configuration (`DEMO_*` keys), its SQLite
store, the provider client, local sessions, pages in English and Arabic, CSRF tokens on
forms, security headers (no third-party resources, no scripts) and friendly errors."""

import hmac
import logging
import secrets
import time
from urllib.parse import urlsplit

from flask import Flask
from flask import abort
from flask import request
from flask import session as cookie_session
from werkzeug.exceptions import HTTPException

from . import i18n
from . import provider
from . import stepup
from . import views
from .assurance import LEVEL_1
from .assurance import LEVEL_2
from .session import current_session
from .store import Store

log = logging.getLogger(__name__)

DEFAULTS = {
    "DEMO_SCOPE": "openid profile",
    "DEMO_HTTP_TIMEOUT": 10,
    "DEMO_ID_TOKEN_ALGS": ["ES256"],
    "DEMO_ACCESS_TOKEN_AUDIENCE": None,  # default: the issuer (the provider's default)
    "DEMO_FORM_ACTIONS": [],  # other origins forms may lead to (a payment page)
}
REQUIRED = ("DEMO_ISSUER", "DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "DEMO_BASE_URL",
            "DEMO_DATABASE")
LEVEL_LABELS = {LEVEL_1: "Level 1 (password and SMS code)",
                LEVEL_2: "Level 2 (ID card or Mobile ID)"}
CSRF_EXEMPT = {"rp.backchannel_logout"}


def create_rp_app(import_name, name, title, config, schema="", messages=None, nav=()):
    """A Flask app named `name` (cookie and realm) titled `title` (English; translated
    by `messages`), with the app's own `schema` in its store and `nav` links
    [(endpoint, label)]."""
    app = Flask(import_name)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    missing = [key for key in REQUIRED if not app.config.get(key)]
    if missing:
        raise RuntimeError("missing settings: " + ", ".join(missing))
    cfg = app.config
    cfg["DEMO_ISSUER"] = cfg["DEMO_ISSUER"].rstrip("/")
    cfg["DEMO_BASE_URL"] = cfg["DEMO_BASE_URL"].rstrip("/")
    cfg["DEMO_ACCESS_TOKEN_AUDIENCE"] = cfg["DEMO_ACCESS_TOKEN_AUDIENCE"] or cfg["DEMO_ISSUER"]
    cfg.update(DEMO_NAME=name, DEMO_TITLE=title, DEMO_NAV=list(nav))
    if not cfg.get("SECRET_KEY"):
        log.warning("%s: no SECRET_KEY given; sessions end when the app restarts", name)
        cfg["SECRET_KEY"] = secrets.token_urlsafe(32)
    secure = cfg["DEMO_BASE_URL"].startswith("https://")
    cfg.update(SESSION_COOKIE_NAME=("__Host-demo-" if secure else "demo-") + name,
               SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
               SESSION_COOKIE_SECURE=secure)

    store = Store(cfg["DEMO_DATABASE"])
    store.migrate(schema)
    app.extensions["demo_store"] = store
    clock = cfg.get("DEMO_CLOCK") or time.time
    app.extensions["demo_clock"] = clock
    provider.init_app(app, store, clock)
    i18n.init_app(app, messages)
    stepup.init_app(app)
    app.register_blueprint(views.bp)
    _init_csrf(app)
    _init_headers(app)
    _init_errors(app)
    app.jinja_env.globals.update(current_session=current_session,
                                 level_label=lambda acr: LEVEL_LABELS.get(acr, acr or ""))
    return app


def csrf_token():
    if "csrf" not in cookie_session:
        cookie_session["csrf"] = secrets.token_urlsafe(24)
    return cookie_session["csrf"]


def _init_csrf(app):
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def check_csrf():
        if request.method != "POST" or request.endpoint in CSRF_EXEMPT \
                or stepup.is_api_request():
            return None
        sent = request.form.get("csrf_token", "")
        if not hmac.compare_digest(sent, cookie_session.get("csrf", "")) or not sent:
            abort(400, description="csrf")
        return None


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _init_headers(app):
    cfg = app.config
    targets = " ".join(["'self'", _origin(cfg["DEMO_ISSUER"]),
                        *(_origin(u) for u in cfg["DEMO_FORM_ACTIONS"])])
    csp = ("default-src 'none'; style-src 'self'; img-src 'self'; "
           f"form-action {targets}; frame-ancestors 'none'; base-uri 'none'")

    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
        return response


MESSAGES = {
    400: "The form has expired. Please go back and try again.",
    403: "You may not open this page.",
    404: "The page was not found.",
}


def _init_errors(app):
    @app.errorhandler(HTTPException)
    def http_error(error):
        if stepup.is_api_request():
            code = {404: "not_found", 405: "invalid_request"}.get(error.code, "invalid_request")
            return stepup.api_error(error.code, code, error.name + ".")
        text = MESSAGES.get(error.code, "Something went wrong")
        return views.error_page(text, error.code)

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("unexpected error")
        if stepup.is_api_request():
            return stepup.api_error(500, "server_error", "Something went wrong.")
        return views.error_page("Something went wrong", 500)
