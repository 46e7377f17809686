"""Personalisation of the development cards (development and tests only): SoftHSM2 tokens
that stand in for ID cards, and the PIV emulator's card.

Like a card issuer would, each card makes its key pair itself (on the token, or in the
emulator's key file), proves possession with a certificate request (RFC 2986) signed by
that key, and gets the certificate from the provider's ID-card CA through the PKI
core's `idp pki issue` (the `card` profile); the hierarchy is made with `idp pki init`
when there is none. Idempotent: a card whose certificate comes from the current ID-card
CA for its key is left alone; after a new hierarchy the same keys are certified again.

    python -m connectors.card_reader.personalise --lab DIR [--idp PATH]

writes DIR/cards.json (what the agent, the emulator and tests need) and the SoftHSM2
configuration DIR/softhsm2.conf. Every development card's PIN is DEV_PIN."""

import argparse
import hashlib
import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pkcs11
from asn1crypto import csr as asn1_csr
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat
from pkcs11 import Attribute
from pkcs11 import CertificateType
from pkcs11 import KeyType
from pkcs11 import Mechanism
from pkcs11 import ObjectClass
from pkcs11.util.ec import encode_ec_public_key
from pkcs11.util.ec import encode_named_curve_parameters
from pkcs11.util.rsa import encode_rsa_public_key

DEV_PIN = "123456"
SOFTHSM_MODULES = ("/usr/lib/softhsm/libsofthsm2.so",
                   "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
KEY_ID = b"\x01"
ISSUE_TIMEOUT = 120


@dataclass(frozen=True)
class DevCard:
    label: str
    national_id: str
    given_name: str
    family_name: str
    key: str  # "p256" or "rsa2048"


# Citizens of the civil registry simulator (connectors/civil_registry/citizens.json).
SOFTHSM_CARDS = (
    DevCard("BAWABA-CARD-10293847", "10293847", "Ahmed", "Al Harthy", "p256"),
    DevCard("BAWABA-CARD-10475869", "10475869", "Mohammed", "Al Busaidi", "rsa2048"),
)
EMULATOR_CARD = DevCard("PIV-EMULATOR", "10384756", "Fatma", "Al Balushi", "p256")


class IdpCli:
    """The PKI core's command line (`idp pki …`) in its own process and environment:
    the provider's token is not the cards' SoftHSM2 configuration."""

    def __init__(self, command, environ):
        self.command, self.environ = command, environ

    def run(self, *args):
        result = subprocess.run([self.command, "pki", *args], env=self.environ,
                                capture_output=True, text=True, timeout=ISSUE_TIMEOUT)
        if result.returncode != 0:
            raise SystemExit(f"personalise: idp pki {args[0]} failed: "
                             f"{result.stderr.strip() or result.stdout.strip()}")
        return result.stdout

    def card_ca(self):
        """The ID-card CA's certificate, making the hierarchy first if there is none."""
        rows = json.loads(self.run("authorities", "--json"))
        if not rows:
            print("personalise: no CA hierarchy yet; running idp pki init", flush=True)
            self.run("init", "--json")
            rows = json.loads(self.run("authorities", "--json"))
        certificates = x509.load_pem_x509_certificates(
            self.run("authorities", "--pem").encode())
        return dict(zip([r["name"] for r in rows], certificates, strict=True))["card"]

    def issue(self, csr_pem, card, workdir):
        path = Path(workdir) / f"{card.national_id}.csr"
        path.write_bytes(csr_pem)
        data = json.loads(self.run("issue", "--profile", "card", "--csr", str(path),
                                   "--national-id", card.national_id, "--given-name",
                                   card.given_name, "--family-name", card.family_name,
                                   "--json"))
        path.unlink()
        return x509.load_pem_x509_certificate(data["pem"].encode())


def certified(certificate, ca, public_key):
    """Whether the certificate is the current CA's, for this key."""
    if certificate is None:
        return False
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return (certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
            == public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


def request(public_key, sign, card):
    """A PEM certificate request for public_key; `sign(data)` makes the DER signature
    (ECDSA-Sig-Value, or PKCS #1 v1.5) with SHA-256."""
    info = asn1_csr.CertificationRequestInfo({
        "version": "v1",
        "subject": asn1_x509.Name.build({"common_name": card.national_id}),
        "subject_pk_info": asn1_keys.PublicKeyInfo.load(
            public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)),
        "attributes": [],
    })
    algorithm = "sha256_ecdsa" if isinstance(public_key, ec.EllipticCurvePublicKey) else \
        "sha256_rsa"
    value = asn1_csr.CertificationRequest({
        "certification_request_info": info,
        "signature_algorithm": {"algorithm": algorithm},
        "signature": sign(info.dump()),
    })
    return x509.load_der_x509_csr(value.dump()).public_bytes(Encoding.PEM)


# SoftHSM2 cards


def init_tokens(module, conf, cards):
    """Create the missing tokens (before the module is loaded: SoftHSM2 reads its tokens
    at C_Initialize)."""
    environ = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    shown = subprocess.run(["softhsm2-util", "--show-slots"], env=environ, capture_output=True,
                           text=True, timeout=30).stdout
    labels = {line.split(":", 1)[1].strip() for line in shown.splitlines()
              if line.strip().startswith("Label:")}
    for card in cards:
        if card.label not in labels:
            subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", card.label,
                            "--so-pin", secrets.token_hex(8), "--pin", DEV_PIN],
                           env=environ, check=True, capture_output=True, timeout=30,
                           stdin=subprocess.DEVNULL)


