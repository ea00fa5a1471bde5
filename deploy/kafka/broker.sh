#!/usr/bin/env bash
# A real single-node Kafka broker (KRaft) for development and tests, without Docker.
#
#   broker.sh jars                               copy the broker's runtime jars into the cache (once)
#   broker.sh start DIR [PORT CONTROLLER_PORT]   fresh broker in DIR; prints 127.0.0.1:PORT
#   broker.sh stop DIR                           SIGTERM, up to 30 s, then SIGKILL
#   broker.sh resume DIR                         start a stopped broker again, keeping its data
#   broker.sh status DIR                         exit 0 and print the address if it runs
#
# The jars come from Maven Central through deploy/kafka/pom.xml and are cached outside the
# work tree in $HUIYIN_KAFKA_LIBS (default ~/.cache/huiyin/kafka-<version>/libs).
# `start` wipes DIR/data: every start is an empty broker (topics and offsets are gone).
# Free ports are picked when PORT/CONTROLLER_PORT are not given. Everything binds 127.0.0.1.
# Only the bootstrap address goes to stdout; progress and errors go to stderr.
#
# Environment:
#   HUIYIN_KAFKA_LIBS         jar cache folder (must be specific to the Kafka version)
#   HUIYIN_KAFKA_HEAP         heap options (default "-Xms512m -Xmx512m")
#   HUIYIN_KAFKA_TIMEOUT      seconds to wait for readiness (default 90)
#   HUIYIN_KAFKA_OWNER_PID    if set, a watcher stops the broker when that process is gone
#                             (the pytest fixture passes its own pid: no orphan brokers)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
POM="$HERE/pom.xml"
KAFKA_VERSION=$(sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' "$POM" | head -n1)
[[ -n "$KAFKA_VERSION" ]] || { echo "broker.sh: no <kafka.version> in $POM" >&2; exit 2; }
KAFKA_LIBS=${HUIYIN_KAFKA_LIBS:-${XDG_CACHE_HOME:-$HOME/.cache}/huiyin/kafka-$KAFKA_VERSION/libs}
HEAP_OPTS=${HUIYIN_KAFKA_HEAP:--Xms512m -Xmx512m}
READY_TIMEOUT=${HUIYIN_KAFKA_TIMEOUT:-90}
STARTED_LINE='Kafka Server started'

log() { echo "broker.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# --- tools -------------------------------------------------------------------------------

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root to run: $*"
    fi
}

# A fresh machine may lack Java and Maven: install them from Debian (jars needs both).
ensure_tools() {
    local missing=()
    command -v java >/dev/null || missing+=(java)
    if [[ ${1:-} == mvn ]]; then command -v mvn >/dev/null || missing+=(mvn); fi
    if ((${#missing[@]})); then
        log "missing ${missing[*]}: installing openjdk-17-jre-headless and maven with apt-get"
        command -v apt-get >/dev/null || die "no apt-get: install Java 17+ and Maven yourself"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            openjdk-17-jre-headless maven >&2
    fi
    local v
    v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
    [[ ${v%%.*} -ge 17 ]] 2>/dev/null || die "Kafka $KAFKA_VERSION needs Java 17 or newer (found '${v:-?}')"
}

# --- jars --------------------------------------------------------------------------------

pom_sum() { sha256sum "$POM" | cut -d' ' -f1; }

# Complete = the marker names this pom's checksum and every jar it lists is present.
jars_complete() {
    local marker="$KAFKA_LIBS/.complete" jar
    [[ -f "$marker" ]] || return 1
    [[ "$(head -n1 "$marker")" == "pom-sha256 $(pom_sum)" ]] || return 1
    while IFS= read -r jar; do
        [[ -f "$KAFKA_LIBS/$jar" ]] || return 1
    done < <(tail -n +2 "$marker")
    [[ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]]
}

cmd_jars() {
    if jars_complete; then log "jars: $KAFKA_LIBS is complete"; return 0; fi
    ensure_tools mvn
    local parent tmp
    parent=$(dirname "$KAFKA_LIBS")
    mkdir -p "$parent"
    # One copier at a time (parallel test workers); the others wait and then see it complete.
    exec 9>"$parent/.libs.lock"
    flock 9
    if jars_complete; then log "jars: $KAFKA_LIBS is complete"; return 0; fi
    tmp=$(mktemp -d "$parent/libs.tmp.XXXXXX")
    log "jars: fetching Kafka $KAFKA_VERSION runtime jars with Maven into $KAFKA_LIBS"
    # Maven's output is kept and shown only on failure (3.8 prints stray colour codes even with -q).
    if ! mvn -B -q -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
            -DincludeScope=runtime -DoutputDirectory="$tmp" > "$tmp.mvn.log" 2>&1; then
        sed 's/\x1b\[[0-9;]*m//g' "$tmp.mvn.log" >&2
        rm -rf "$tmp" "$tmp.mvn.log"
        die "jars: mvn failed (output above)"
    fi
    rm -f "$tmp.mvn.log"
    { echo "pom-sha256 $(pom_sum)"; (cd "$tmp" && ls -1 -- *.jar); } > "$tmp/.complete"
    if [[ -e "$KAFKA_LIBS" ]]; then rm -rf "$KAFKA_LIBS.old"; mv "$KAFKA_LIBS" "$KAFKA_LIBS.old"; fi
    mv "$tmp" "$KAFKA_LIBS"
    rm -rf "$KAFKA_LIBS.old"
    log "jars: $(($(wc -l < "$KAFKA_LIBS/.complete") - 1)) jars in $KAFKA_LIBS"
}

# --- start / stop ------------------------------------------------------------------------

# Two distinct free TCP ports on 127.0.0.1 (the kernel picks them; a race with another
# process is possible, so start retries with new ports when the bind fails).
free_ports() {
    python3 - <<'PY'
import socket
socks = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(*(s.getsockname()[1] for s in socks))
PY
}

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# 22-character base64url UUID, as `kafka-storage.sh random-uuid` makes (without a JVM).
random_cluster_id() {
    local id
    while :; do
        id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        [[ $id == -* ]] || break
    done
    echo "$id"
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd -P); }

# The pid in DIR/broker.pid, if that process is alive and is this DIR's broker.
running_pid() {
    local dir=$1 pid
    [[ -f "$dir/broker.pid" ]] || return 1
    pid=$(<"$dir/broker.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $dir/server.properties" || return 1
    echo "$pid"
}

log_tail() {
    local dir=$1
    {
        echo "----- last lines of $dir/broker.log -----"
        tail -n "${2:-60}" "$dir/broker.log" 2>/dev/null || echo "(no log)"
        echo "-----"
    } >&2
}

render_config() {
    local dir=$1 port=$2 cport=$3 text
    text=$(<"$HERE/server.properties.template")
    text=${text//@PORT@/"$port"}
    text=${text//@CONTROLLER_PORT@/"$cport"}
    text=${text//@LOG_DIR@/"$dir/data"}
    printf '%s\n' "$text" > "$dir/server.properties"
    cp "$HERE/log4j2.properties" "$dir/log4j2.properties"
}

# One attempt: 0 = ready, 1 = failed, 3 = failed because a port was taken.
start_once() {
    local dir=$1 port=$2 cport=$3 cp="$KAFKA_LIBS/*" cid
    rm -rf "$dir/data" "$dir/broker.log" "$dir/format.log" "$dir/bootstrap"
    mkdir -p "$dir/data"
    render_config "$dir" "$port" "$cport"
    local jopts=(-Djava.awt.headless=true "-Dlog4j2.configurationFile=$dir/log4j2.properties")

    cid=$(random_cluster_id)
    echo "$cid" > "$dir/cluster.id"
    if ! java -Xmx256m -XX:TieredStopAtLevel=1 "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool \
            format --standalone -t "$cid" -c "$dir/server.properties" > "$dir/format.log" 2>&1; then
        log "storage format failed:"; cat "$dir/format.log" >&2
        return 1
    fi

    : > "$dir/broker.log"
    launch "$dir" "$port"
}

# Start the JVM on DIR's config and data and wait until ready: 0 ready, 1 failed, 3 port taken.
launch() {
    local dir=$1 port=$2 cp="$KAFKA_LIBS/*" pid deadline
    local jopts=(-Djava.awt.headless=true "-Dlog4j2.configurationFile=$dir/log4j2.properties")
    # setsid: own session, so Ctrl-C in the caller's terminal does not reach the broker
    # (the caller stops it). All fds redirected: the caller's pipes must not be held open.
    # shellcheck disable=SC2086  # HEAP_OPTS is a list of options
    setsid java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
        "${jopts[@]}" -cp "$cp" kafka.Kafka "$dir/server.properties" \
        < /dev/null >> "$dir/broker.log" 2>&1 &
    pid=$!
    echo "$pid" > "$dir/broker.pid"

    deadline=$((SECONDS + READY_TIMEOUT))
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            if grep -sqiE 'address already in use|BindException' "$dir/broker.log"; then return 3; fi
            log "broker exited during start-up"; log_tail "$dir"
            return 1
        fi
        if grep -sqF "$STARTED_LINE" "$dir/broker.log" && port_open "$port"; then
            return 0
        fi
        if ((SECONDS >= deadline)); then
            log "broker not ready after ${READY_TIMEOUT}s"; log_tail "$dir"
            stop_pid "$dir" "$pid" 10
            return 1
        fi
        sleep 0.2
    done
}

# Stops the owner-watcher of DIR, if any.
stop_watcher() {
    local dir=$1 wpid
    [[ -f "$dir/watcher.pid" ]] || return 0
    wpid=$(<"$dir/watcher.pid")
    rm -f "$dir/watcher.pid"
    if [[ $wpid =~ ^[0-9]+$ ]]; then kill "$wpid" 2>/dev/null || true; fi
}

# When HUIYIN_KAFKA_OWNER_PID dies (e.g. pytest killed with SIGKILL), stop the broker.
start_watcher() {
    local dir=$1 pid=$2 owner=$3
    # shellcheck disable=SC2016  # expanded by the inner shell
    setsid bash -c '
        owner=$1; pid=$2; dir=$3
        while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 2; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "broker.sh watcher: owner $owner is gone, stopping broker $pid" >> "$dir/broker.log"
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.2; done
            kill -KILL "$pid" 2>/dev/null
        fi' watcher "$owner" "$pid" "$dir" < /dev/null > /dev/null 2>&1 &
    echo $! > "$dir/watcher.pid"
}

cmd_start() {
    [[ $# -eq 1 || $# -eq 3 ]] || die "usage: broker.sh start DIR [PORT CONTROLLER_PORT]"
    local dir port cport auto=0 attempt rc pid t0 ms
    t0=$(date +%s%N)
    [[ $1 != *[,\\$'\n']* ]] || die "DIR must not contain commas, backslashes or newlines: $1"
    dir=$(abs_dir "$1")
    if pid=$(running_pid "$dir"); then
        die "a broker already runs from $dir (pid $pid, $(cat "$dir/bootstrap" 2>/dev/null)); stop it first"
    fi
    if [[ $# -eq 3 ]]; then
        port=$2 cport=$3
        [[ $port =~ ^[0-9]+$ && $cport =~ ^[0-9]+$ && $port != "$cport" ]] \
            || die "PORT and CONTROLLER_PORT must be two different numbers"
        ! port_open "$port" || die "port $port is already in use on 127.0.0.1"
        ! port_open "$cport" || die "port $cport is already in use on 127.0.0.1"
    else
        auto=1
    fi
    cmd_jars
    ensure_tools
    for attempt in 1 2 3; do
        ((auto)) && read -r port cport < <(free_ports)
        log "starting Kafka $KAFKA_VERSION in $dir on 127.0.0.1:$port (controller $cport)"
        rc=0; start_once "$dir" "$port" "$cport" || rc=$?
        if ((rc == 0)); then
            pid=$(<"$dir/broker.pid")
            echo "127.0.0.1:$port" > "$dir/bootstrap"
            stop_watcher "$dir"
            if [[ -n ${HUIYIN_KAFKA_OWNER_PID:-} ]]; then
                start_watcher "$dir" "$pid" "$HUIYIN_KAFKA_OWNER_PID"
            fi
            ms=$((($(date +%s%N) - t0) / 1000000))
            log "ready in $((ms / 1000)).$(printf %03d $((ms % 1000)))s (pid $pid, log $dir/broker.log)"
            echo "127.0.0.1:$port"
            return 0
        fi
        rm -f "$dir/broker.pid"
        if ((rc == 3 && auto && attempt < 3)); then
            log "a port was taken meanwhile; retrying with new ports"
            continue
        fi
        if ((rc == 3)); then
            log "port $port or $cport is in use:"
            grep -m 2 -iE 'address already in use' "$dir/broker.log" >&2 || true
        fi
        exit 1
    done
}

# SIGTERM, wait up to $3 seconds, then SIGKILL.
stop_pid() {
    local dir=$1 pid=$2 grace=${3:-30} i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < grace * 5; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    log "broker $pid did not stop within ${grace}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

cmd_stop() {
    [[ $# -eq 1 ]] || die "usage: broker.sh stop DIR"
    local dir pid
    [[ -d $1 ]] || { log "no such directory: $1 (nothing to stop)"; return 0; }
    dir=$(cd "$1" && pwd -P)
    stop_watcher "$dir"
    if pid=$(running_pid "$dir"); then
        log "stopping broker $pid ($dir)"
        stop_pid "$dir" "$pid" 30
    else
        log "no broker running from $dir"
    fi
    rm -f "$dir/broker.pid" "$dir/bootstrap"
}

# Start a stopped broker again on its own config, data and ports: topics, messages and
# committed offsets survive, as after a broker restart in production.
cmd_resume() {
    [[ $# -eq 1 ]] || die "usage: broker.sh resume DIR"
    local dir port pid rc=0
    dir=$(cd "$1" 2>/dev/null && pwd -P) || die "no broker directory $1"
    [[ -f "$dir/server.properties" && -d "$dir/data" ]] || die "$dir was never started"
    if pid=$(running_pid "$dir"); then die "a broker already runs from $dir (pid $pid)"; fi
    port=$(sed -n 's/^listeners=PLAINTEXT:\/\/127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$dir/server.properties")
    [[ -n $port ]] || die "cannot read the port from $dir/server.properties"
    cmd_jars
    log "resuming Kafka $KAFKA_VERSION in $dir on 127.0.0.1:$port"
    # A fresh log, so readiness is read from this start and not the one before.
    mv -f "$dir/broker.log" "$dir/broker.log.previous" 2>/dev/null || true
    : > "$dir/broker.log"
    launch "$dir" "$port" || rc=$?
    ((rc == 0)) || die "resume failed (status $rc)"
    pid=$(<"$dir/broker.pid")
    echo "127.0.0.1:$port" > "$dir/bootstrap"
    if [[ -n ${HUIYIN_KAFKA_OWNER_PID:-} ]]; then
        stop_watcher "$dir"
        start_watcher "$dir" "$pid" "$HUIYIN_KAFKA_OWNER_PID"
    fi
    echo "127.0.0.1:$port"
}

cmd_status() {
    [[ $# -eq 1 ]] || die "usage: broker.sh status DIR"
    local dir pid
    dir=$(cd "$1" 2>/dev/null && pwd -P) || die "no broker directory $1"
    pid=$(running_pid "$dir") || die "no broker running from $dir"
    log "broker pid $pid, log $dir/broker.log"
    cat "$dir/bootstrap"
}

case ${1:-} in
    jars) shift; [[ $# -eq 0 ]] || die "usage: broker.sh jars"; cmd_jars ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    resume) shift; cmd_resume "$@" ;;
    status) shift; cmd_status "$@" ;;
    *) sed -n '2,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
