#!/usr/bin/env bash
# The run command: install what is missing, migrate and seed the SpatiaLite
# demo database, collect static files and serve on http://$HOST:$PORT.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
DEMO_PRACTITIONERS="${DEMO_PRACTITIONERS:-3000}"

# The demo is a SpatiaLite file under var/ unless DATABASE_URL says otherwise
# (set here so that a DATABASE_URL in a local .env does not redirect the demo).
export DATABASE_URL="${DATABASE_URL:-spatialite:///$ROOT/var/demo.sqlite3}"
export DJANGO_DEBUG="${DJANGO_DEBUG:-true}"

main() {
  bootstrap
  log "migrating the database"
  manage migrate --noinput -v 0
  log "seeding a demo directory of $DEMO_PRACTITIONERS practitioners, unless it has data already"
  manage seed_demo --practitioners "$DEMO_PRACTITIONERS" --if-empty
  log "collecting static files"
  manage collectstatic --noinput -v 0
  log "serving on http://$HOST:$PORT/ (API docs: http://$HOST:$PORT/api/docs/)"
  cd "$ROOT"
  exec "$PY" manage.py runserver --noreload "$HOST:$PORT"
}

main "$@"
