"""`idp audit`: read the audit trail of security events."""

import json
from datetime import UTC
from datetime import datetime

import click
from flask.cli import with_appcontext

from ..models.audit import find_events


@click.group("audit", help="The audit trail of security events.")
def audit():
    pass


@audit.command("list")
@click.option("--subject", help="Only events about this subject.")
@click.option("--event", help="Only this event, e.g. login or client_authentication.")
@click.option("--since", help="Only events at or after this ISO 8601 time (UTC unless it "
                              "carries an offset), e.g. 2025-01-31T08:00:00Z.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000),
              help="At most this many of the newest events.")
@click.option("--json", "as_json", is_flag=True, help="Print the events as a JSON array.")
@with_appcontext
def list_events(subject, event, since, limit, as_json):
    """List events, oldest first."""
    events = find_events(subject=subject, event=event, since=_parse_since(since), limit=limit)
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in events], indent=2, ensure_ascii=False))
        return
    for e in events:
        click.echo(f"{e.at.isoformat()} {e.event} {e.outcome} subject={e.subject or '-'} "
                   f"client={e.client_id or '-'} ip={e.ip or '-'} "
                   f"request={e.request_id or '-'} {json.dumps(e.detail, ensure_ascii=False)}")


def _parse_since(value):
    if value is None:
        return None
    try:
        since = datetime.fromisoformat(value)
    except ValueError:
        raise click.UsageError(f"--since {value!r} is not an ISO 8601 date or time, "
                               "e.g. 2025-01-31T08:00:00Z.") from None
    return since if since.tzinfo else since.replace(tzinfo=UTC)
