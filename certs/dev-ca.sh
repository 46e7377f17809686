#!/usr/bin/env bash
# Development CA material: the PKI hierarchy (root CA, ID card CA, Mobile ID CA and their
# OCSP responders) with its keys in the development SoftHSM2 token, the public certificates
# in INSTANCE_DIR/pki/chain.pem, and a sample citizen card certificate. Dev only; idempotent.
# The certificate policies use the documentation arc 1.3.6.1.4.1.32473 (RFC 5612): nothing
# made here may be trusted outside development.
# Usage: certs/dev-ca.sh [INSTANCE_DIR]   (default: <repo>/instance)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/certs/dev-token.sh" "${1:-$root/instance}" >/dev/null
dir=$(cd "${1:-$root/instance}" && pwd)
export IDP_INSTANCE_PATH=$dir
idp=$root/.venv/bin/idp
python=$root/.venv/bin/python
[ -x "$idp" ] || { echo "dev-ca: $idp not found; run scripts/bootstrap.sh" >&2; exit 1; }

"$idp" db upgrade >/dev/null
# grep reads everything (no -q): with pipefail, idp writing after grep left would fail.
if "$idp" pki authorities | grep '^root' >/dev/null; then
  echo "dev-ca: hierarchy already exists"
else
  "$idp" pki init
fi

out=$dir/pki
mkdir -p "$out"
"$idp" pki authorities --pem > "$out/chain.pem"
echo "dev-ca: wrote $out/chain.pem"

# A sample citizen: a software P-256 key standing in for a card's key (development only;
# real card keys never leave the card), its request, and the certificate the CA issues.
if [ ! -f "$out/sample-card.pem" ]; then
  (umask 077 && "$python" - "$out" <<'PY'
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

out = sys.argv[1]
key = ec.generate_private_key(ec.SECP256R1())
csr = (x509.CertificateSigningRequestBuilder()
       .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sample")]))
       .sign(key, hashes.SHA256()))
with open(f"{out}/sample-card-key.pem", "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
with open(f"{out}/sample-card.csr", "wb") as f:
    f.write(csr.public_bytes(serialization.Encoding.PEM))
PY
  )
  "$idp" pki issue --profile card --csr "$out/sample-card.csr" --national-id 29001011234 \
    --given-name Amina --family-name Haddad --out "$out/sample-card.pem"
fi
echo "dev-ca: sample citizen certificate $out/sample-card.pem (key sample-card-key.pem)"
