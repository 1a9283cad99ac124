#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the crawl-store tests: initdb in a temp
# folder, listening on 127.0.0.1 only (and a Unix socket in that folder), trust
# auth, torn down by `stop`. PostgreSQL refuses to run as root, so as root the
# server runs as the `postgres` system user that Debian's package creates.
#
#   scripts/postgres.sh install              apt-get install postgresql if it is missing (root)
#   eval "$(scripts/postgres.sh start)"      start; prints `export BTDHT_TEST_POSTGRES_URL=...`
#                                            and `export BTDHT_POSTGRES_DIR=...`
#   scripts/postgres.sh stop [DIR]           stop the cluster in DIR (default $BTDHT_POSTGRES_DIR), delete DIR
#   scripts/postgres.sh run -- CMD [ARG...]  start, run CMD with the URL exported, stop, exit with CMD's status
#
# The port is a free one unless BTDHT_POSTGRES_PORT is set.
set -euo pipefail

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z "$dir" || ! -x "$dir/initdb" ]]; then
    echo "postgres.sh: no PostgreSQL server found (/usr/lib/postgresql/*/bin/initdb); run: $0 install" >&2
    exit 1
  fi
  echo "$dir"
}

# Run a command as the user the server runs as.
as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  node -e "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

cmd_install() {
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "postgres.sh: PostgreSQL already installed" >&2
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
}

cmd_start() {
  local bin port dir
  bin=$(pg_bin)
  port=${BTDHT_POSTGRES_PORT:-$(free_port)}
  dir=$(mktemp -d "${TMPDIR:-/tmp}/btdht-postgres.XXXXXX")
  chmod 700 "$dir"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
  if ! as_server_user "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    exit 1
  fi
  # Throwaway data: no fsync. Loopback TCP only, plus a socket in our folder.
  if ! as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
    start >/dev/null; then
    cat "$dir/server.log" >&2 || true
    rm -rf "$dir"
    exit 1
  fi
  echo "export BTDHT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
  echo "export BTDHT_POSTGRES_DIR=$dir"
}

cmd_stop() {
  local dir=${1:-${BTDHT_POSTGRES_DIR:-}}
  if [[ -z "$dir" || ! -d "$dir/data" ]]; then
    echo "postgres.sh: no cluster folder given (arg or BTDHT_POSTGRES_DIR)" >&2
    exit 1
  fi
  local bin
  bin=$(pg_bin)
  as_server_user "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
  rm -rf "$dir"
}

cmd_run() {
  [[ "${1:-}" == "--" ]] && shift
  if [[ $# -eq 0 ]]; then
    echo "usage: $0 run -- CMD [ARG...]" >&2
    exit 2
  fi
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]]; then
      echo "postgres.sh: installing Debian's postgresql for the crawl-store tests" >&2
      cmd_install
    else
      echo "postgres.sh: the crawl-store tests need a PostgreSQL server: run '$0 install' as root (or set BTDHT_NO_POSTGRES=1 to leave those tests out)" >&2
      exit 1
    fi
  fi
  local exports
  exports=$(cmd_start) || exit 1
  eval "$exports"
  trap 'cmd_stop "$BTDHT_POSTGRES_DIR"' EXIT
  local status=0
  "$@" || status=$?
  exit "$status"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) shift; cmd_stop "$@" ;;
  run) shift; cmd_run "$@" ;;
  *)
    echo "usage: $0 install | start | stop [DIR] | run -- CMD [ARG...]" >&2
    exit 2
    ;;
esac
