#!/usr/bin/env bash
# The card lab (development and tests only): pcscd with the vsmartcard virtual readers,
# and the development ID cards personalised with certificates from the provider's
# ID-card CA (SoftHSM2 tokens, and the PIV emulator's card). Idempotent.
#
# Usage: certs/card-lab.sh [--pcscd-only] [LAB_DIR]   (default LAB_DIR: <repo>/instance/card-lab)
#
# The provider is the one the `idp` command sees (IDP_INSTANCE_PATH, default
# <repo>/instance, and IDP_*/PKCS11_* variables); its CA hierarchy is made with
# `idp pki init` when there is none. Every development card's PIN is 123456.
# pcscd runs in the foreground of a background session (no systemd, never --auto-exit)
# and keeps running for later runs; LAB_DIR/pcscd.log is its log.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pcscd_only=false
if [ "${1:-}" = --pcscd-only ]; then pcscd_only=true; shift; fi
lab=${1:-$root/instance/card-lab}
mkdir -p "$lab"
lab=$(cd "$lab" && pwd)
chmod 700 "$lab"
python=$root/.venv/bin/python
socket=/run/pcscd/pcscd.comm
pidfile=/run/pcscd/pcscd.pid
vpcd_driver=/usr/lib/pcsc/drivers/serial/libifdvpcd.so

fail() { echo "card-lab: $*" >&2; exit 1; }

pcscd_running() {
  local pid
  [ -S "$socket" ] || return 1
  pid=$(tr -dc 0-9 <"$pidfile" 2>/dev/null || true)
  [ -n "$pid" ] && [ -d "/proc/$pid" ]
}

start_pcscd() {
  command -v pcscd >/dev/null || fail "pcscd not installed; run scripts/bootstrap.sh"
  [ -f "$vpcd_driver" ] || fail "vsmartcard-vpcd not installed; run scripts/bootstrap.sh"
  if [ ! -d /run/pcscd ]; then
    mkdir -p /run/pcscd 2>/dev/null ||
      fail "cannot create /run/pcscd; as root once: mkdir -p /run/pcscd && chown $(id -un) /run/pcscd"
  fi
  [ -w /run/pcscd ] || fail "/run/pcscd is not writable; as root once: chown $(id -un) /run/pcscd"
  rm -f "$socket" "$pidfile"  # left by a pcscd that is gone
  setsid pcscd --foreground >"$lab/pcscd.log" 2>&1 </dev/null &
  for _ in $(seq 100); do
    if pcscd_running; then
      echo "card-lab: started pcscd (pid $(tr -dc 0-9 <"$pidfile"), log $lab/pcscd.log)"
      return 0
    fi
    sleep 0.1
  done
  fail "pcscd did not start; see $lab/pcscd.log"
}

if pcscd_running; then
  echo "card-lab: pcscd already running (pid $(tr -dc 0-9 <"$pidfile"))"
else
  start_pcscd
fi
readers=$("$python" -m card_agent.readers) || fail "pcscd does not answer PC/SC clients"
grep -q '^Virtual PCD 00 00$' <<<"$readers" ||
  fail "pcscd runs without the vpcd virtual readers (readers: ${readers:-none}); stop it and run again"
$pcscd_only && exit 0

instance=${IDP_INSTANCE_PATH:-$root/instance}
if [ -z "${PKCS11_TOKEN_PIN:-}" ] && [ ! -f "$instance/config.py" ]; then
  bash "$root/certs/dev-token.sh" "$instance"
fi
"$root/.venv/bin/idp" db upgrade >/dev/null 2>&1 || fail "idp db upgrade failed"
"$python" -m connectors.card_reader.personalise --lab "$lab" --idp "$root/.venv/bin/idp"
echo "card-lab: cards in $lab/cards.json, PIN 123456; insert the emulated card with:"
echo "  $python -m connectors.card_reader.emulator --lab $lab"
