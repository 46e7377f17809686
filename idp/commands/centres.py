"""`idp centres`: registered service centres and their operators (the citizens with the
operator role there). A centre is tied to its OAuth client, the one that exchanges tokens
(register it with `idp clients create … --grant-type
urn:ietf:params:oauth:grant-type:token-exchange`). Changes are audited."""

import json
import re

import click
from flask.cli import with_appcontext

from .. import audit
from ..extensions import db
from ..models.accounts import find_account
from ..models.centres import AssistedWork
from ..models.centres import CentreOperator
from ..models.centres import ServiceCentre
from ..models.centres import centre_of_client
from ..models.centres import find_centre
from ..models.centres import find_operator
from ..models.centres import list_centres
from ..models.centres import operators_of
from ..models.clients import TOKEN_EXCHANGE_GRANT
from ..models.clients import find_client
from ..models.types import utcnow

CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")


@click.group("centres", help="Service centres and their operators.")
def centres():
    pass


@centres.group("operators", help="A centre's operators.")
def operators():
    pass


def _centre(code):
    centre = find_centre(code)
    if centre is None:
        raise click.UsageError(f"No service centre {code!r}.")
    return centre


@centres.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The centre's name (shown to citizens).")
@click.option("--name-ar", help="The centre's Arabic name.")
@click.option("--client-id", required=True, help="The centre's OAuth client.")
@with_appcontext
def add(code, name, name_ar, client_id):
    """Register a service centre."""
    if not CODE.fullmatch(code):
        raise click.UsageError("CODE: 2 to 32 of A-Z 0-9 -, e.g. MCT-01.")
    if not name.strip() or len(name) > 200 or (name_ar is not None and len(name_ar) > 200):
        raise click.UsageError("--name and --name-ar: 1 to 200 characters.")
    client = find_client(client_id)
    if client is None or client.is_public:
        raise click.UsageError(f"No confidential client {client_id!r}.")
    if TOKEN_EXCHANGE_GRANT not in client.grant_types:
        raise click.UsageError(f"The client is not registered for {TOKEN_EXCHANGE_GRANT}.")
    if find_centre(code) is not None or centre_of_client(client_id) is not None:
        raise click.UsageError("The code or the client already belongs to a centre.")
    db.session.add(ServiceCentre(code=code, name=name.strip(), name_ar=name_ar,
                                 client_id=client_id, created_at=utcnow()))
    audit.record("centre_added", client_id=client_id, centre=code)
    db.session.commit()
    click.echo(f"{code} added")


@centres.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def list_command(as_json):
    """List the centres and their operators."""
    rows = [{"code": c.code, "name": c.name, "name_ar": c.name_ar, "client_id": c.client_id,
             "operators": [o.subject for o in operators_of(c.id)]} for c in list_centres()]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"{r['code']}  {r['client_id']}  {r['name']}  "
                   f"operators={','.join(r['operators']) or '-'}")


@operators.command("add")
@click.argument("code")
@click.argument("sub")
@with_appcontext
def add_operator(code, sub):
    """Give the citizen with this `sub` the operator role at the centre."""
    centre = _centre(code)
    account = find_account(sub)
    if account is None or account.locked_at is not None:
        raise click.UsageError(f"No usable account {sub!r}.")
    row = find_operator(centre.id, sub)
    if row is not None and row.removed_at is None:
        raise click.UsageError(f"{sub} is already an operator of {code}.")
    if row is None:
        db.session.add(CentreOperator(centre_id=centre.id, subject=sub, added_at=utcnow()))
    else:
        row.added_at, row.removed_at = utcnow(), None
    audit.record("centre_operator_added", subject=sub, centre=code)
    db.session.commit()
    click.echo(f"{sub} is an operator of {code}")


@operators.command("remove")
@click.argument("code")
@click.argument("sub")
@with_appcontext
def remove_operator(code, sub):
    """Take the operator role at the centre away."""
    centre = _centre(code)
    row = find_operator(centre.id, sub)
    if row is None or row.removed_at is not None:
        raise click.UsageError(f"{sub} is not an operator of {code}.")
    row.removed_at = utcnow()
    audit.record("centre_operator_removed", subject=sub, centre=code)
    db.session.commit()
    click.echo(f"{sub} is no longer an operator of {code}")


@centres.command("work")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def work(code, as_json):
    """The centre's assisted work, newest first."""
    centre = _centre(code)
    rows = [w.to_dict() for w in db.session.scalars(
        db.select(AssistedWork).filter_by(centre_id=centre.id)
        .order_by(AssistedWork.created_at.desc(), AssistedWork.id.desc()))]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"{r['created_at']} {r['id']} {r['state']} operator={r['operator']} "
                   f"citizen={r['citizen']} service={r['service']}")
