"""PKI login validation per CPU second: the check the ID card login makes of a Web eID
authentication token (idp/pki/challenge.py `validate_token` with the card validator, as
`POST /login/card/token` calls it), against the raw cost of the signatures it needs.

A Bawaba target is started as in run.py (`idp serve`, the PKI's public endpoints);
the hierarchy is made with `idp pki init` and a card certificate issued with
`idp pki issue --profile card` for a software P-256 key made here, which signs the
challenges as a card would. Then, in this process, pinned to the server core:

- `cached`: validations with the OCSP answers in the revocation checker's cache;
- `uncached`: PKI_OCSP_CACHE_MAX_SECONDS = 0, so every validation asks the responder (for
  the card certificate and for the card CA); the provider answers its own responder in
  process, so the responder's work counts in this process (any CPU the served target
  spends still counts with it);
- `raw`: the signature verifications a cached validation needs, with `cryptography`
  directly: the card certificate by the card CA, the card CA by the root, and the token's
  signature over hash(origin) ‖ hash(nonce) (`raw_with_ocsp`: plus each OCSP answer's
  responder certificate and signature, what an uncached validation adds).

Prints one JSON line per variant and one with the ratios (the requirement: a cached
validation costs at most twice its raw signature checks).

    .venv/bin/python bench/pki.py [--seconds 3] [--target bawaba-sqlite] [--server-cpu 0]
"""

import argparse
import base64
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parent))

from affinity import cores  # noqa: E402
from run import ROOT  # noqa: E402
from run import cpu_seconds  # noqa: E402
from run import start_target  # noqa: E402

NATIONAL_ID = "29001011234"
APP_VERSION = "https://bawaba.example/bawaba-card-agent/bench"


def idp(env, cwd, *args):
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "idp"), *args], env=env, cwd=cwd,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"idp {' '.join(args)}: {done.stderr.strip()[-500:]}")
    return done.stdout


def issue_card(env, directory):
    """A software key standing in for a card's, and the card certificate the CA issues."""
    idp(env, directory, "pki", "init")
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")]))
           .sign(key, hashes.SHA256()))
    (directory / "card.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    idp(env, directory, "pki", "issue", "--profile", "card", "--csr",
        str(directory / "card.csr"), "--national-id", NATIONAL_ID, "--given-name", "Amina",
        "--family-name", "Haddad", "--out", str(directory / "card.pem"))
    return key, x509.load_pem_x509_certificate((directory / "card.pem").read_bytes())


def web_eid_token(key, certificate, challenge):
    """The token's JSON as the card agent sends it (web-eid:1.0, ES256, raw r ‖ s)."""
    from idp.pki.challenge import signed_value

    der = key.sign(signed_value("sha256", challenge), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return json.dumps({
        "unverifiedCertificate": base64.b64encode(
            certificate.public_bytes(serialization.Encoding.DER)).decode(),
        "algorithm": "ES256",
        "signature": base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode(),
        "format": "web-eid:1.0",
        "appVersion": APP_VERSION,
    })


def rate(operation, seconds, server_pids=(), database_pids=()):
    """Iterations, and CPU seconds of this process, of the server and of the database."""
    count = 0
    before = time.process_time()
    server_before, database_before = cpu_seconds(server_pids), cpu_seconds(database_pids)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        operation()
        count += 1
    return (count, time.process_time() - before, cpu_seconds(server_pids) - server_before,
            cpu_seconds(database_pids) - database_before)


def line(variant, target, count, cpu, server_cpu=0.0, database_cpu=0.0, **extra):
    total = cpu + server_cpu
    result = {"scenario": f"pki_{variant}", "target": target, "iterations": count,
              "cpu_us_per_iteration": round(1e6 * total / count, 1),
              "iterations_per_server_cpu_s": round(count / total, 1)}
    if server_cpu:
        result["validator_cpu_us_per_iteration"] = round(1e6 * cpu / count, 1)
        result["responder_cpu_us_per_iteration"] = round(1e6 * server_cpu / count, 1)
    if database_cpu:
        result["database_cpu_us_per_iteration"] = round(1e6 * database_cpu / count, 1)
    result.update(extra)
    return result


def raw_checks(chain, certificate, token, challenge, with_ocsp):
    """The signature verifications of one validation, with `cryptography` alone."""
    from idp.pki.challenge import signed_value

    leaf, issuing, root = chain
    signature = base64.b64decode(json.loads(token)["signature"])
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                               int.from_bytes(signature[32:], "big"))
    message = signed_value("sha256", challenge)
    pairs = [(leaf, issuing), (issuing, root)]
    checks = [(issuer.public_key(), cert.signature, cert.tbs_certificate_bytes,
               cert.signature_hash_algorithm) for cert, issuer in pairs]
    checks.append((certificate.public_key(), der, message, hashes.SHA256()))
    if with_ocsp:
        for response, issuer in with_ocsp:
            responder = response.certificates[0]
            checks.append((issuer.public_key(), responder.signature,
                           responder.tbs_certificate_bytes, responder.signature_hash_algorithm))
            checks.append((responder.public_key(), response.signature,
                           response.tbs_response_bytes, response.signature_hash_algorithm))

    def verify():
        for public_key, sig, data, algorithm in checks:
            public_key.verify(sig, data, ec.ECDSA(algorithm))

    return verify, len(checks)


