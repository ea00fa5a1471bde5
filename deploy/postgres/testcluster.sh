#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests and development: `start DIR` prints its admin URL,
# `stop DIR` stops it. Settings trade durability for speed; never point it at real data.
# SIZING=file, at a cluster's first start, adds that file's settings (its memory, its WAL).
set -euo pipefail

usage() {
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
}

die() {
    echo "testcluster: $*" >&2
    exit 1
}

# PostgreSQL refuses to run as root, so root runs the server as the Debian package's user.
as_server_user() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

find_bindir() {
    local dir
    if [[ -n ${PG_BINDIR:-} ]]; then
        echo "$PG_BINDIR"
        return
    fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n $dir && -x $dir/initdb ]]; then
        echo "$dir"
    elif command -v initdb >/dev/null; then
        dirname "$(command -v initdb)"
    fi
}

ensure_installed() {
    BINDIR=$(find_bindir)
    if [[ -n $BINDIR ]]; then
        return
    fi
    [[ $EUID -eq 0 ]] || die "PostgreSQL is not installed; as root run: apt-get install -y postgresql"
    echo "testcluster: installing PostgreSQL with apt-get" >&2
    {
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
    } >&2 || die "apt-get could not install postgresql"
    BINDIR=$(find_bindir)
    [[ -n $BINDIR ]] || die "postgresql was installed but no initdb was found"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The port of a running cluster is the fourth line of postmaster.pid.
running_port() {
    [[ -f $DATA/postmaster.pid ]] || return 1
    as_server_user "$BINDIR/pg_ctl" status -D "$DATA" >/dev/null 2>&1 || return 1
    sed -n 4p "$DATA/postmaster.pid"
}

init_cluster() {
    [[ ! -e $DATA ]] || die "$DATA exists but holds no cluster; remove it or choose another DIR"
    as_server_user "$BINDIR/initdb" -D "$DATA" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
        || die "initdb failed; see $DIR/initdb.log:"$'\n'"$(tail -n 20 "$DIR/initdb.log")"
    cat >"$DATA/pg_hba.conf" <<'HBA'
local all all trust
host  all all 127.0.0.1/32 trust
HBA
    cat >>"$DATA/postgresql.conf" <<CONF

# testcluster.sh: loopback only, socket inside DIR, durability off for speed
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCKETS'
unix_socket_permissions = 0700
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    if [[ -n ${SIZING:-} ]]; then
        # A server's sizing beside the defaults above (deploy/postgres/province.conf).
        cp "$SIZING" "$DATA/sizing.conf"
        chmod 644 "$DATA/sizing.conf"
        echo "include 'sizing.conf'" >>"$DATA/postgresql.conf"
    fi
}

start() {
    local port attempt
    if port=$(running_port); then
        echo "testcluster: already running in $DIR" >&2
        echo "postgresql://postgres@127.0.0.1:$port/postgres"
        return
    fi
    [[ -f $DATA/PG_VERSION ]] || init_cluster
    rm -f "$DATA/postmaster.pid"
    # Another process may take the port between choosing and binding it: choose again.
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        [[ ! -f $DIR/postgres.log ]] || : >"$DIR/postgres.log"
        if as_server_user "$BINDIR/pg_ctl" start -D "$DATA" -l "$DIR/postgres.log" -w -t 60 \
            -o "-p $port" >&2; then
            break
        fi
        grep -q "could not bind" "$DIR/postgres.log" && [[ $attempt -lt 5 ]] \
            || die "the server did not start; see $DIR/postgres.log:"$'\n'"$(tail -n 20 "$DIR/postgres.log")"
    done
    for attempt in $(seq 1 60); do
        "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres && break
        [[ $attempt -lt 60 ]] || die "the server started but does not accept connections on port $port"
        sleep 0.5
    done
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

stop() {
    if ! running_port >/dev/null; then
        echo "testcluster: no cluster running in $DIR" >&2
        return
    fi
    as_server_user "$BINDIR/pg_ctl" stop -D "$DATA" -m fast -w >&2
}

[[ $# -eq 2 ]] || usage
case $1 in
    start)
        mkdir -p "$2"
        DIR=$(cd "$2" && pwd)
        DATA=$DIR/data
        SOCKETS=$DIR/run
        [[ ${#SOCKETS} -le 90 ]] || die "DIR is too deep for a unix socket path: $SOCKETS"
        [[ $DIR != *"'"* ]] || die "DIR must not contain a single quote: $DIR"
        ensure_installed
        mkdir -p "$SOCKETS"
        if [[ $EUID -eq 0 ]]; then
            chown postgres: "$DIR" "$SOCKETS"
            runuser -u postgres -- test -w "$DIR" \
                || die "the postgres user cannot reach $DIR; choose a directory it can traverse"
        fi
        # The server inherits this working directory; root's own may be unreadable to it.
        cd "$DIR"
        start
        ;;
    stop)
        if ! DIR=$(cd "$2" 2>/dev/null && pwd); then
            echo "testcluster: no cluster in $2: no such directory" >&2
            exit 0
        fi
        DATA=$DIR/data
        BINDIR=$(find_bindir)
        if [[ -z $BINDIR ]]; then
            echo "testcluster: PostgreSQL is not installed, so nothing runs in $DIR" >&2
            exit 0
        fi
        cd "$DIR"
        stop
        ;;
    *) usage ;;
esac
