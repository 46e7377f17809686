"""The development SIMs as a newcomer makes them: certs/dev-sims.sh with the PKI core's own
command, run twice, then the simulator started on them from the command line."""

import os
import secrets
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from connectors.mssp import mobile_id_operators_from_settings
from connectors.mssp.sims import sim_table
from connectors.mssp.simulator import DEV_AP_ID
from connectors.mssp.simulator import DEV_AP_PASSWORD
from connectors.mssp.simulator import DEV_MSSP_ID
from connectors.mssp.simulator import DEV_SIGNATURE_PROFILE

from .mssp_support import CARD_CERTIFICATE
from .mssp_support import CUSTOMER
from .mssp_support import ROOT
from .mssp_support import SIMS
from .mssp_support import now
from .mssp_support import start_simulator


@pytest.fixture
def provider_environment(token_config, tmp_path):
    """The environment of a developer's `idp` command: its own database, the CA token."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("IDP_", "PKCS11_", "PKI_"))}
    environment.update(token_config)
    environment.update(IDP_INSTANCE_PATH=str(tmp_path / "instance"),
                       IDP_DATABASE_URL=f"sqlite:///{tmp_path / 'dev.db'}",
                       SECRET_KEY=secrets.token_hex(32))
    idp = str(ROOT / ".venv" / "bin" / "idp")
    done = subprocess.run([idp, "db", "upgrade"], env=environment, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    return environment


def dev_sims(directory, environment):
    done = subprocess.run(["bash", str(ROOT / "certs" / "dev-sims.sh"), str(directory)],
                          env={**environment, "PYTHON": sys.executable}, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_dev_sims_are_made_once_and_used_by_the_simulator(provider_environment, tmp_path):
    directory = tmp_path / "sims"

    first = dev_sims(directory, provider_environment)
    second = dev_sims(directory, provider_environment)

    assert "dev-sims: PKI hierarchy created (idp pki init)" in first
    issued = [line for line in first.splitlines() if ": certificate " in line]
    assert len(issued) == sum(1 for sim in SIMS.values() if sim.certificate)
    assert f"dev-sims: {CARD_CERTIFICATE}: certificate" in first and "(card)" in first
    assert second.startswith("dev-sims: all SIMs ready")
    assert sim_table(SIMS) in second

    authorities = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "idp"), "pki", "authorities", "--pem"],
        env=provider_environment, capture_output=True, text=True, check=True).stdout
    root, card_ca, mobile_id_ca = x509.load_pem_x509_certificates(authorities.encode())[:3]
    simulator = start_simulator(directory)
    try:
        settings = {"MSSP_OPERATORS": "dev", "MSSP_DEV_URL": simulator.url,
                    "MSSP_DEV_AP_ID": DEV_AP_ID, "MSSP_DEV_AP_PASSWORD": DEV_AP_PASSWORD,
                    "MSSP_DEV_MSSP_ID": DEV_MSSP_ID,
                    "MSSP_DEV_SIGNATURE_PROFILE": DEV_SIGNATURE_PROFILE,
                    "MSSP_DEV_POLL_INTERVAL": "0.05"}
        client = mobile_id_operators_from_settings(settings).for_msisdn(CUSTOMER)
        for msisdn, issuer in ((CUSTOMER, mobile_id_ca), (CARD_CERTIFICATE, card_ca)):
            simulator.script(msisdn, behaviour="confirm_after")
            data = secrets.token_bytes(32)
            signature = client.wait(client.start(msisdn, data, "Bawaba login", now=now()))
            signature.certificate.public_key().verify(signature.signature, data,
                                                      ec.ECDSA(hashes.SHA256()))
            assert signature.chain == (signature.certificate, issuer)
            issuer.verify_directly_issued_by(root)
    finally:
        simulator.stop()
