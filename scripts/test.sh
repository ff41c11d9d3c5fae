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

PG_VERSION=15
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
PG_PACKAGES=("postgresql-$PG_VERSION" "postgresql-$PG_VERSION-postgis-3")
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

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# psql_at HOST PORT DB SQL: run SQL as postgres, never prompting for a password.
psql_at() {
  psql -X -q -w -v ON_ERROR_STOP=1 -h "$1" -p "$2" -U postgres -d "$3" -tA -c "$4"
}

# prepare_database HOST PORT: the database, and PostGIS in it and in
# template1 (so Django's test_$DB_NAME, copied from template1, has it too).
prepare_database() {
  local host="$1" port="$2"
  if [ -z "$(psql_at "$host" "$port" postgres "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")" ]; then
    log "the server on $host:$port lacks PostGIS"
    ensure_packages "postgresql-$PG_VERSION-postgis-3"
  fi
  if [ -z "$(psql_at "$host" "$port" postgres "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
    log "creating database $DB_NAME on $host:$port"
    psql_at "$host" "$port" postgres "CREATE DATABASE $DB_NAME"
  fi
  psql_at "$host" "$port" template1 "CREATE EXTENSION IF NOT EXISTS postgis"
  psql_at "$host" "$port" "$DB_NAME" "CREATE EXTENSION IF NOT EXISTS postgis"
  export DATABASE_URL="postgis://postgres@$host:$port/$DB_NAME"
}

# The owner of the private cluster: initdb refuses to run as root.
cluster_user() {
  if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

# From /, which the cluster's owner can always enter (unlike root's checkout).
as_cluster_user() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

free_port() {
  local port="$1"
  while port_open 127.0.0.1 "$port"; do port=$((port + 1)); done
  echo "$port"
}

start_private_cluster() {
  local dir port
  ensure_packages "${PG_PACKAGES[@]}"
  dir="$(mktemp -d -t dryneedling-pg.XXXXXX)"
  CLEANUP+=("rm -rf '$dir'")
  chown "$(cluster_user)" "$dir"
  port="$(free_port "$PRIVATE_PG_PORT")"
  log "starting a private PostgreSQL $PG_VERSION cluster on 127.0.0.1:$port ($dir)"
  as_cluster_user "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  # fsync off: a throwaway cluster need not survive a crash, and tests run faster.
  as_cluster_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start \
    || { cat "$dir/server.log" >&2; die "the private cluster did not start"; }
  CLEANUP=("as_cluster_user '$PG_BIN/pg_ctl' -D '$dir/data' -m fast -s stop" "${CLEANUP[@]}")
  prepare_database 127.0.0.1 "$port"
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
    prepare_database "$PGHOST_PROBE" "$PGPORT_PROBE"
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

main() {
  bootstrap
  ensure_browser
  ensure_database
  ensure_redis
  export DJANGO_SECRET_KEY="test-only-secret-key-not-for-production"
  # The same settings as in CI, whatever a local .env or shell says.
  export DJANGO_DEBUG=false
  unset CELERY_BROKER_URL
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
