#!/usr/bin/env bash
# Starts the development IdP (later also the simulators). Run via `make run`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
.venv/bin/idp db upgrade
exec .venv/bin/idp run
