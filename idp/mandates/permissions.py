"""The services a mandate may name (`permissions`), with what the person reads."""

from flask_babel import lazy_gettext as _l

PERMISSIONS = {
    "work_permit.issue": _l("Issue work permits"),
    "work_permit.renew": _l("Renew work permits"),
    "exit_permit.issue": _l("Issue exit permits"),
    "absence_report.file": _l("File absence reports"),
    "absence_report.cancel": _l("Cancel absence reports"),
    "profession.change": _l("Change a worker's profession"),
    "service.transfer": _l("Transfer a worker's services"),
    "visa.cancel": _l("Cancel visas"),
}


def known(permissions):
    """The permissions in the listed order, or None when any is unknown or none given."""
    if not permissions or not all(isinstance(p, str) and p in PERMISSIONS for p in permissions):
        return None
    return [p for p in PERMISSIONS if p in set(permissions)]
