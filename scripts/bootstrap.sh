#!/usr/bin/env bash
# Sets up a development machine: apt packages, .venv, the package, dev token.
# Idempotent: a second run only checks.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

packages=(softhsm2 opensc pcscd vsmartcard-vpcd libpcsclite-dev gcc python3-dev
          python3-venv chromium swig)

command -v dpkg-query >/dev/null || { echo "bootstrap: needs Debian/Ubuntu (dpkg-query not found)" >&2; exit 1; }
missing=()
for p in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing apt packages: ${missing[*]}" >&2
    echo "bootstrap: run as root: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing apt packages: ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "bootstrap: apt packages present"
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi

if [ ! -f pyproject.toml ]; then
  echo "bootstrap: no pyproject.toml; skipping pip install"
else
  hash=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat .venv/.bawaba-installed 2>/dev/null || true)" = "$hash" ]; then
    echo "bootstrap: python packages up to date"
  else
    echo "bootstrap: pip install -e '.[test]'"
    .venv/bin/python -m pip install --quiet -e '.[test]'
    echo "$hash" > .venv/.bawaba-installed
  fi
fi

bash certs/dev-token.sh
echo "bootstrap: done"
