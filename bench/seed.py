"""Prepare a Bawaba instance for the benchmark: schema, keys, the bench clients, and one
logged-in session (with remembered consent) per virtual user. Prints the setup JSON the
load generator reads. Uses the environment the server will use (IDP_*, PKCS11_*)."""

import json
import secrets
import sys
import time
from datetime import timedelta

from flask_migrate import upgrade

from idp import create_app
from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.models import Account
from idp.models import Client
from idp.models import Consent
from idp.models import LoginSession
from idp.models.types import digest
from idp.models.types import utcnow
from idp.oauth.keys import key_ring

REDIRECT_URI = "http://127.0.0.1:9/callback"
SCOPE = "openid profile offline_access"


def client(client_id, **fields):
    secret = secrets.token_urlsafe(24)
    row = db.session.execute(db.select(Client).filter_by(client_id=client_id)).scalar_one_or_none()
    if row is None:
        row = Client(client_id=client_id, **fields)
        db.session.add(row)
    row.set_secret(secret)
    return {"client_id": client_id, "client_secret": secret, "redirect_uri": REDIRECT_URI}


def seed(users):
    app = create_app()
    with app.app_context():
        upgrade()
        key_ring().ensure()
        web = client("bench-web", name="Bench web", redirect_uris=[REDIRECT_URI],
                     post_logout_redirect_uris=[],
                     grant_types=["authorization_code", "refresh_token"],
                     scope=SCOPE, token_endpoint_auth_method="client_secret_basic")
        service = client("bench-service", name="Bench service", redirect_uris=[],
                         post_logout_redirect_uris=[], grant_types=["client_credentials"],
                         scope="api", token_endpoint_auth_method="client_secret_basic")
        now = utcnow()
        cookie_name = app.config["IDP_SSO_COOKIE"]
        sessions = []
        for i in range(users):
            sub = f"bench-user-{i}-{secrets.token_hex(4)}"
            db.session.add(Account(sub=sub, profile={"name": f"Citizen {i}"}))
            db.session.add(Consent(subject=sub, client_id="bench-web", scopes=SCOPE.split()))
            cookie = secrets.token_urlsafe(32)
            db.session.add(LoginSession(
                sid=secrets.token_urlsafe(24), cookie_digest=digest(cookie), subject=sub,
                method="bench", acr=LEVEL_2, amr=["hwk", "pin", "mfa"],
                auth_time=int(time.time()), created_at=now, last_seen_at=now,
                expires_at=now + timedelta(hours=10),
            ))
            sessions.append(f"{cookie_name}={cookie}")
        db.session.commit()
        db.engine.dispose()
    return {"web": web, "service": service, "sessions": sessions}


if __name__ == "__main__":
    json.dump(seed(int(sys.argv[1]) if len(sys.argv) > 1 else 64), sys.stdout)
