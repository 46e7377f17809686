"""Helpers for the PKI tests: the hierarchy made through the CLI, requests made with
software citizen keys (the CA's keys are in SoftHSM2), and the CLI runner."""

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

from idp.pki.profiles import CARD_POLICY

NATIONAL_ID = "29001011234"
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["pki", *args])


def cli_json(app, *args):
    result = cli(app, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def init_hierarchy(app):
    """The hierarchy as {name: certificate}."""
    cli_json(app, "init")
    result = cli(app, "authorities", "--pem")
    assert result.exit_code == 0, result.output
    certificates = x509.load_pem_x509_certificates(result.output.encode())
    names = ["root", "card", "sim", "root-ocsp", "card-ocsp", "sim-ocsp"]
    return dict(zip(names, certificates, strict=True))


def citizen_key(kind="p256"):
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=int(kind.removeprefix("rsa")))


def make_csr(key=None, common_name="Mallory", extensions=(), hash_algorithm=None):
    """PEM request; its subject and extensions are what a hostile card could ask for."""
    key = key or citizen_key()
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, "99999999999"),
    ]))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else (
        hash_algorithm or hashes.SHA256())
    return builder.sign(key, algorithm).public_bytes(Encoding.PEM)


def issue(app, tmp_path, profile="card", key=None, national_id=NATIONAL_ID,
          names=("Amina", "Haddad")):
    """Issue through the CLI; returns (row as JSON, certificate, citizen key)."""
    key = key or citizen_key()
    path = tmp_path / f"{profile}-{id(key)}.csr"
    path.write_bytes(make_csr(key))
    args = ["issue", "--profile", profile, "--csr", str(path), "--national-id", national_id]
    if names:
        args += ["--given-name", names[0], "--family-name", names[1]]
    data = cli_json(app, *args)
    certificate = x509.load_pem_x509_certificate(data.pop("pem").encode())
    return data, certificate, key


def _key_usage(bits):
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{n: n in bits for n in names})


class SoftCA:
    """A software CA for validator tests that need certificates our CA never issues
    (wrong purpose, foreign roots, long chains). Not used for the real hierarchy."""

    def __init__(self, name="Soft Root CA", parent=None, policy=CARD_POLICY):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        extensions = [(x509.BasicConstraints(ca=True, path_length=None), True),
                      (_key_usage({"key_cert_sign", "crl_sign"}), True)]
        if policy is not None:
            extensions.append((x509.CertificatePolicies([x509.PolicyInformation(policy, None)]),
                               False))
        signer = parent or self
        self.certificate = signer.sign(self.name, self.key.public_key(), extensions)

    def sign(self, subject, public_key, extensions, not_before=None, not_after=None):
        now = datetime.now(UTC)
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.name)
                   .public_key(public_key).serial_number(x509.random_serial_number())
                   .not_valid_before(not_before or now - timedelta(days=1))
                   .not_valid_after(not_after or now + timedelta(days=365))
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       self.key.public_key()), False))
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical)
        return builder.sign(self.key, hashes.SHA256())

    def leaf(self, eku=(CLIENT_AUTH,), key_usage=("digital_signature",), policy=CARD_POLICY,
             ca=False, key="p256", **times):
        extensions = [(x509.BasicConstraints(ca=ca, path_length=None), True)]
        if key_usage is not None:
            extensions.append((_key_usage(set(key_usage)), True))
        if eku is not None:
            extensions.append((x509.ExtendedKeyUsage(list(eku)), False))
        if policy is not None:
            extensions.append((x509.CertificatePolicies([x509.PolicyInformation(policy, None)]),
                               False))
        subject = x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, NATIONAL_ID),
                             x509.NameAttribute(NameOID.COMMON_NAME, NATIONAL_ID)])
        return self.sign(subject, citizen_key(key).public_key(), extensions, **times)
