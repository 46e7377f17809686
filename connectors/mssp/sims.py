"""The simulated SIMs: the manifest (``dev_sims.json``) and their personalisation.

``python -m connectors.mssp.sims setup --dir instance/mssp`` (run by
``certs/dev-sims.sh``) makes, for every SIM of the manifest, a SoftHSM2 token labelled
with the MSISDN whose PIN is the SIM PIN, a P-256 key generated on it, and a certificate
issued by the PKI core through its own command (``idp pki init`` when there is no
hierarchy yet, then ``idp pki issue --profile sim``) for the SIM's national ID and
names. It is idempotent: tokens, keys and certificates that are still good are kept; a
certificate is issued again only when the hierarchy changed. Development only.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat
from cryptography.x509.oid import NameOID

from connectors.errors import ConfigurationError
from connectors.errors import InvalidMsisdnError
from connectors.msisdn import normalise_msisdn
from connectors.mssp.errors import CONNECTOR
from connectors.mssp.sim_token import SimTokens

DEV_SIMS = Path(__file__).with_name("dev_sims.json")
PROFILES = ("sim", "card")


@dataclass(frozen=True)
class SimSpec:
    msisdn: str
    national_id: str
    given_name: str
    family_name: str
    pin: str
    profile: str = "sim"
    key: bool = True
    certificate: bool = True
    note: str = ""


def load_manifest(path: str | Path = DEV_SIMS) -> dict[str, SimSpec]:
    """The SIMs by MSISDN; ConfigurationError if an entry is unusable."""
    with open(path, encoding="utf-8") as handle:
        entries = json.load(handle)["sims"]
    sims = {}
    for entry in entries:
        try:
            sim = SimSpec(**entry)
            valid = normalise_msisdn(sim.msisdn, default_region=None) == sim.msisdn
        except (TypeError, InvalidMsisdnError):
            valid = False
        if not valid or sim.msisdn in sims or not (sim.pin.isdigit() and 4 <= len(sim.pin) <= 8) \
                or sim.profile not in PROFILES or (sim.certificate and not sim.key):
            raise ConfigurationError(f"bad SIM entry {entry.get('msisdn')!r} in {path}",
                                     connector=CONNECTOR)
        sims[sim.msisdn] = sim
    return sims


def prepare(tokens: SimTokens, sims: dict[str, SimSpec]) -> list[str]:
    """Tokens for every SIM and keys where the manifest wants one; what was made."""
    made = []
    for sim in sims.values():
        if tokens.create(sim.msisdn, sim.pin):
            made.append(f"{sim.msisdn}: token")
        if sim.key and tokens.generate_key(sim.msisdn, sim.pin):
            made.append(f"{sim.msisdn}: key")
    return made


def issuer_chain(leaf: x509.Certificate, authorities: list[x509.Certificate]) -> list:
    """``leaf`` and the CAs above it from ``authorities``, without the self-signed root;
    empty if ``leaf`` was not issued by one of them."""
    chain = [leaf]
    while len(chain) <= len(authorities):
        child = chain[-1]
        issuer = next((a for a in authorities if a.subject == child.issuer
                       and _issued_by(child, a)), None)
        if issuer is None:
            return []
        if issuer.subject == issuer.issuer:
            return chain
        chain.append(issuer)
    return []


def _issued_by(child, issuer) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def certificate_is_current(tokens: SimTokens, sim: SimSpec, authorities: list,
                           now: datetime) -> bool:
    """The SIM holds a certificate for its key and national ID, valid at ``now`` and issued
    within the current hierarchy."""
    chain = tokens.chain(sim.msisdn)
    if not chain:
        return False
    leaf = chain[0]
    serial = [a.value for a in leaf.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)]
    spki = leaf.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return (serial == [sim.national_id] and spki == tokens.public_key_der(sim.msisdn)
            and leaf.not_valid_before_utc <= now < leaf.not_valid_after_utc
            and issuer_chain(leaf, authorities) == chain)


def sim_table(sims: dict[str, SimSpec]) -> str:
    rows = [("MSISDN", "National ID", "PIN", "Name", "Certificate", "Note")]
    for s in sims.values():
        certificate = ("none" if not s.certificate else
                       "Mobile ID CA" if s.profile == "sim" else "ID card CA")
        rows.append((s.msisdn, s.national_id, s.pin, f"{s.given_name} {s.family_name}",
                     certificate if s.key else "no key", s.note))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


# Setup through the PKI core's command

class Issuer:
    """Runs ``idp pki`` in the provider's environment (its database and CA token)."""

    def __init__(self, idp: list[str], environment: dict):
        self.idp, self.environment = idp, environment

    def _run(self, *args: str) -> str:
        done = subprocess.run([*self.idp, "pki", *args], env=self.environment,
                              capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"dev-sims: idp pki {args[0]} failed:\n{done.stderr.strip()}")
        return done.stdout

    def authorities(self) -> list[x509.Certificate]:
        pem = self._run("authorities", "--pem")
        return x509.load_pem_x509_certificates(pem.encode()) if pem.strip() else []

    def init(self) -> None:
        self._run("init")

    def issue(self, sim: SimSpec, csr: bytes) -> x509.Certificate:
        with tempfile.TemporaryDirectory() as work:
            request, issued = Path(work, "sim.csr"), Path(work, "sim.pem")
            request.write_bytes(csr)
            self._run("issue", "--profile", sim.profile, "--csr", str(request),
                      "--national-id", sim.national_id, "--given-name", sim.given_name,
                      "--family-name", sim.family_name, "--out", str(issued))
            return x509.load_pem_x509_certificate(issued.read_bytes())


def setup(tokens: SimTokens, sims: dict[str, SimSpec], issuer: Issuer,
          now: datetime) -> list[str]:
    """Make or refresh every SIM; returns what was done."""
    done = prepare(tokens, sims)
    authorities = issuer.authorities()
    if not authorities:
        issuer.init()
        authorities = issuer.authorities()
        done.append("PKI hierarchy created (idp pki init)")
    for sim in sims.values():
        if not sim.certificate or certificate_is_current(tokens, sim, authorities, now):
            continue
        leaf = issuer.issue(sim, tokens.certificate_request(sim.msisdn, sim.pin))
        chain = issuer_chain(leaf, authorities)
        if not chain:
            raise SystemExit(f"dev-sims: the certificate of {sim.msisdn} is outside the "
                             "hierarchy")
        tokens.install(sim.msisdn, sim.pin, chain)
        done.append(f"{sim.msisdn}: certificate {leaf.serial_number:x} ({sim.profile})")
    return done


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m connectors.mssp.sims",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("setup", "table"))
    parser.add_argument("--dir", type=Path, default=Path("instance/mssp"),
                        help="SIM token directory (its own SOFTHSM2_CONF)")
    parser.add_argument("--manifest", type=Path, default=DEV_SIMS)
    parser.add_argument("--idp", default=str(Path(sys.executable).with_name("idp")),
                        help="the provider's idp command")
    args = parser.parse_args(argv)
    sims = load_manifest(args.manifest)
    if args.command == "setup":
        issuer = Issuer(shlex.split(args.idp), dict(os.environ))  # before SoftHSM2 is pointed here
        done = setup(SimTokens(args.dir), sims, issuer, datetime.now(UTC))
        print("\n".join(f"dev-sims: {line}" for line in done) or "dev-sims: all SIMs ready")
        print(f"dev-sims: SIM tokens in {args.dir.resolve()}")
    print(sim_table(sims))


if __name__ == "__main__":
    main()
