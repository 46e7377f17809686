#!/usr/bin/env bash
# Starts the development IdP with the SMS gateway and civil registry simulators. Run via
# `make run`. The simulators print where to read the SMS codes and the test identities.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
.venv/bin/python -m connectors.simulators &
simulators=$!
trap 'kill "$simulators" 2>/dev/null || true' EXIT INT TERM
.venv/bin/idp db upgrade
.venv/bin/idp run
