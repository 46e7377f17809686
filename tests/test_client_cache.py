"""Workers keep the client registrations they read and check one version stamp per
request: a change takes effect at the next request, whichever process made it."""

import json

from idp.extensions import db
from idp.models import client_cache
from idp.models.clients import Client

from .helpers import RelyingParty


def _service(issuer, client_factory):
    return RelyingParty(issuer, client_factory(
        name="Service", grant_types=("client_credentials",), redirect_uris=(),
        scopes=("api.read",)))


def _cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_rotated_secret_takes_effect_at_once(app, issuer, client_factory):
    rp = _service(issuer, client_factory)
    assert rp.token(grant_type="client_credentials").status_code == 200
    old = rp.client["client_secret"]
    new = json.loads(_cli(app, "clients", "rotate-secret", rp.client["client_id"], "--json"))
    rp.client["client_secret"] = old
    refused = rp.token(grant_type="client_credentials")
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    rp.client["client_secret"] = new["client_secret"]
    assert rp.token(grant_type="client_credentials").status_code == 200


def test_every_change_gives_a_new_version(app, client_factory):
    client_id = client_factory(name="Service")["client_id"]
    with app.app_context():
        first = client_cache.cached_client(client_id)
        assert client_cache.cached_client(client_id) is first
        client = db.session.execute(
            db.select(Client).where(Client.client_id == client_id)).scalar_one()
        client.name = "Renamed"
        db.session.commit()
        renamed = client_cache.cached_client(client_id)
        assert renamed is not first and renamed.name == "Renamed"
        assert renamed.version != first.version


def test_a_client_registered_again_under_its_id_is_read_again(app, client_factory):
    client_id = client_factory(name="First")["client_id"]
    with app.app_context():
        assert client_cache.cached_client(client_id).name == "First"
        row = db.session.execute(
            db.select(Client).where(Client.client_id == client_id)).scalar_one()
        db.session.delete(row)
        db.session.commit()
        assert client_cache.cached_client(client_id) is None
        db.session.add(Client(client_id=client_id, name="Second",
                              token_endpoint_auth_method="client_secret_basic"))
        db.session.commit()
        assert client_cache.cached_client(client_id).name == "Second"


def test_copies_are_not_the_sessions_objects(app, client_factory):
    client_id = client_factory(name="Service")["client_id"]
    with app.app_context():
        loaded = db.session.execute(
            db.select(Client).where(Client.client_id == client_id)).scalar_one()
        copy = client_cache.cached_client(client_id)
        assert copy is not loaded and copy not in db.session
        loaded.name = "Changed by an administrator"
        db.session.commit()
        assert client_cache.cached_client(client_id).name == "Changed by an administrator"


def test_unknown_and_malformed_ids_are_not_remembered(app):
    with app.app_context():
        for n in range(100):
            assert client_cache.cached_client(f"guess-{n}") is None
        assert client_cache.cached_client("x\x00") is None
        assert client_cache.cached_client(7) is None
    assert not any(key.startswith("guess-") for key in client_cache._copies)
