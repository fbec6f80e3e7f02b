#!/bin/sh
# Starts or stops a throwaway PostgreSQL 15 server for development and tests.
#
#   scripts/pg.sh start <dir> <port>   init (if needed) + start; prints the URL
#   scripts/pg.sh stop <dir>           fast shutdown
#   scripts/pg.sh status <dir>         exit 0 when running
#
# PostgreSQL refuses to run as root, so when we are root the server runs as the
# `postgres` user and <dir> is handed to it. Idempotent: starting a running server
# or stopping a stopped one succeeds.
set -eu

usage() {
  echo "usage: $0 start <dir> <port> | stop <dir> | status <dir>" >&2
  exit 2
}

# Finds initdb/pg_ctl: PATH first, then the Debian layout, else installs PostgreSQL.
find_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    PG_BIN=$(dirname "$(command -v pg_ctl)")
    return
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      PG_BIN=$d
      return
    fi
  done
  echo "pg.sh: PostgreSQL not found, installing it with apt-get" >&2
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then
      PG_BIN=$d
      return
    fi
  done
  echo "pg.sh: could not find initdb after installing postgresql" >&2
  exit 1
}

# Runs a command as the server's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$1"
  else
    sh -c "$1"
  fi
}

cmd=${1:-}
[ -n "$cmd" ] || usage

case "$cmd" in
  start)
    [ $# -eq 3 ] || usage
    dir=$2
    port=$3
    find_bin
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then
      chown postgres:postgres "$dir"
    fi
    chmod 700 "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      # initdb wants an empty directory, so its chatter goes to stderr, not into <dir>.
      as_owner "'$PG_BIN/initdb' -D '$dir' -A trust -U postgres" >&2
    fi
    if as_owner "'$PG_BIN/pg_ctl' -D '$dir' status" >/dev/null 2>&1; then
      echo "pg.sh: already running in $dir" >&2
    else
      as_owner "'$PG_BIN/pg_ctl' -D '$dir' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1\" -l '$dir/log' -w start" >&2 || {
        tail -n 30 "$dir/log" >&2 || true
        exit 1
      }
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ $# -eq 2 ] || usage
    dir=$2
    find_bin
    if [ -f "$dir/postmaster.pid" ] && as_owner "'$PG_BIN/pg_ctl' -D '$dir' status" >/dev/null 2>&1; then
      as_owner "'$PG_BIN/pg_ctl' -D '$dir' -m fast -w stop" >&2
    else
      echo "pg.sh: not running in $dir" >&2
    fi
    ;;
  status)
    [ $# -eq 2 ] || usage
    find_bin
    as_owner "'$PG_BIN/pg_ctl' -D '$2' status"
    ;;
  *)
    usage
    ;;
esac
