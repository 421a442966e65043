#!/usr/bin/env bash
# Stop the test servers started by start.sh (from their PID files). Idempotent.
#
#   tests/servers/stop.sh            # both
#   tests/servers/stop.sh neo4j      # only Neo4j
#   tests/servers/stop.sh fuseki     # only Fuseki
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$HERE/.run"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"   # seconds before SIGKILL

log() { printf '[servers] %s\n' "$*" >&2; }

marker() {
    case "$1" in
        neo4j) echo "consultgraph.Neo4jLauncher" ;;
        fuseki) echo "jena-fuseki-server" ;;
    esac
}

stop_one() {
    local name="$1" pidfile="$RUN/$1.pid" pid i
    if [ ! -f "$pidfile" ]; then
        log "$name: not running"
        return 0
    fi
    pid="$(cat "$pidfile")"
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
        log "$name: not running (stale pid file removed)"
        rm -f "$pidfile"
        return 0
    fi
    # never signal a recycled pid that is not our server
    if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -e "$(marker "$name")"; then
        log "$name: pid $pid is not a $name server (stale pid file removed)"
        rm -f "$pidfile"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name: still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null
        sleep 0.5
    fi
    rm -f "$pidfile" "$RUN/$name-http-port"
    log "$name: stopped (pid $pid)"
}

names=("$@")
[ ${#names[@]} -eq 0 ] && names=(neo4j fuseki)
for name in "${names[@]}"; do
    case "$name" in
        neo4j|fuseki) stop_one "$name" ;;
        -h|--help) sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) log "unknown argument: $name (expected: neo4j, fuseki)"; exit 2 ;;
    esac
done
exit 0
