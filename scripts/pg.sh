#!/bin/sh
# pg.sh: a private PostgreSQL cluster for imsd development and tests.
#
#   scripts/pg.sh start    init (first time) and start the cluster, create the
#                          databases imsd and imsd_test, print the conninfo
#   scripts/pg.sh stop     stop it (data is kept)
#   scripts/pg.sh status   exit 0 and say so if it runs, exit 3 otherwise
#   scripts/pg.sh url      print the conninfo of database imsd
#
# Lifecycle: absent -> initialized (data dir) -> running -> stopped -> running ...
# The cluster lives in $IMSD_RUN_DIR/pg (default <repo>/.run/pg) and listens on
# a unix socket in that directory and on 127.0.0.1:$IMSD_PG_PORT (default
# 55432) only.  Local connections are trusted: this is for development and
# tests, never for production.  PostgreSQL refuses to run as root, so when run
# as root the server runs as the `postgres` user (via runuser); if that user
# cannot reach $IMSD_RUN_DIR (a clone in root's home: /root is 0700), the
# cluster lives in the postgres user's home instead, in
# imsd-pg-<hash of the run directory> (e.g. /var/lib/postgresql/imsd-pg-1a2b3c4d5e6f),
# one per run directory as before.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
run_dir=${IMSD_RUN_DIR:-$repo/.run}
case $run_dir in /*) ;; *) run_dir=$PWD/$run_dir ;; esac
pg_dir=$run_dir/pg
port=${IMSD_PG_PORT:-55432}

# postgres_can_reach DIR: TRUE if the postgres user can search every directory
# on the way to DIR (the ones that exist).
postgres_can_reach() {
  d=$1
  while [ ! -d "$d" ]; do d=$(dirname "$d"); done
  runuser -u postgres -- test -x "$d"
}
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && ! postgres_can_reach "$run_dir"; then
  postgres_home=$(getent passwd postgres | cut -d: -f6)
  pg_dir=$postgres_home/imsd-pg-$(printf '%s' "$run_dir" | md5sum | cut -c1-12)
fi
data_dir=$pg_dir/data
log_file=$pg_dir/postgresql.log

find_bindir() {
  if [ -n "${IMSD_PG_BINDIR:-}" ]; then echo "$IMSD_PG_BINDIR"; return; fi
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
  done
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir)
    if [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
  fi
  echo "pg.sh: no PostgreSQL server binaries found (pg_ctl)" >&2
  exit 1
}
bindir=$(find_bindir)

# as_pg CMD...: runs CMD as the user owning the cluster (from / when that is
# postgres: it may not be allowed into the caller's directory; paths here are
# absolute).
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

url() {
  echo "postgresql://postgres@127.0.0.1:$port/imsd"
}

is_running() {
  [ -f "$data_dir/PG_VERSION" ] && as_pg "$bindir/pg_ctl" -D "$data_dir" status >/dev/null 2>&1
}

psql_admin() {
  as_pg "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$port" -U postgres -d postgres "$@"
}

ensure_database() {
  exists=$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")
  if [ "$exists" != 1 ]; then
    as_pg "$bindir/createdb" -h "$pg_dir" -p "$port" -U postgres "$1"
  fi
}

start() {
  mkdir -p "$pg_dir"
  if [ "$(id -u)" = 0 ]; then
    # The postgres user must be able to reach and own its directory.
    [ "$pg_dir" != "$run_dir/pg" ] || chmod o+x "$run_dir"
    chown postgres: "$pg_dir"
  fi
  chmod 755 "$pg_dir"   # the data directory inside stays 0700
  if [ ! -f "$data_dir/PG_VERSION" ]; then
    as_pg "$bindir/initdb" -D "$data_dir" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 || {
        cat "$pg_dir/initdb.log" >&2; exit 1; }
  fi
  if ! is_running; then
    as_pg "$bindir/pg_ctl" -D "$data_dir" -l "$log_file" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$pg_dir'" \
      start >/dev/null || { tail -n 20 "$log_file" >&2; exit 1; }
  fi
  # pg_ctl -w waits for startup; also wait for the port to accept connections.
  i=0
  until as_pg "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; do
    i=$((i + 1))
    if [ $i -ge 60 ]; then echo "pg.sh: server not ready, see $log_file" >&2; exit 1; fi
    sleep 0.5
  done
  ensure_database imsd
  ensure_database imsd_test
  url
}

stop() {
  if is_running; then
    as_pg "$bindir/pg_ctl" -D "$data_dir" -m fast -w stop >/dev/null
  fi
  echo "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if is_running; then echo "running: $(url)"; else echo "not running"; exit 3; fi ;;
  url) url ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
