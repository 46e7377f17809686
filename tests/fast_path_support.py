"""Seeing which requests Flask itself handled, and the application without its fast paths
(idp/oauth/fast_paths.py), to compare their answers with the full stack's."""

import threading

from flask import request
from flask import request_started

from idp.extensions import db
from idp.models import AuditEvent
from idp.models.accounts import Account
from idp.models.types import utcnow
from idp.oauth.fast_paths import FastPath


class FlaskRequests:
    """The paths of the requests Flask handles while in the block (request_started)."""

    def __init__(self, app):
        self.app = app
        self.paths = []
        self._lock = threading.Lock()

    def __enter__(self):
        request_started.connect(self._seen, self.app)
        return self

    def __exit__(self, *exc):
        request_started.disconnect(self._seen, self.app)

    def _seen(self, sender, **extra):
        with self._lock:
            self.paths.append(request.path)


def installed_paths(app):
    """The fast paths in front of the application, outermost first."""
    paths, wsgi_app = [], app.wsgi_app
    while isinstance(wsgi_app, FastPath):
        paths.append(wsgi_app)
        wsgi_app = wsgi_app.full_stack
    return paths


def without_fast_paths(app, monkeypatch):
    """Serve the rest of the test by the full stack alone."""
    paths = installed_paths(app)
    if paths:
        monkeypatch.setattr(app, "wsgi_app", paths[-1].full_stack)


def lock_account(app, sub="citizen-1"):
    with app.app_context():
        db.session.execute(db.update(Account).where(Account.sub == sub)
                           .values(locked_at=utcnow()))
        db.session.commit()


def audit_events(app, event):
    with app.app_context():
        return db.session.execute(db.select(AuditEvent).where(AuditEvent.event == event)
                                  .order_by(AuditEvent.id)).scalars().all()


def without(mapping, names):
    """mapping (a dict, or a response's headers) without the members named."""
    return {k: v for k, v in mapping.items() if k not in names}
