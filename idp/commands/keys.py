"""`idp keys`: the signing keys behind the JWKS."""

import json

import click
from flask.cli import with_appcontext

from ..models.keys import all_keys
from ..oauth.keys import ALGORITHMS
from ..oauth.keys import key_ring


@click.group("keys", help="List and rotate signing keys.")
def keys():
    pass


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_keys(as_json):
    rows = [
        {
            "kid": k.kid,
            "alg": k.alg,
            "state": k.state,
            "backend": k.backend,
            "created_at": k.created_at.isoformat(),
            "publish_until": k.publish_until.isoformat() if k.publish_until else None,
        }
        for k in all_keys()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['kid']}\t{row['alg']}\t{row['state']}\t{row['backend']}")


@keys.command("rotate")
@click.option("--alg", "algs", multiple=True, type=click.Choice(ALGORITHMS),
              help="Rotate only these algorithms (default: all).")
@with_appcontext
def rotate(algs):
    """Switch to the published next key, retire the current one (kept in the JWKS until
    its tokens expire) and publish a new next key."""
    ring = key_ring()
    ring.rotate(algs or ALGORITHMS)
    pruned = ring.prune()
    for key in all_keys():
        click.echo(f"{key.kid}\t{key.alg}\t{key.state}")
    if pruned:
        click.echo(f"removed {len(pruned)} expired key(s)")


@keys.command("prune")
@with_appcontext
def prune():
    """Destroy retired keys whose publication window is over (also done by rotate)."""
    pruned = key_ring().prune()
    click.echo(f"removed {len(pruned)} expired key(s)")
