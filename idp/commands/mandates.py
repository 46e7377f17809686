"""`idp mandates`: establishment mandates for administrators: list, show, revoke, and the
review queue of certified-letter requests (`idp mandates review list|approve|reject`).
Changes are audited under `--by` (the administrator) and the agent gets an SMS; input is
checked by the domain's own rules and refused with a usage error."""

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from connectors.chamber import LetterRejectedError
from connectors.errors import ThrottledError
from connectors.errors import UnavailableError

from ..extensions import db
from ..mandates import CHAMBER
from ..mandates import errors
from ..mandates import service
from ..models.mandates import PENDING
from ..models.mandates import find_mandate
from ..models.mandates import search_mandates
from ..models.types import utcnow

STATES = ("pending", "active", "scheduled", "expired", "rejected", "revoked")
BY = click.option("--by", required=True, help="Who does this (recorded in the audit trail).")


@click.group("mandates", help="Establishment mandates: list, show, revoke, review.")
def mandates():
    pass


@mandates.group("review", help="Certified-letter requests waiting for review.")
def review():
    pass


def _line(m):
    return (f"{m['id']}  {m['state']:<9}  {m['establishment']['cr_number']}  "
            f"{m['agent_national_id']}  {m['source']:<6}  {m['starts_at'][:10]}..."
            f"{m['ends_at'][:10]}  {','.join(m['permissions'])}  "
            f"{m['establishment']['name']}")


def _print(rows, as_json):
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(_line(row))


@mandates.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only mandates in this state.")
@click.option("--agent", help="Only the agent with this national ID.")
@click.option("--establishment", help="Only the establishment with this CR number.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def list_command(state, agent, establishment, as_json):
    """List mandates, oldest first."""
    now = utcnow()
    rows = [m.to_dict(now) for m in search_mandates(agent_national_id=agent,
                                                    establishment_cr=establishment)]
    _print([r for r in rows if state is None or r["state"] == state], as_json)


@mandates.command("show")
@click.argument("mandate_id")
@with_appcontext
def show(mandate_id):
    """Show one mandate (JSON)."""
    mandate = find_mandate(mandate_id)
    if mandate is None:
        raise click.UsageError(f"No mandate {mandate_id!r}.")
    click.echo(json.dumps(mandate.to_dict(utcnow()), indent=2, ensure_ascii=False))


@mandates.command("revoke")
@click.argument("mandate_id")
@click.option("--reason", required=True, help="Why (recorded; not sent to the agent).")
@BY
@with_appcontext
def revoke(mandate_id, reason, by):
    """Revoke a mandate: tokens stop stating it at once."""
    _change(lambda: service.revoke(mandate_id, by, reason, utcnow()), "revoked")


@review.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def review_list(as_json):
    """The requests waiting for review, oldest first."""
    now = utcnow()
    _print([m.to_dict(now) for m in search_mandates(status=PENDING)
            if m.revoked_at is None], as_json)


@review.command("approve")
@click.argument("mandate_id")
@BY
@with_appcontext
def approve(mandate_id, by):
    """Approve a request once its letter checks out with the chamber again."""
    chamber = current_app.extensions.get(CHAMBER)
    if chamber is None:
        raise click.ClickException("No chamber of commerce is configured (CHAMBER_URL).")
    _change(lambda: service.approve(chamber, mandate_id, by, utcnow()), "approved")


@review.command("reject")
@click.argument("mandate_id")
@click.option("--reason", required=True, help="Why (recorded).")
@BY
@with_appcontext
def reject(mandate_id, reason, by):
    """Reject a request."""
    _change(lambda: service.reject(mandate_id, by, reason, utcnow()), "rejected")


def _change(action, done):
    try:
        mandate = action()
    except errors.MandateError as error:
        db.session.commit()  # the refusal's audit event
        raise click.UsageError(f"{error.code}: {error.detail or error.code}") from None
    except LetterRejectedError as error:
        db.session.commit()
        raise click.ClickException(f"{error.code}: {error}") from None
    except (UnavailableError, ThrottledError):
        db.session.rollback()
        raise click.ClickException("The chamber of commerce cannot be reached.") from None
    db.session.commit()
    click.echo(f"{mandate.ref} {done}")
