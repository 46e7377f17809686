"""`idp evidence`: why a session stated its level. `show --sid S` (or `--ref R`) prints
the session, the evidence record of its login (method, level, certificate and its
revocation check, MSSP transaction, SMS message, address, browser) and the audit events
that name the session or the record; `list --subject SUB` the evidence records of one
person, newest first."""

import json
from datetime import timedelta

import click
from flask.cli import with_appcontext

from ..authn.evidence import describe
from ..models.audit import find_events
from ..models.cards import evidence_of
from ..models.cards import find_evidence
from ..models.sessions import find_session

EVENT_WINDOW = timedelta(hours=1)  # events before the evidence that may belong to it


@click.group("evidence", help="Evidence of logins: why a session stated its level.")
def evidence():
    pass


@evidence.command("show")
@click.option("--sid", help="The session (the `sid` of its tokens).")
@click.option("--ref", help="The evidence record (a session's evidence_ref).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@with_appcontext
def show(sid, ref, as_json):
    """Show a session's evidence and the audit events of its login."""
    if bool(sid) == bool(ref):
        raise click.UsageError("Give either --sid or --ref.")
    session = None
    if sid:
        session = find_session(sid)
        if session is None:
            raise click.UsageError(f"No session {sid!r} (ended sessions are kept a day).")
        ref = session.evidence_ref
    record = find_evidence(ref) if ref else None
    if record is None and session is None:
        raise click.UsageError(f"No evidence record {ref!r}.")
    report = {
        "session": _session(session) if session is not None else None,
        "evidence": describe(record) if record is not None else None,
        "events": _events(session, record),
    }
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    for title in ("session", "evidence"):
        if report[title] is None:
            click.echo(f"{title}: none")
            continue
        click.echo(f"{title}:")
        for key, value in report[title].items():
            if value is not None:
                click.echo(f"  {key}: {value}")
    click.echo("events:")
    for event in report["events"]:
        click.echo(f"  {event['at']} {event['event']} {event['outcome']} "
                   f"client={event['client_id'] or '-'} ip={event['ip'] or '-'} "
                   f"{json.dumps(event['detail'], ensure_ascii=False)}")


@evidence.command("list")
@click.option("--subject", required=True, help="The person's `sub`.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def list_evidence(subject, limit, as_json):
    """List a person's evidence records, newest first."""
    rows = [describe(r) for r in evidence_of(subject, limit)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"{r['created_at']} {r['ref']} {r['method']} {r['acr'] or '-'} "
                   f"ip={r['ip'] or '-'} serial={r['certificate_serial'] or '-'}")


def _session(record):
    def when(value):
        return value.isoformat() if value is not None else None

    return {"sid": record.sid, "subject": record.subject, "method": record.method,
            "acr": record.acr, "amr": record.amr, "auth_time": record.auth_time,
            "evidence_ref": record.evidence_ref, "ip": record.ip,
            "user_agent": record.user_agent, "created_at": when(record.created_at),
            "last_seen_at": when(record.last_seen_at), "expires_at": when(record.expires_at),
            "ended_at": when(record.ended_at)}


def _events(session, record):
    """The audit events naming the session (`sid`) or the evidence record (`evidence`)."""
    subject = session.subject if session is not None else record.subject
    start = record.created_at if record is not None else session.created_at
    events = find_events(subject=subject, since=start - EVENT_WINDOW, limit=10_000)
    sid = session.sid if session is not None else None
    ref = record.ref if record is not None else None
    return [e.to_dict() for e in events
            if (sid and e.detail.get("sid") == sid) or (ref and e.detail.get("evidence") == ref)]