def ocsp_answers(chain, url):
    """The responder's answers for the card certificate and the card CA (for raw_with_ocsp)."""
    from idp.pki.revocation import http_fetch

    answers = []
    for cert, issuer in zip(chain, chain[1:], strict=False):
        request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build()
        body = http_fetch(url, request.public_bytes(serialization.Encoding.DER),
                          "application/ocsp-request")
        answers.append((ocsp.load_der_ocsp_response(body), issuer))
    return answers


def measure(target, seconds, server_cpu, base, server_pids, database_pids, directory):
    env = json.loads((directory / "env.json").read_text())
    key, certificate = issue_card(env, directory)
    os.environ.update(env)
    os.chdir(directory)
    from idp import create_app
    from idp.models.types import utcnow
    from idp.pki.challenge import Challenge
    from idp.pki.challenge import validate_token
    from idp.web.pki import validator

    app = create_app()
    results = []
    with app.app_context():
        now = utcnow()
        challenge = Challenge(base64.b64encode(os.urandom(32)).decode(), "bench-tx", base,
                              now + timedelta(minutes=5))
        token = web_eid_token(key, certificate, challenge)

        def validate():  # as POST /login/card/token does, without the nonce and the session
            return validate_token(token, challenge, validator("card"), now)

        chain = validate().certificate.chain  # also fills the OCSP cache
        for _ in range(50):
            validate()
        count, cpu, _, db_cpu = rate(validate, seconds, (), database_pids())
        reused = validator("card")
        reused_count, reused_cpu, _, _ = rate(
            lambda: validate_token(token, challenge, reused, now), seconds / 2)
        results.append(line("cached", target, count, cpu, 0.0, db_cpu,
                             cpu_us_per_iteration_validator_reused=round(
                                 1e6 * reused_cpu / reused_count, 1)))

        app.config["PKI_OCSP_CACHE_MAX_SECONDS"] = 0  # the setting, as an operator sets it
        app.extensions.pop("idp.pki.revocation", None)
        for _ in range(10):
            validate()
        count, cpu, responder, db_cpu = rate(validate, seconds, server_pids(), database_pids())
        results.append(line("uncached", target, count, cpu, responder, db_cpu,
                            ocsp_requests_per_iteration=len(chain) - 1))

        verify, checks = raw_checks(chain, certificate, token, challenge, None)
        count, cpu, _, _ = rate(verify, seconds / 2)
        results.append(line("raw", target, count, cpu, signature_verifications=checks))
        answers = ocsp_answers(chain, base + "/pki/ocsp")
        verify, checks = raw_checks(chain, certificate, token, challenge, answers)
        count, cpu, _, _ = rate(verify, seconds / 2)
        results.append(line("raw_with_ocsp", target, count, cpu,
                            signature_verifications=checks))
    by = {r["scenario"]: r["iterations_per_server_cpu_s"] for r in results}
    results.append({
        "scenario": "pki_ratios", "target": target,
        # (a)/(c): at least 0.5 when a cached validation costs at most twice its signatures
        "ratio_cached_to_raw": round(by["pki_cached"] / by["pki_raw"], 3),
        "cost_cached_over_raw": round(by["pki_raw"] / by["pki_cached"], 2),
        "ratio_uncached_to_raw_with_ocsp": round(
            by["pki_uncached"] / by["pki_raw_with_ocsp"], 3),
        "server_cpu": server_cpu,
    })
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3, help="per variant")
    parser.add_argument("--target", default="bawaba-sqlite",
                        choices=("bawaba-sqlite", "bawaba-postgresql"))
    parser.add_argument("--server-cpu", default="0", help="core(s) of this process and the "
                                                          "responder")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="granian")
    args = parser.parse_args()
    os.sched_setaffinity(0, cores(args.server_cpu))
    target_args = argparse.Namespace(server_cpu=args.server_cpu, concurrency=1,
                                     server=args.server, workers=args.workers, threads=1)
    with start_target(args.target, target_args) as (base, pids, setup, database_pids):
        for result in measure(args.target, args.seconds, args.server_cpu, base, pids,
                              database_pids, setup.parent):
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
