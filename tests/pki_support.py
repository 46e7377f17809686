"""Helpers for the PKI tests: the hierarchy made through the CLI, requests made with
software citizen keys (the CA's keys are in SoftHSM2), and the CLI runner."""

import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

NATIONAL_ID = "29001011234"


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
