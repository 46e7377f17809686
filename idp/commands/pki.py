"""`idp pki`: the certificate authority: hierarchy, issuance, revocation, CRLs."""

import json
from pathlib import Path

import click
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from flask.cli import with_appcontext

from .. import audit
from ..extensions import db
from ..models.certificates import STATUSES
from ..models.types import utcnow
from ..pki import crl
from ..pki.ca import serial_text
from ..pki.errors import PkiError
from ..pki.hsm import TokenError
from ..pki.profiles import PROFILES
from ..pki.profiles import check_citizen
from ..web.pki import certificate_authority
from ..web.pki import crl_validity


@click.group("pki", help="The certificate authority: hierarchy, issuance, revocation.")
def pki():
    pass


def _domain(action):
    """Run a domain action; bad input becomes a usage error, token trouble an error."""
    try:
        return action()
    except PkiError as error:
        db.session.rollback()
        raise click.UsageError(error.detail) from None
    except TokenError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None


@pki.command("init")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def init(as_json):
    """Create the hierarchy: root CA, ID card CA, Mobile ID CA and their OCSP responders,
    with keys in the PKCS#11 token."""
    ca = certificate_authority()
    now = utcnow()
    rows = _domain(lambda: ca.create_hierarchy(now))
    for row in rows:
        if row.role != "ocsp":
            crl.publish(ca, row, now, crl_validity())
    audit.record("pki_hierarchy_created", authorities=[r.name for r in rows])
    db.session.commit()
    _print_authorities(rows, as_json)


@pki.command("authorities")
@click.option("--json", "as_json", is_flag=True)
@click.option("--pem", is_flag=True, help="Print the certificates as PEM.")
@with_appcontext
def authorities(as_json, pem):
    """The hierarchy's CAs and OCSP responders."""
    rows = certificate_authority().store.authorities()
    if pem:
        for row in rows:
            click.echo(row.certificate.public_bytes(Encoding.PEM).decode(), nl=False)
        return
    _print_authorities(rows, as_json)


@pki.command("issue")
@click.option("--profile", required=True, help=f"One of: {', '.join(PROFILES)}.")
@click.option("--csr", "csr_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Certificate signing request made on the card or SIM (PEM or DER).")
@click.option("--national-id", required=True)
@click.option("--given-name")
@click.option("--family-name")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the certificate (PEM) here.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def issue(profile, csr_path, national_id, given_name, family_name, out, as_json):
    """Issue a citizen certificate. The subject comes from --national-id and the names,
    never from the request."""
    ca = certificate_authority()
    data = csr_path.read_bytes()

    def action():
        citizen = check_citizen(national_id, given_name, family_name)
        return ca.issue(profile, data, citizen, utcnow())

    row, certificate = _domain(action)
    audit.record("pki_certificate_issued", subject=national_id, serial=row.serial,
                 profile=row.profile, via="cli")
    db.session.commit()
    pem = certificate.public_bytes(Encoding.PEM).decode()
    if out:
        out.write_text(pem)
    if as_json:
        click.echo(json.dumps({**row.to_dict(), "pem": pem}, indent=2))
    elif not out:
        click.echo(pem, nl=False)
    else:
        click.echo(f"issued {row.serial} to {out}")


@pki.command("revoke")
@click.option("--serial", required=True, help="Serial number (hex).")
@click.option("--reason", default="unspecified", show_default=True,
              help=f"RFC 5280 reason: {', '.join(crl.REASONS)}.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def revoke(serial, reason, as_json):
    """Revoke a certificate (certificateHold suspends it) and publish a new CRL."""
    ca = certificate_authority()
    row = _domain(lambda: crl.revoke(ca, serial, reason, utcnow(), crl_validity()))
    audit.record("pki_certificate_revoked", subject=row.national_id, serial=row.serial,
                 reason=reason, via="cli")
    db.session.commit()
    _print_certificate(row, as_json)


@pki.command("release")
@click.option("--serial", required=True, help="Serial number (hex).")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def release(serial, as_json):
    """Release a certificate from hold and publish a new CRL."""
    ca = certificate_authority()
    row = _domain(lambda: crl.release(ca, serial, utcnow(), crl_validity()))
    audit.record("pki_certificate_released", subject=row.national_id, serial=row.serial,
                 via="cli")
    db.session.commit()
    _print_certificate(row, as_json)


@pki.command("crl")
@click.option("--authority", "name", required=True, help="CA name (root, card, sim).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the CRL (DER) here.")
@with_appcontext
def publish_crl(name, out):
    """Publish a fresh CRL now (run at least daily)."""
    ca = certificate_authority()

    def action():
        authority = ca.authority(name)
        if authority.role == "ocsp":
            raise click.UsageError(f"{name!r} is an OCSP responder, not a CA.")
        return crl.publish(ca, authority, utcnow(), crl_validity())

    published = _domain(action)
    db.session.commit()
    if out:
        out.write_bytes(published.public_bytes(Encoding.DER))
    number = published.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    click.echo(f"published CRL {number} of {name}, next update "
               f"{published.next_update_utc.isoformat()}")


@pki.command("list")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--profile")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_certificates(status, profile, as_json):
    """Issued certificates, oldest first."""
    _print_rows(certificate_authority().store.search(status=status, profile=profile), as_json)


@pki.command("search")
@click.option("--national-id")
@click.option("--serial")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def search(national_id, serial, status, as_json):
    """Certificates by national ID, serial number and status."""
    if not (national_id or serial or status):
        raise click.UsageError("give --national-id, --serial or --status.")
    if serial:
        serial = _domain(lambda: serial_text(serial))
    rows = certificate_authority().store.search(national_id=national_id, serial=serial,
                                                status=status)
    _print_rows(rows, as_json)


@pki.command("show")
@click.argument("serial")
@click.option("--json", "as_json", is_flag=True)
@click.option("--pem", is_flag=True, help="Print the certificate as PEM.")
@with_appcontext
def show(serial, as_json, pem):
    """One certificate by serial number."""
    row = _domain(lambda: certificate_authority().find(serial))
    if pem:
        certificate = x509.load_der_x509_certificate(row.der)
        click.echo(certificate.public_bytes(Encoding.PEM).decode(), nl=False)
        return
    _print_certificate(row, as_json)


def _print_rows(rows, as_json):
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in rows], indent=2))
        return
    for r in rows:
        click.echo(f"{r.serial}\t{r.profile}\t{r.state}\t{r.national_id or '-'}\t{r.subject}")


def _print_certificate(row, as_json):
    if as_json:
        click.echo(json.dumps(row.to_dict(), indent=2))
        return
    for key, value in row.to_dict().items():
        click.echo(f"{key}: {value}")


def _print_authorities(rows, as_json):
    data = [{"name": r.name, "role": r.role, "parent": r.parent.name if r.parent else None,
             "subject": r.certificate.subject.rfc4514_string(),
             "serial": serial_text(r.certificate.serial_number),
             "not_after": r.certificate.not_valid_after_utc.isoformat()} for r in rows]
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for item in data:
        click.echo(f"{item['name']}\t{item['role']}\t{item['serial']}\t{item['subject']}")
