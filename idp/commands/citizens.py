"""`idp citizens`: the help desk's view of registered citizens: list, show, lock, unlock
(also lifts the lock of too many failures) and set-phone (the number codes go to).
Every change is audited; input is checked by the domain's own rules (national ID format,
E.164 mobile numbers) and refused with a usage error."""

import json

import click
from flask.cli import with_appcontext

from connectors.civil_registry import normalise_national_id
from connectors.errors import InvalidDataError
from connectors.msisdn import normalise_msisdn

from .. import audit
from ..extensions import db
from ..models import OtpChallenge
from ..models.citizens import find_citizen
from ..models.citizens import list_citizens
from ..models.types import utcnow


@click.group("citizens", help="Registered citizens: list, show, lock, unlock, set-phone.")
def citizens():
    pass


def _describe(citizen):
    account = citizen.account
    return {
        "national_id": citizen.national_id,
        "sub": account.sub,
        "name": account.profile.get("name"),
        "name_ar": account.profile.get("name#ar"),
        "phone_number": citizen.phone_number,
        "phone_verified": citizen.phone_verified_at is not None,
        "registered_at": citizen.registered_at.isoformat(),
        "last_login_at": citizen.last_login_at.isoformat() if citizen.last_login_at else None,
        "failed_attempts": citizen.failed_attempts,
        "locked_at": citizen.locked_at.isoformat() if citizen.locked_at else None,
        "lock_reason": citizen.lock_reason,
    }


def _citizen(value):
    try:
        national_id = normalise_national_id(value)
    except InvalidDataError:
        raise click.UsageError(f"{value!r} is not a national ID number (6 to 12 digits).") \
            from None
    citizen = find_citizen(national_id)
    if citizen is None:
        raise click.UsageError(f"No registered citizen has national ID {national_id}.")
    return citizen


@citizens.command("list")
@click.option("--locked", is_flag=True, help="Only locked accounts.")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def list_command(locked, limit, as_json):
    """List registered citizens, oldest registration first."""
    found = [_describe(c) for c in list_citizens(locked=True if locked else None, limit=limit)]
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    for c in found:
        state = f"locked ({c['lock_reason']})" if c["locked_at"] else "active"
        click.echo(f"{c['national_id']}  {c['sub']}  {c['phone_number']}  {state}  "
                   f"failures={c['failed_attempts']}  {c['name'] or '-'}")


@citizens.command("show")
@click.argument("national_id")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@with_appcontext
def show(national_id, as_json):
    """Show one citizen."""
    described = _describe(_citizen(national_id))
    if as_json:
        click.echo(json.dumps(described, indent=2, ensure_ascii=False))
        return
    for key, value in described.items():
        click.echo(f"{key}: {'-' if value is None else value}")


@citizens.command("lock")
@click.argument("national_id")
@click.option("--reason", default="admin", show_default=True,
              help="A short word recorded with the lock, e.g. fraud or request.")
@with_appcontext
def lock(national_id, reason):
    """Lock an account: no login until `idp citizens unlock`."""
    citizen = _citizen(national_id)
    if citizen.locked_at is not None:
        raise click.UsageError(f"{citizen.national_id} is already locked "
                               f"({citizen.lock_reason}).")
    citizen.locked_at = utcnow()
    citizen.lock_reason = reason[:32]
    audit.record("lock", subject=citizen.account.sub, reason=citizen.lock_reason, by="cli")
    db.session.commit()
    click.echo(f"locked {citizen.national_id}")


@citizens.command("unlock")
@click.argument("national_id")
@with_appcontext
def unlock(national_id):
    """Lift a lock (an administrator's, or the one after too many failures)."""
    citizen = _citizen(national_id)
    if citizen.locked_at is None and not citizen.failed_attempts:
        raise click.UsageError(f"{citizen.national_id} is not locked.")
    previous = citizen.lock_reason
    citizen.locked_at = None
    citizen.lock_reason = None
    citizen.failed_attempts = 0
    audit.record("unlock", subject=citizen.account.sub, reason=previous, by="cli")
    db.session.commit()
    click.echo(f"unlocked {citizen.national_id}")


@citizens.command("set-phone")
@click.argument("national_id")
@click.argument("number")
@with_appcontext
def set_phone(national_id, number):
    """Change the mobile number codes are sent to (e.g. after the civil registry updated
    it). The number counts as verified again once a code sent to it is entered; codes in
    flight to the old number stop working."""
    citizen = _citizen(national_id)
    try:
        phone = normalise_msisdn(number, default_region=None)
    except InvalidDataError:
        raise click.UsageError(f"{number!r} is not a mobile number in international form, "
                               "e.g. +96891234567.") from None
    old = citizen.phone_number
    if phone == old:
        raise click.UsageError(f"{citizen.national_id} already has {phone}.")
    citizen.phone_number = phone
    citizen.phone_verified_at = None
    account = citizen.account
    account.profile = {**account.profile, "phone_number": phone,
                       "phone_number_verified": False}
    db.session.execute(db.delete(OtpChallenge).where(OtpChallenge.citizen_id == citizen.id,
                                                     OtpChallenge.used_at.is_(None)))
    audit.record("phone_changed", subject=account.sub, old_phone=old, new_phone=phone, by="cli")
    db.session.commit()
    click.echo(f"{citizen.national_id}: {old} -> {phone}")
