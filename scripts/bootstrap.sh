#!/usr/bin/env bash
# Installs what the run and test commands need and is missing: Debian
# packages, a virtual environment in .venv, the Python packages.
#
# Sourced by scripts/run.sh and scripts/test.sh (for its functions), or run
# on its own: `bash scripts/bootstrap.sh` does the shared installs and stops.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
# Debian's interpreter, never the first python3 on PATH: the environment is
# the same on every machine the README's commands run on.
SYSTEM_PYTHON=/usr/bin/python3
# GeoDjango's libraries (GDAL, GEOS, PROJ); PostgreSQL comes with scripts/pg.sh.
BASE_PACKAGES=(gdal-bin binutils libproj-dev python3 python3-venv)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root or sudo to run: $*"
  fi
}

package_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

APT_UPDATED=
# ensure_packages PKG...: apt-get install only the packages that are missing.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    package_installed "$pkg" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  log "installing ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

venv_is_usable() {
  [ -x "$PY" ] || return 1
  grep -qx 'home = /usr/bin' "$VENV/pyvenv.cfg" 2>/dev/null
}

ensure_venv() {
  venv_is_usable && return 0
  if [ -e "$VENV" ]; then
    log "recreating .venv (not built from $SYSTEM_PYTHON)"
    rm -rf "$VENV"
  else
    log "creating .venv from $SYSTEM_PYTHON"
  fi
  "$SYSTEM_PYTHON" -m venv "$VENV"
}

# The pinned, hashed versions of requirements-test.lock (scripts/lock.sh makes it from
# pyproject.toml), then the project itself without dependencies; skipped while the
# lock and pyproject.toml are unchanged since the last install.
ensure_python_packages() {
  local stamp="$VENV/.requirements.sha256" want
  want="$(cat "$ROOT/requirements-test.lock" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  log "installing Python packages into .venv (requirements-test.lock)"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip install --quiet --require-hashes -r "$ROOT/requirements-test.lock" >&2
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip install --quiet --no-deps -e "$ROOT" >&2
  printf '%s\n' "$want" >"$stamp"
}

# Also creates var/ (the demo database, uploads) and holds a lock there, so
# that two commands started at once in one checkout do not install over each other.
bootstrap() {
  mkdir -p "$ROOT/var"
  (
    flock -n 9 || { log "waiting for another install in this checkout"; flock 9; }
    ensure_packages "${BASE_PACKAGES[@]}"
    ensure_venv
    ensure_python_packages
  ) 9>"$ROOT/var/.bootstrap.lock"
}

manage() { (cd "$ROOT" && "$PY" manage.py "$@"); }

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  bootstrap
  log "ready: $VENV"
fi
