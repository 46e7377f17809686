"""Bawaba: OpenID Connect provider for national e-services."""

import logging
import os

from flask import Flask

from . import config as config_module
from . import database_checks
from .extensions import babel
from .extensions import csrf
from .extensions import db
from .extensions import migrate

log = logging.getLogger(__name__)
MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def create_app(config=None):
    # IDP_INSTANCE_PATH: where config.py and the default SQLite database live.
    instance = os.environ.get("IDP_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.path.abspath(instance) if instance else None)
    app.config.from_mapping(config_module.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(config_module.from_environ())
    if config:
        app.config.from_mapping(config)
    _finish_config(app)

    db.init_app(app)
    database_checks.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    csrf.init_app(app)

    from . import audit
    from . import errors
    from . import i18n
    from . import mandates
    from . import ratelimit
    from . import security_headers
    from .authn import registry
    from .login import chooser
    from .login import sms
    from .oauth import server
    from .web import account
    from .web import assisted
    from .web import mandates as mandate_pages
    from .web import mandates_admin
    from .web import pki

    i18n.init_app(app, babel)
    security_headers.init_app(app)
    errors.init_app(app)
    audit.init_app(app)
    ratelimit.init_app(app)
    server.init_app(app)
    registry.init_app(app)
    sms.init_app(app)
    chooser.init_app(app)
    account.init_app(app)
    mandates.init_app(app)
    mandate_pages.init_app(app)
    mandates_admin.init_app(app)
    assisted.init_app(app)
    pki.init_app(app)

    from .cli import register_cli

    register_cli(app)
    return app


def _finish_config(app):
    cfg = app.config
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        url = cfg["IDP_DATABASE_URL"] or "sqlite:///" + os.path.join(app.instance_path, "idp.db")
        cfg["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(url)
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        os.makedirs(app.instance_path, exist_ok=True)
        cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    else:
        cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})  # connections checked after idling
    if not cfg.get("IDP_KEY_DIR"):
        cfg["IDP_KEY_DIR"] = os.path.join(app.instance_path, "keys")
    cfg["IDP_ISSUER"] = cfg["IDP_ISSUER"].rstrip("/")
    secure = cfg["IDP_ISSUER"].startswith("https://")
    cfg["IDP_SECURE"] = secure
    cfg["SESSION_COOKIE_NAME"] = "__Host-bawaba" if secure else "bawaba"
    cfg["SESSION_COOKIE_SECURE"] = secure
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["IDP_SSO_COOKIE"] = "__Host-bawaba-sso" if secure else "bawaba-sso"
    config_module.check(cfg, log)


def _sqlalchemy_url(url):
    # psycopg 3 is the PostgreSQL driver; plain postgresql:// URLs would ask for psycopg2.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