def personalise_token(lib, card, ca, cli, workdir):
    token = lib.get_token(token_label=card.label)
    with token.open(user_pin=DEV_PIN, rw=True) as session:
        public_key = _token_public_key(session) or _generate(session, card)
        certificates = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE,
                                                 Attribute.ID: KEY_ID}))
        current = (x509.load_der_x509_certificate(certificates[0][Attribute.VALUE])
                   if certificates else None)
        if certified(current, ca, public_key):
            return "kept"
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=KEY_ID)

        def sign(data):
            if isinstance(public_key, ec.EllipticCurvePublicKey):
                raw = key.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA)
                half = len(raw) // 2
                return encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                            int.from_bytes(raw[half:], "big"))
            return key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS)

        certificate = cli.issue(request(public_key, sign, card), card, workdir)
        for old in certificates:
            old.destroy()
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True, Attribute.PRIVATE: False,
            Attribute.LABEL: "Authentication", Attribute.ID: KEY_ID,
            Attribute.SUBJECT: certificate.subject.public_bytes(),
            Attribute.ISSUER: certificate.issuer.public_bytes(),
            Attribute.VALUE: certificate.public_bytes(Encoding.DER),
        })
        return "issued"


def _token_public_key(session):
    keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY,
                                     Attribute.ID: KEY_ID}))
    if not keys:
        return None
    if keys[0][Attribute.KEY_TYPE] == KeyType.EC:
        return serialization.load_der_public_key(encode_ec_public_key(keys[0]))
    return serialization.load_der_public_key(encode_rsa_public_key(keys[0]))


def _generate(session, card):
    private = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}
    if card.key == "p256":
        parameters = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
            local=True)
        public, _ = parameters.generate_keypair(store=True, label="Authentication", id=KEY_ID,
                                                private_template=private)
        return serialization.load_der_public_key(encode_ec_public_key(public))
    public, _ = session.generate_keypair(KeyType.RSA, 2048, store=True, label="Authentication",
                                         id=KEY_ID, private_template=private)
    return serialization.load_der_public_key(encode_rsa_public_key(public))


# The emulator's card


def personalise_emulator(lab, ca, cli):
    key_path, cert_path = lab / "emulator-key.pem", lab / "emulator-certificate.pem"
    if key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        key_path.touch(mode=0o600)
        key_path.write_bytes(key.private_bytes(Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    current = (x509.load_pem_x509_certificate(cert_path.read_bytes())
               if cert_path.exists() else None)
    if certified(current, ca, key.public_key()):
        return key_path, cert_path, "kept"
    csr = request(key.public_key(), lambda data: key.sign(data, ec.ECDSA(hashes.SHA256())),
                  EMULATOR_CARD)
    certificate = cli.issue(csr, EMULATOR_CARD, lab)
    cert_path.write_bytes(certificate.public_bytes(Encoding.PEM))
    return key_path, cert_path, "issued"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m connectors.card_reader.personalise",
                                     description="Personalise the development ID cards.")
    parser.add_argument("--lab", required=True, type=Path)
    parser.add_argument("--idp", default=str(Path(sys.executable).with_name("idp")),
                        help="the idp command (PKI core CLI)")
    args = parser.parse_args(argv)
    lab = args.lab.resolve()
    (lab / "tokens").mkdir(parents=True, exist_ok=True)
    conf = lab / "softhsm2.conf"
    if not conf.exists():
        conf.write_text(f"directories.tokendir = {lab / 'tokens'}\nobjectstore.backend = file\n"
                        "log.level = ERROR\n")
    module = next((m for m in SOFTHSM_MODULES if Path(m).exists()), None)
    if module is None:
        raise SystemExit("personalise: libsofthsm2.so not found; run scripts/bootstrap.sh")
    cli = IdpCli(args.idp, dict(os.environ))  # before SOFTHSM2_CONF changes below
    ca = cli.card_ca()
    init_tokens(module, conf, SOFTHSM_CARDS)
    os.environ["SOFTHSM2_CONF"] = str(conf)
    lib = pkcs11.lib(module)
    cards = []
    for card in SOFTHSM_CARDS:
        outcome = personalise_token(lib, card, ca, cli, lab)
        print(f"personalise: SoftHSM2 card {card.label}: {outcome}", flush=True)
        cards.append({"label": card.label, "national_id": card.national_id,
                      "given_name": card.given_name, "family_name": card.family_name,
                      "key": card.key, "pin": DEV_PIN})
    key_path, cert_path, outcome = personalise_emulator(lab, ca, cli)
    print(f"personalise: emulator card: {outcome}", flush=True)
    description = {
        "pin": DEV_PIN,
        "softhsm": {"module": module, "softhsm2_conf": str(conf), "cards": cards},
        "emulator": {"key": str(key_path), "certificate": str(cert_path), "pin": DEV_PIN,
                     "national_id": EMULATOR_CARD.national_id,
                     "given_name": EMULATOR_CARD.given_name,
                     "family_name": EMULATOR_CARD.family_name},
        "card_ca": ca.public_bytes(Encoding.PEM).decode(),
    }
    (lab / "cards.json").write_text(json.dumps(description, indent=2) + "\n")


if __name__ == "__main__":
    main()
