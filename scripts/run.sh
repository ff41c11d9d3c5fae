#!/usr/bin/env bash
# The run command: install what is missing, start (or reuse) the demo's own
# PostgreSQL + PostGIS cluster under var/pg, migrate, seed a demo directory
# once, collect static files and serve on http://$HOST:$PORT.
#
# Database: DATABASE_URL when set; otherwise the project-local cluster in
# var/pg, created on the first run on a free port (remembered in
# var/pg/port) and started again on later runs. It keeps running after the
# server stops, so the next run starts in seconds; `make stop-db` stops it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
source "$(dirname "${BASH_SOURCE[0]}")/pg.sh"

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
DEMO_PRACTITIONERS="${DEMO_PRACTITIONERS:-3000}"
DEMO_PG_DIR="$ROOT/var/pg"
DEMO_PG_PORT="${DEMO_PG_PORT:-54330}"
export DJANGO_DEBUG="${DJANGO_DEBUG:-true}"

ensure_demo_database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    log "using DATABASE_URL from the environment"
    return 0
  fi
  local port
  if cluster_running "$DEMO_PG_DIR"; then
    port="$(cat "$DEMO_PG_DIR/port")"
    log "the demo's PostgreSQL is running on 127.0.0.1:$port"
  else
    port="$(cat "$DEMO_PG_DIR/port" 2>/dev/null || true)"
    if [ -z "$port" ] || port_open 127.0.0.1 "$port"; then
      port="$(free_port "$DEMO_PG_PORT")"
    fi
    start_cluster "$DEMO_PG_DIR" "$port"
    echo "$port" >"$DEMO_PG_DIR/port"
  fi
  prepare_database 127.0.0.1 "$port" dryneedling_demo
}

main() {
  bootstrap
  ensure_demo_database
  log "migrating the database"
  manage migrate --noinput -v 0
  log "seeding a demo directory of $DEMO_PRACTITIONERS practitioners, unless it has data already"
  manage seed_demo --practitioners "$DEMO_PRACTITIONERS" --if-empty
  log "demo sign-ins (new passwords on every run):"
  manage demo_accounts
  log "collecting static files"
  manage collectstatic --noinput -v 0
  log "serving on http://$HOST:$PORT/ (API docs: http://$HOST:$PORT/api/docs/)"
  log "demo only: emails (consultation requests, expiry digests) are printed here, patients' details included"
  cd "$ROOT"
  exec "$PY" manage.py runserver --noreload "$HOST:$PORT"
}

main "$@"
