#!/usr/bin/env bash
# PostgreSQL 15 + PostGIS for the run and test commands: find a server,
# prepare a database in it, or start a cluster of the project's own.
# Sourced after scripts/bootstrap.sh (it uses log, die and ensure_packages).

PG_VERSION=15
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
PG_PACKAGES=("postgresql-$PG_VERSION" "postgresql-$PG_VERSION-postgis-3")

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# psql_at HOST PORT DB SQL: run SQL as postgres, never prompting for a password.
psql_at() {
  psql -X -q -w -v ON_ERROR_STOP=1 -h "$1" -p "$2" -U postgres -d "$3" -tA -c "$4"
}

# prepare_database HOST PORT NAME: the database, and PostGIS in it and in
# template1 (so Django's test_NAME, copied from template1, has it too);
# exports DATABASE_URL.
prepare_database() {
  local host="$1" port="$2" name="$3"
  if [ -z "$(psql_at "$host" "$port" postgres "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")" ]; then
    log "the server on $host:$port lacks PostGIS"
    ensure_packages "postgresql-$PG_VERSION-postgis-3"
  fi
  if [ -z "$(psql_at "$host" "$port" postgres "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
    log "creating database $name on $host:$port"
    psql_at "$host" "$port" postgres "CREATE DATABASE $name"
  fi
  psql_at "$host" "$port" template1 "CREATE EXTENSION IF NOT EXISTS postgis" 2>/dev/null
  psql_at "$host" "$port" "$name" "CREATE EXTENSION IF NOT EXISTS postgis" 2>/dev/null
  export DATABASE_URL="postgis://postgres@$host:$port/$name"
}

# The owner of a cluster of the project's: initdb refuses to run as root.
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

# start_cluster DIR PORT [EXTRA SERVER OPTIONS]: initdb DIR/data if it has none, then start
# it on 127.0.0.1:PORT with its socket in DIR.
start_cluster() {
  local dir="$1" port="$2" options="${3:-}"
  ensure_packages "${PG_PACKAGES[@]}" "postgresql-client-$PG_VERSION"
  mkdir -p "$dir"
  chown "$(cluster_user)" "$dir"
  if [ ! -s "$dir/data/PG_VERSION" ]; then
    log "creating a PostgreSQL $PG_VERSION cluster in $dir"
    as_cluster_user "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  log "starting PostgreSQL $PG_VERSION on 127.0.0.1:$port ($dir)"
  as_cluster_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir $options" start \
    || { tail -n 30 "$dir/server.log" >&2; die "PostgreSQL did not start (log: $dir/server.log)"; }
}

# stop_cluster DIR
stop_cluster() {
  as_cluster_user "$PG_BIN/pg_ctl" -D "$1/data" -m fast -s stop
}

# cluster_running DIR: its postmaster answers.
cluster_running() {
  [ -s "$1/data/postmaster.pid" ] && as_cluster_user "$PG_BIN/pg_ctl" -D "$1/data" -s status >/dev/null 2>&1
}
