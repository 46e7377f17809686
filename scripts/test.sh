#!/usr/bin/env bash
# Runs the test suite on SQLite, then on PostgreSQL at 127.0.0.1:5432 if it
# answers (required when CI=true). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -d ../shared/testdata ]; then
  BAWABA_TESTDATA=$(cd ../shared/testdata && pwd)
  export BAWABA_TESTDATA
fi
pg_url=postgresql+psycopg://postgres@127.0.0.1:5432/test

postgres_up() {
  local rc=0
  .venv/bin/python - <<'PY' || rc=$?
import sys
try:
    import psycopg
except ImportError:
    sys.exit(2)
try:
    psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=3).close()
except psycopg.Error:
    sys.exit(1)
PY
  if [ "$rc" -eq 2 ] && command -v pg_isready >/dev/null; then
    pg_isready -q -h 127.0.0.1 -p 5432 -t 3 && rc=0
  fi
  return "$rc"
}

status=0
echo "test: SQLite"
env -u IDP_TEST_DATABASE_URL .venv/bin/python -m pytest -q "$@" || status=1

if postgres_up; then
  echo "test: PostgreSQL ($pg_url)"
  IDP_TEST_DATABASE_URL=$pg_url .venv/bin/python -m pytest -q "$@" || status=1
elif [ "${CI:-}" = true ]; then
  echo "test: FAIL: PostgreSQL not reachable at 127.0.0.1:5432 (database 'test', user postgres); CI must run both" >&2
  status=1
else
  echo "test: PostgreSQL not reachable at 127.0.0.1:5432; skipped the PostgreSQL run"
fi
exit "$status"
