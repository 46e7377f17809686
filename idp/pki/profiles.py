"""Certificate profiles (RFC 5280 §4.1.2.6 subject, §4.2 extensions): what the hierarchy and
each kind of citizen certificate contain. The subject of a citizen certificate is built
from the citizen's data only; nothing is taken from the request.

Object identifiers live under a DEVELOPMENT arc: 1.3.6.1.4.1.32473 is the private
enterprise number IANA reserves for documentation (RFC 5612 §2). Before production the
arc must be replaced by Bawaba's own enterprise number; certificates issued under the
development arc must never be trusted outside development."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

from .errors import InvalidCitizenDataError
from .errors import UnknownProfileError

DEVELOPMENT_ARC = "1.3.6.1.4.1.32473.2026"
POLICY_ARC = DEVELOPMENT_ARC + ".1"
CARD_POLICY = x509.ObjectIdentifier(POLICY_ARC + ".1")
SIM_POLICY = x509.ObjectIdentifier(POLICY_ARC + ".2")

CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH
OCSP_SIGNING = ExtendedKeyUsageOID.OCSP_SIGNING


@dataclass(frozen=True)
class Profile:
    """A kind of citizen certificate: which CA issues it, under which policy."""

    name: str
    authority: str
    policy: x509.ObjectIdentifier
    validity: timedelta
    description: str


PROFILES = {
    "card": Profile("card", "card", CARD_POLICY, timedelta(days=5 * 365),
                    "ID card authentication"),
    "sim": Profile("sim", "sim", SIM_POLICY, timedelta(days=5 * 365),
                   "Mobile ID (PKI SIM) authentication"),
}


@dataclass(frozen=True)
class AuthoritySpec:
    """One member of the hierarchy made by `idp pki init`."""

    name: str
    role: str  # "root", "issuing" or "ocsp"
    parent: str | None
    curve: str
    common_name: str
    validity: timedelta
    policy: x509.ObjectIdentifier | None = None


HIERARCHY = (
    AuthoritySpec("root", "root", None, "secp384r1", "Bawaba Development Root CA",
                  timedelta(days=20 * 365)),
    AuthoritySpec("card", "issuing", "root", "secp256r1", "Bawaba Development ID Card CA",
                  timedelta(days=10 * 365), CARD_POLICY),
    AuthoritySpec("sim", "issuing", "root", "secp256r1", "Bawaba Development Mobile ID CA",
                  timedelta(days=10 * 365), SIM_POLICY),
    AuthoritySpec("root-ocsp", "ocsp", "root", "secp256r1",
                  "Bawaba Development Root CA OCSP Responder", timedelta(days=365)),
    AuthoritySpec("card-ocsp", "ocsp", "card", "secp256r1",
                  "Bawaba Development ID Card CA OCSP Responder", timedelta(days=365)),
    AuthoritySpec("sim-ocsp", "ocsp", "sim", "secp256r1",
                  "Bawaba Development Mobile ID CA OCSP Responder", timedelta(days=365)),
)


def find_profile(name):
    profile = PROFILES.get(name) if isinstance(name, str) else None
    if profile is None:
        raise UnknownProfileError(f"unknown profile {name!r}")
    return profile


@dataclass(frozen=True)
class Citizen:
    national_id: str
    given_name: str | None = None
    family_name: str | None = None


NATIONAL_ID = re.compile(r"[0-9A-Z]{4,32}")
NAME_MAX = 64


def check_citizen(national_id, given_name=None, family_name=None):
    """The citizen's data as it may appear in a subject: a national ID of 4-32 digits or
    capital letters (it goes in a PrintableString), names of printable letters."""
    if not isinstance(national_id, str) or not NATIONAL_ID.fullmatch(national_id):
        raise InvalidCitizenDataError("national ID must be 4-32 digits or capital letters")
    names = []
    for label, value in (("given name", given_name), ("family name", family_name)):
        if value is None or value == "":
            names.append(None)
            continue
        value = unicodedata.normalize("NFC", value.strip()) if isinstance(value, str) else None
        if not value or len(value) > NAME_MAX or not all(_name_char(c) for c in value):
            raise InvalidCitizenDataError(f"{label} must be 1-{NAME_MAX} letters")
        names.append(value)
    return Citizen(national_id, *names)


def _name_char(char):
    return char in " -'." or unicodedata.category(char)[0] in "LM"


def citizen_subject(citizen, country):
    """Subject name: C, family and given names, serialNumber = national ID (RFC 5280
    Appendix A, X.520 serialNumber), and a CN of FAMILY,GIVEN,ID."""
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, country)]
    if citizen.family_name:
        attributes.append(x509.NameAttribute(NameOID.SURNAME, citizen.family_name))
    if citizen.given_name:
        attributes.append(x509.NameAttribute(NameOID.GIVEN_NAME, citizen.given_name))
    attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, citizen.national_id))
    common = ",".join(n for n in (citizen.family_name, citizen.given_name) if n)
    common = f"{common},{citizen.national_id}" if common else citizen.national_id
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common.upper()[:64]))
    return x509.Name(attributes)


def authority_subject(spec, country, organization):
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, spec.common_name),
    ])
