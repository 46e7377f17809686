#!/usr/bin/env bash
# Development signing token: a SoftHSM2 token "bawaba-signing" and the
# instance config.py that points the IdP at it. Dev only; idempotent.
# Usage: certs/dev-token.sh [INSTANCE_DIR]   (default: <repo>/instance)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
label=bawaba-signing
mkdir -p "${1:-$root/instance}"
dir=$(cd "${1:-$root/instance}" && pwd)
conf=$dir/softhsm/softhsm2.conf
config=$dir/config.py

command -v softhsm2-util >/dev/null || { echo "dev-token: softhsm2-util not found; run scripts/bootstrap.sh" >&2; exit 1; }
module=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
  if [ -f "$m" ]; then module=$m; break; fi
done
[ -n "$module" ] || { echo "dev-token: libsofthsm2.so not found; run scripts/bootstrap.sh" >&2; exit 1; }

random_hex() { python3 -c "import secrets; print(secrets.token_hex($1))"; }

mkdir -p "$dir/softhsm/tokens"
chmod 700 "$dir/softhsm"
if [ ! -f "$conf" ]; then
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$dir/softhsm/tokens" > "$conf"
fi
export SOFTHSM2_CONF=$conf

token_exists() {
  local slots
  slots=$(softhsm2-util --show-slots 2>/dev/null) || return 1
  grep -Eq "^ *Label: +$label *\$" <<<"$slots"
}

# Reuse the PIN of an existing config.py; without it an existing token is useless.
pin=
[ -f "$config" ] && pin=$(sed -n 's/^PKCS11_TOKEN_PIN = "\(.*\)"$/\1/p' "$config")

if [ -f "$config" ] && [ -n "$pin" ] && token_exists; then
  echo "dev-token: already exists: $config"
  exit 0
fi

if token_exists && [ -z "$pin" ]; then
  echo "dev-token: token $label has no known PIN; recreating it"
  softhsm2-util --delete-token --token "$label" >/dev/null
fi
if ! token_exists; then
  pin=${pin:-$(random_hex 8)}
  softhsm2-util --init-token --free --label "$label" \
    --so-pin "$(random_hex 8)" --pin "$pin" </dev/null >/dev/null
  echo "dev-token: created SoftHSM2 token $label in $dir/softhsm/tokens"
fi

if [ ! -f "$config" ]; then
  tmp=$(umask 077 && mktemp "$dir/.config.py.XXXXXX")
  cat > "$tmp" <<PY
SECRET_KEY = "$(random_hex 32)"
PKCS11_MODULE = "$module"
PKCS11_TOKEN_LABEL = "$label"
PKCS11_TOKEN_PIN = "$pin"
SOFTHSM2_CONF = "$conf"
PY
  chmod 600 "$tmp"
  mv "$tmp" "$config"
  echo "dev-token: wrote $config"
else
  echo "dev-token: kept $config"
fi
