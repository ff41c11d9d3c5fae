#!/usr/bin/env bash
# Pin every Python dependency, with hashes, from pyproject.toml: requirements.lock (what
# production runs) and requirements-test.lock (that plus the test extra, constrained to
# the same versions). Run after changing pyproject.toml's dependencies; commit both files.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
bootstrap
"$PY" -m pip install --quiet pip-tools
cd "$ROOT"
common=(--quiet --allow-unsafe --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links)
"$VENV/bin/pip-compile" "${common[@]}" -o requirements.lock pyproject.toml
"$VENV/bin/pip-compile" "${common[@]}" --extra test -c requirements.lock -o requirements-test.lock pyproject.toml
log "wrote requirements.lock and requirements-test.lock"
