"""ES256 signing cost per operation: through the PKCS#11 token the provider signs with
(SoftHSM2 in development) and with `cryptography` in process, for comparison. Runs in the
environment of a Bawaba target (PKCS11_*, IDP_DATABASE_URL) and prints one JSON line.

    .venv/bin/python bench/hsm.py [seconds]
"""

import hashlib
import json
import sys
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from idp import create_app
from idp.oauth.keys import key_ring


def per_op_us(operation, seconds):
    """CPU microseconds of this process per call (SoftHSM signs in this process too)."""
    count, started = 0, time.process_time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        operation()
        count += 1
    return round(1e6 * (time.process_time() - started) / count, 1)


def main(seconds=2.0):
    app = create_app()
    with app.app_context():
        ring = key_ring()
        ring.sign({"probe": True}, "ES256")  # opens the session, loads the key
        kid, _ = ring._active["ES256"]
        digest = hashlib.sha256(b"x" * 300).digest()
        token = ring.backend
        private = ec.generate_private_key(ec.SECP256R1())
        claims = {"iss": "https://idp.example", "sub": "bench", "aud": "bench",
                  "exp": 2000000000, "iat": 1700000000, "jti": "x" * 24, "scope": "api"}
        print(json.dumps({
            "es256_pkcs11_sign_us": per_op_us(
                lambda: token.sign_ecdsa_digest(kid, digest), seconds),
            "es256_cryptography_sign_us": per_op_us(
                lambda: private.sign(b"x" * 300, ec.ECDSA(hashes.SHA256())), seconds),
            "jwt_sign_through_key_ring_us": per_op_us(
                lambda: ring.sign(claims, "ES256", typ="at+jwt"), seconds),
        }))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)
