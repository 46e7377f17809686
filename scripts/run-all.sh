#!/usr/bin/env bash
# `make run`: the whole development system (provider, simulators, card agent, demo apps),
# supervised by scripts/dev_stack.py, which prints the landing page address; Ctrl-C stops
# everything. Ports and the instance folder come from the environment (see dev_stack.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec .venv/bin/python scripts/dev_stack.py "$@"
