"""`idp clients`: register and manage relying parties. Validation is the domain's
(idp/registration.py); a bad value is a usage error naming the option."""

import json

import click
from flask.cli import with_appcontext
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .. import registration
from ..extensions import db
from ..models import Client
from ..models.clients import AUTH_METHODS
from ..models.clients import CIBA_GRANT
from ..models.clients import CIBA_MODES
from ..models.clients import GRANT_TYPES
from ..models.clients import ID_TOKEN_ALGS
from ..models.clients import find_client
from ..models.types import utcnow

# Client metadata member -> the option that sets it.
OPTIONS = {
    "client_name": "--name",
    "client_id": "--client-id",
    "redirect_uris": "--redirect-uri",
    "post_logout_redirect_uris": "--post-logout-redirect-uri",
    "backchannel_logout_uri": "--backchannel-logout-uri",
    "grant_types": "--grant-type",
    "scope": "--scope",
    "token_endpoint_auth_method": "--auth-method",
    "jwks": "--jwks",
    "id_token_signed_response_alg": "--id-token-alg",
    "backchannel_token_delivery_mode": "--ciba-mode",
    "backchannel_client_notification_endpoint": "--ciba-notification-endpoint",
}


@click.group("clients", help="Register and manage relying parties.")
def clients():
    pass


@clients.command("create")
@click.option("--name", required=True, help="Name shown to people on the consent page.")
@click.option("--redirect-uri", "redirect_uris", multiple=True,
              help="Exact redirect URI (repeat for several).")
@click.option("--post-logout-redirect-uri", "post_logout_uris", multiple=True,
              help="Exact post-logout redirect URI (repeat for several).")
@click.option("--grant-type", "grant_types", multiple=True, type=click.Choice(GRANT_TYPES),
              help="Allowed grant (repeat; default: authorization_code and refresh_token).")
@click.option("--scope", "scopes", multiple=True,
              help="Allowed scope (repeat, or space-separated; default: openid profile).")
@click.option("--auth-method", type=click.Choice(AUTH_METHODS[:3]), default=None,
              help="Token endpoint authentication (default: client_secret_basic).")
@click.option("--public", is_flag=True, help="A public client (no secret; PKCE protects it).")
@click.option("--jwks", "jwks_json", help="Public JWK Set (JSON) for private_key_jwt.")
@click.option("--id-token-alg", type=click.Choice(ID_TOKEN_ALGS), default="ES256",
              show_default=True)
@click.option("--backchannel-logout-uri", help="Where logout tokens are POSTed.")
@click.option("--client-id", help="Use this client_id instead of a random one.")
@click.option("--ciba-mode", type=click.Choice(CIBA_MODES),
              help="CIBA token delivery (adds the CIBA grant type).")
@click.option("--ciba-notification-endpoint", help="Where CIBA pings are POSTed (ping mode).")
@click.option("--json", "as_json", is_flag=True, help="Print the client as JSON.")
@with_appcontext
def create(name, redirect_uris, post_logout_uris, grant_types, scopes, auth_method, public,
           jwks_json, id_token_alg, backchannel_logout_uri, client_id, ciba_mode,
           ciba_notification_endpoint, as_json):
    """Register a client and print it (with its secret, shown only once)."""
    reg = registration.Registration(
        name=name,
        redirect_uris=list(redirect_uris),
        post_logout_redirect_uris=list(post_logout_uris),
        scopes=list(scopes) if scopes else None,
        token_endpoint_auth_method=auth_method,
        public=public,
        jwks=_parse_jwks(jwks_json) if jwks_json is not None else None,
        id_token_signed_response_alg=id_token_alg,
        backchannel_logout_uri=backchannel_logout_uri,
        client_id=client_id,
        backchannel_token_delivery_mode=ciba_mode,
        backchannel_client_notification_endpoint=ciba_notification_endpoint,
    )
    if grant_types:
        reg.grant_types = list(grant_types)
    if ciba_mode and CIBA_GRANT not in grant_types:
        reg.grant_types = [*grant_types, CIBA_GRANT]
    try:
        client, secret = registration.register(reg)
    except registration.InvalidClientMetadataError as error:
        option = OPTIONS[error.field]
        if error.field == "token_endpoint_auth_method" and public:
            option = "--public / --auth-method"
        raise click.BadParameter(error.reason, param_hint=f"'{option}'") from None
    _print(client, as_json, secret)


@clients.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the clients as a JSON array.")
@with_appcontext
def list_clients(as_json):
    """List the registered clients."""
    rows = db.session.execute(db.select(Client).order_by(Client.created_at)).scalars().all()
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in rows], indent=2))
        return
    for c in rows:
        click.echo(f"{c.client_id}\t{c.token_endpoint_auth_method}\t{c.name}")


@clients.command("show")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print the client as JSON.")
@with_appcontext
def show(client_id, as_json):
    """Show one client (never its secret)."""
    _print(_existing(client_id), as_json)


@clients.command("delete")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_appcontext
def delete(client_id, as_json):
    """Delete a client; its tokens stop working at once."""
    registration.delete(_existing(client_id), utcnow())
    if as_json:
        click.echo(json.dumps({"client_id": client_id, "deleted": True}))
    else:
        click.echo(f"deleted {client_id}")


@clients.command("rotate-secret")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print the client as JSON.")
@with_appcontext
def rotate_secret(client_id, as_json):
    """Give a client a new secret; the old one stops working at once."""
    client = _existing(client_id)
    try:
        secret = registration.rotate_secret(client)
    except registration.InvalidClientMetadataError as error:
        raise click.BadParameter(error.reason, param_hint="'CLIENT_ID'") from None
    _print(client, as_json, secret)


def _existing(client_id):
    client = find_client(client_id)
    if client is None:
        raise click.BadParameter(f"no client {client_id!r}", param_hint="'CLIENT_ID'")
    return client


def _parse_jwks(text):
    try:
        data = json.loads(text)
        KeySet.import_key_set(data)
    except (ValueError, JoseError, TypeError, KeyError, AttributeError) as error:
        raise click.BadParameter(f"not a valid JWK Set: {error}", param_hint="'--jwks'") from None
    return data


def _print(client, as_json, secret=None):
    data = client.to_dict()
    if secret:
        data["client_secret"] = secret
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        for key, value in data.items():
            click.echo(f"{key}: {value}")
