"""The login methods this deployment offers, chosen by IDP_LOGIN_METHODS."""

from dataclasses import dataclass

from flask import current_app

from .assurance import satisfies


@dataclass(frozen=True)
class Authenticator:
    name: str  # e.g. "sms", "card", "mobile-id"
    label: object  # a lazy translated string
    acr: str  # the level a completed login achieves
    endpoint: str  # the Flask endpoint that starts it; receives `tx`


def init_app(app):
    app.extensions["idp.authenticators"] = {}
    from ..login import card

    card.init_app(app)  # offered when IDP_LOGIN_METHODS names "card"
    from ..login import mobile_id

    mobile_id.init_app(app)  # offered when IDP_LOGIN_METHODS names "mobile-id"
    if app.config["IDP_ENABLE_TEST_LOGIN"]:
        from . import testing

        testing.init_app(app)


def register(app, authenticator):
    app.extensions["idp.authenticators"][authenticator.name] = authenticator


def available():
    return list(current_app.extensions["idp.authenticators"].values())


def able_to_satisfy(required_acrs):
    return [a for a in available() if satisfies(a.acr, required_acrs)]


def find(name):
    return current_app.extensions["idp.authenticators"].get(name)
