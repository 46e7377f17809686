"""`idp clients`: register and manage relying parties."""

import json
import secrets

import click
from flask.cli import with_appcontext
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..extensions import db
from ..models import Client
from ..models.clients import AUTH_METHODS
from ..models.clients import GRANT_TYPES
from ..models.clients import ID_TOKEN_ALGS
from ..models.clients import find_client
from ..registration import check_redirect_uri


@click.group("clients", help="Register and manage relying parties.")
def clients():
    pass


@clients.command("create")
@click.option("--name", required=True, help="Name shown to people on the consent page.")
@click.option("--redirect-uri", "redirect_uris", multiple=True,
              help="Exact redirect URI (repeat for several).")
@click.option("--post-logout-redirect-uri", "post_logout_uris", multiple=True)
@click.option("--grant-type", "grant_types", multiple=True, type=click.Choice(GRANT_TYPES))
@click.option("--scope", "scopes", multiple=True, help="Allowed scope (repeat for several).")
@click.option("--auth-method", type=click.Choice(AUTH_METHODS[:3]), default=None,
              help="Token endpoint authentication (confidential clients).")
@click.option("--public", is_flag=True, help="A public client (no secret; PKCE protects it).")
@click.option("--jwks", "jwks_json", help="Public JWK Set (JSON) for private_key_jwt.")
@click.option("--id-token-alg", type=click.Choice(ID_TOKEN_ALGS), default="ES256")
@click.option("--backchannel-logout-uri")
@click.option("--client-id", help="Use this client_id instead of a random one.")
@click.option("--json", "as_json", is_flag=True, help="Print the client as JSON.")
@with_appcontext
def create(name, redirect_uris, post_logout_uris, grant_types, scopes, auth_method, public,
           jwks_json, id_token_alg, backchannel_logout_uri, client_id, as_json):
    """Register a client and print it (with its secret, shown only once)."""
    grant_types = list(grant_types) or ["authorization_code", "refresh_token"]
    if public and auth_method:
        raise click.UsageError("--public and --auth-method exclude each other.")
    if public and "client_credentials" in grant_types:
        raise click.UsageError("--grant-type client_credentials needs a confidential client.")
    method = "none" if public else (auth_method or "client_secret_basic")
    if "authorization_code" in grant_types and not redirect_uris:
        raise click.UsageError("--redirect-uri is required for the authorization_code grant.")
    for uri in (*redirect_uris, *post_logout_uris):
        problem = check_redirect_uri(uri)
        if problem:
            raise click.UsageError(f"--redirect-uri {uri!r}: {problem}")
    if backchannel_logout_uri and check_redirect_uri(backchannel_logout_uri):
        raise click.UsageError("--backchannel-logout-uri must be an absolute http(s) URI.")
    jwks = _parse_jwks(jwks_json) if jwks_json else None
    if method == "private_key_jwt" and not jwks:
        raise click.UsageError("--auth-method private_key_jwt needs --jwks.")
    if client_id and find_client(client_id):
        raise click.UsageError(f"--client-id {client_id!r} already exists.")
    client = Client(
        client_id=client_id or secrets.token_urlsafe(16),
        name=name,
        redirect_uris=list(redirect_uris),
        post_logout_redirect_uris=list(post_logout_uris),
        grant_types=grant_types,
        scope=" ".join(scopes or ["openid", "profile"]),
        token_endpoint_auth_method=method,
        jwks=jwks,
        id_token_signed_response_alg=id_token_alg,
        backchannel_logout_uri=backchannel_logout_uri,
    )
    secret = None
    if method in ("client_secret_basic", "client_secret_post"):
        secret = secrets.token_urlsafe(32)
        client.set_secret(secret)
    db.session.add(client)
    db.session.commit()
    _print(client, as_json, secret)


@clients.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_clients(as_json):
    rows = db.session.execute(db.select(Client).order_by(Client.created_at)).scalars().all()
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in rows], indent=2))
        return
    for c in rows:
        click.echo(f"{c.client_id}\t{c.token_endpoint_auth_method}\t{c.name}")


@clients.command("show")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def show(client_id, as_json):
    _print(_existing(client_id), as_json)


@clients.command("delete")
@click.argument("client_id")
@with_appcontext
def delete(client_id):
    db.session.delete(_existing(client_id))
    db.session.commit()
    click.echo(f"deleted {client_id}")


@clients.command("rotate-secret")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def rotate_secret(client_id, as_json):
    client = _existing(client_id)
    if client.token_endpoint_auth_method not in ("client_secret_basic", "client_secret_post"):
        raise click.UsageError(f"client {client_id!r} does not use a client secret.")
    secret = secrets.token_urlsafe(32)
    client.set_secret(secret)
    db.session.commit()
    _print(client, as_json, secret)


def _existing(client_id):
    client = find_client(client_id)
    if client is None:
        raise click.UsageError(f"no client {client_id!r}.")
    return client


def _parse_jwks(text):
    try:
        data = json.loads(text)
        KeySet.import_key_set(data)
    except (ValueError, JoseError, TypeError, KeyError) as error:
        raise click.UsageError(f"--jwks is not a valid JWK Set: {error}") from None
    if any("d" in k for k in data.get("keys", [])):
        raise click.UsageError("--jwks must hold public keys only.")
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
