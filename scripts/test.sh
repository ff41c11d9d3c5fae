#!/usr/bin/env bash
# The test command: install what is missing, find or start PostgreSQL 15 +
# PostGIS and Redis, then run the whole pytest suite (extra arguments are
# passed to pytest) and exit with pytest's status.
#
# Database: DATABASE_URL when set; else the server answering on
# $PGHOST_PROBE:$PGPORT_PROBE (default 127.0.0.1:5432) as user postgres;
# else a private cluster in a temporary directory, removed on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
source "$(dirname "${BASH_SOURCE[0]}")/pg.sh"

PGHOST_PROBE="${PGHOST_PROBE:-127.0.0.1}"
PGPORT_PROBE="${PGPORT_PROBE:-5432}"
PRIVATE_PG_PORT="${PRIVATE_PG_PORT:-54329}"
# A checkout of its own (a second working copy) may pick another name: tests use test_$DB_NAME.
DB_NAME="${DB_NAME:-dryneedling}"
REDIS_PORT="${REDIS_PORT:-6379}"

CLEANUP=()
cleanup() {
  local step
  for step in "${CLEANUP[@]}"; do eval "$step" || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- PostgreSQL -------------------------------------------------------------

start_private_cluster() {
  local dir port
  dir="$(mktemp -d -t dryneedling-pg.XXXXXX)"
  CLEANUP+=("rm -rf '$dir'")
  port="$(free_port "$PRIVATE_PG_PORT")"
  # fsync off: a throwaway cluster need not survive a crash, and tests run faster.
  start_cluster "$dir" "$port" "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  CLEANUP=("stop_cluster '$dir'" "${CLEANUP[@]}")
  prepare_database 127.0.0.1 "$port" "$DB_NAME"
}

ensure_database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    log "using DATABASE_URL from the environment"
    return 0
  fi
  ensure_packages "postgresql-client-$PG_VERSION"
  if pg_isready -q -h "$PGHOST_PROBE" -p "$PGPORT_PROBE" \
     && psql_at "$PGHOST_PROBE" "$PGPORT_PROBE" postgres "SELECT 1" >/dev/null 2>&1; then
    log "using the PostgreSQL server on $PGHOST_PROBE:$PGPORT_PROBE"
    prepare_database "$PGHOST_PROBE" "$PGPORT_PROBE" "$DB_NAME"
  else
    log "no PostgreSQL server accepts user postgres without a password on $PGHOST_PROBE:$PGPORT_PROBE"
    start_private_cluster
  fi
}

# --- Redis ------------------------------------------------------------------

redis_answers() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT"
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3
    [ "${reply%$'\r'}" = "+PONG" ]
  ) 2>/dev/null
}

ensure_redis() {
  if ! redis_answers; then
    ensure_packages redis-server
    # The package may have started a service of its own.
    if ! redis_answers; then
      log "starting redis-server on 127.0.0.1:$REDIS_PORT"
      redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
      CLEANUP=("redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1" "${CLEANUP[@]}")
      local tries=0
      until redis_answers; do
        tries=$((tries + 1))
        [ "$tries" -lt 50 ] || die "redis-server did not answer on 127.0.0.1:$REDIS_PORT"
        sleep 0.1
      done
    fi
  fi
  # Tests that need a real broker (a Celery worker) use this; the rest run eagerly.
  export CELERY_TEST_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/15"
}

# --- main -------------------------------------------------------------------

# --- Chromium -----------------------------------------------------------------

# The browser tests (tests/e2e) drive Debian's Chromium through Playwright;
# `playwright install` is never run, so nothing is downloaded at test time.
ensure_browser() {
  ensure_packages chromium fonts-dejavu-core
  export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
}

# --- the tooling gate ------------------------------------------------------------

# Lint and format (ruff), the one-way layers (import-linter), migrations that match
# the models, and Django's deployment checks with production settings: any failure
# stops the run before the suite.
check_tooling() {
  cd "$ROOT"
  log "ruff: lint and format"
  "$VENV/bin/ruff" check --quiet .
  "$VENV/bin/ruff" format --check --quiet .
  log "import-linter: core <- directory <- credentials <- portal <- config"
  "$VENV/bin/lint-imports" --no-cache >/dev/null || "$VENV/bin/lint-imports" --no-cache
  log "migrations match the models"
  manage makemigrations --check --dry-run >/dev/null
  log "deployment checks with production settings"
  DJANGO_DEBUG=false SECURE_SSL_REDIRECT=true SECURE_HSTS_PRELOAD=true DJANGO_ALLOWED_HOSTS=directory.example.org \
    DJANGO_SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    manage check --deploy --fail-level WARNING
}

main() {
  bootstrap
  ensure_browser
  ensure_database
  ensure_redis
  export DJANGO_SECRET_KEY="test-only-secret-key-not-for-production"
  # The same settings as in CI, whatever a local .env or shell says: production's,
  # but over plain HTTP (the test client and the live server speak no TLS).
  export DJANGO_DEBUG=false SECURE_SSL_REDIRECT=false
  unset CELERY_BROKER_URL
  check_tooling
  # Production serves hashed static files from a manifest; pages that link
  # static files (the API docs, the admin) need it in tests too.
  log "collecting static files"
  manage collectstatic --noinput -v 0
  log "running pytest against $(printf '%s' "$DATABASE_URL" | sed 's|//[^/@]*@|//|')"
  cd "$ROOT"
  local status=0
  "$PY" -m pytest "$@" || status=$?
  exit "$status"
}

main "$@"
