#!/usr/bin/env bash
# Development Mobile ID SIMs for the MSSP simulator: for each SIM of
# connectors/mssp/dev_sims.json a SoftHSM2 token labelled with the MSISDN (user PIN =
# SIM PIN) in a SOFTHSM2_CONF of its own, a P-256 key generated on the token, and a
# certificate issued by the PKI core's CA through `idp pki` (`idp pki init` first when
# there is no hierarchy). Dev only; idempotent (good tokens, keys, certificates are kept).
# Needs the provider's database migrated (`idp db upgrade`) and its CA token (dev-token.sh).
# Usage: certs/dev-sims.sh [SIM_DIR]   (default: <repo>/instance/mssp)
# Then:  .venv/bin/python -m connectors.mssp.simulator --dir SIM_DIR --port 8040
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
idp=${IDP_COMMAND:-$root/.venv/bin/idp}
dir=${1:-$root/instance/mssp}

command -v softhsm2-util >/dev/null || { echo "dev-sims: softhsm2-util not found; run scripts/bootstrap.sh" >&2; exit 1; }
cd "$root"
exec "$python" -m connectors.mssp.sims setup --dir "$dir" --idp "$idp"
