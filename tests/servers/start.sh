#!/usr/bin/env bash
# Start real Neo4j (embedded: Bolt, and HTTP with Neo4j Browser) and a password-protected
# Apache Jena Fuseki for consultgraph's tests and users, built/fetched from Maven Central.
# No Docker needed: Java 17+ and Maven.
#
#   tests/servers/start.sh            # both
#   tests/servers/start.sh neo4j      # only Neo4j
#   tests/servers/start.sh fuseki     # only Fuseki
#
# Stop with tests/servers/stop.sh. See README.md for the environment variables.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$HERE/.build"
RUN="$HERE/.run"

NEO4J_VERSION="$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$HERE/neo4j-launcher/pom.xml")"
FUSEKI_VERSION="${FUSEKI_VERSION:-5.6.0}"
NEO4J_BOLT_PORT="${NEO4J_BOLT_PORT:-7687}"
NEO4J_HTTP_PORT="${NEO4J_HTTP_PORT:-7474}"      # Neo4j Browser at /browser/; 0 turns HTTP off
NEO4J_HEAP="${NEO4J_HEAP:-1g}"                  # -Xmx
NEO4J_HEAP_INITIAL="${NEO4J_HEAP_INITIAL:-256m}"  # -Xms
NEO4J_PAGECACHE="${NEO4J_PAGECACHE:-256m}"
NEO4J_PASSWORD="${NEO4J_PASSWORD:-}"      # empty: auth disabled
NEO4J_KEEP_DATA="${NEO4J_KEEP_DATA:-0}"   # 1: reuse .run/neo4j-home across restarts
FUSEKI_PORT="${FUSEKI_PORT:-3030}"
FUSEKI_DATASET="${FUSEKI_DATASET:-kg}"
FUSEKI_HEAP="${FUSEKI_HEAP:-1g}"
FUSEKI_ADMIN_PASSWORD="${FUSEKI_ADMIN_PASSWORD:-}"  # empty: a random one, saved in .run/fuseki-password
NEO4J_JAVA_OPTS="${NEO4J_JAVA_OPTS:-}"    # extra JVM flags, e.g. -XX:TieredStopAtLevel=1
FUSEKI_JAVA_OPTS="${FUSEKI_JAVA_OPTS:-}"
START_TIMEOUT="${START_TIMEOUT:-120}"     # seconds, per server
PYTHON="${PYTHON:-python3}"
MVN="${MVN:-mvn}"

NEO4J_JAR="$BUILD/neo4j-launcher/neo4j-launcher.jar"
FUSEKI_JAR="$BUILD/fuseki/jena-fuseki-server-$FUSEKI_VERSION.jar"

log() { printf '[servers] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

want_neo4j=0
want_fuseki=0
if [ $# -eq 0 ]; then
    want_neo4j=1
    want_fuseki=1
fi
for arg in "$@"; do
    case "$arg" in
        neo4j) want_neo4j=1 ;;
        fuseki) want_fuseki=1 ;;
        -h|--help) usage 0 ;;
        *) log "unknown argument: $arg (expected: neo4j, fuseki)"; usage 2 ;;
    esac
done

command -v java >/dev/null || die "java not found (Java 17+ needed)"
mkdir -p "$BUILD" "$RUN"

# --- helpers ----------------------------------------------------------------------

# is_running NAME: the PID file names a live process that is ours
is_running() {
    local pidfile="$RUN/$1.pid" pid
    [ -f "$pidfile" ] || return 1
    pid="$(cat "$pidfile")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -e "$(marker "$1")"
}

marker() {
    case "$1" in
        neo4j) echo "consultgraph.Neo4jLauncher" ;;
        fuseki) echo "jena-fuseki-server" ;;
    esac
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fail_start() { # NAME MESSAGE: report, stop what this run launched, exit 1
    local name="$1" n pid
    log "ERROR: $name: $2"
    if [ -f "$RUN/$name.log" ]; then
        log "last lines of $RUN/$name.log:"
        tail -n 40 "$RUN/$name.log" >&2
    fi
    for n in "${STARTED[@]}"; do
        if [ -f "$RUN/$n.pid" ]; then
            pid="$(cat "$RUN/$n.pid")"
            kill "$pid" 2>/dev/null || true
            rm -f "$RUN/$n.pid"
            [ "$n" = "$name" ] || log "stopped $n (pid $pid) again"
        fi
    done
    exit 1
}

# --- build / fetch -----------------------------------------------------------------

build_neo4j() {
    local src="$HERE/neo4j-launcher"
    if [ -f "$NEO4J_JAR" ] && [ -d "$BUILD/neo4j-launcher/lib" ] &&
       [ -z "$(find "$src/pom.xml" "$src/src" -newer "$NEO4J_JAR" -type f 2>/dev/null)" ]; then
        return 0
    fi
    command -v "$MVN" >/dev/null || die "mvn not found (Maven 3.8+ needed to build the Neo4j launcher)"
    log "building Neo4j $NEO4J_VERSION launcher with Maven (first time downloads ~125 MB to ~/.m2) ..."
    local t0=$SECONDS
    rm -rf "$BUILD/neo4j-launcher/lib"
    if ! "$MVN" -B -q -f "$src/pom.xml" package >"$BUILD/neo4j-build.log" 2>&1; then
        tail -n 40 "$BUILD/neo4j-build.log" >&2
        die "Maven build of neo4j-launcher failed (full log: $BUILD/neo4j-build.log)"
    fi
    log "built in $((SECONDS - t0))s"
}

fetch_fuseki() {
    [ -f "$FUSEKI_JAR" ] && return 0
    command -v "$MVN" >/dev/null || die "mvn not found (Maven 3.8+ needed to fetch Fuseki)"
    log "fetching org.apache.jena:jena-fuseki-server:$FUSEKI_VERSION with Maven (~56 MB) ..."
    local t0=$SECONDS
    mkdir -p "$BUILD/fuseki"
    if ! "$MVN" -B -q dependency:copy \
            "-Dartifact=org.apache.jena:jena-fuseki-server:$FUSEKI_VERSION" \
            "-DoutputDirectory=$BUILD/fuseki" >"$BUILD/fuseki-fetch.log" 2>&1; then
        tail -n 40 "$BUILD/fuseki-fetch.log" >&2
        die "Maven could not fetch jena-fuseki-server $FUSEKI_VERSION (full log: $BUILD/fuseki-fetch.log)"
    fi
    log "fetched in $((SECONDS - t0))s"
}

# --- start -------------------------------------------------------------------------

neo4j_query_ok() {
    # A real Bolt round trip when the Python driver is installed; else the port is enough.
    if ! "$PYTHON" -c 'import neo4j' 2>/dev/null; then
        port_open "$NEO4J_BOLT_PORT"
        return
    fi
    NEO4J_URI="bolt://127.0.0.1:$NEO4J_BOLT_PORT" NEO4J_PASSWORD="$NEO4J_PASSWORD" "$PYTHON" - <<'EOF' 2>/dev/null
import os, sys
from neo4j import GraphDatabase
pw = os.environ.get("NEO4J_PASSWORD")
auth = ("neo4j", pw) if pw else None  # the launcher's user is neo4j
with GraphDatabase.driver(os.environ["NEO4J_URI"], auth=auth, connection_timeout=3) as d:
    records, _, _ = d.execute_query("RETURN 1 AS ok")
    sys.exit(0 if records[0]["ok"] == 1 else 1)
EOF
}

# launch_X: start X in the background unless it already runs; build/fetch first.
# wait_X: wait until X answers real requests, or fail with its last log lines.
STARTED=()     # servers launched by this invocation (stopped again if a start fails)
declare -A T0  # launch time per server

launch_neo4j() {
    T0[neo4j]=$SECONDS
    if is_running neo4j; then
        log "neo4j already running (pid $(cat "$RUN/neo4j.pid")); not restarted"
        return 0
    fi
    rm -f "$RUN/neo4j.pid"
    port_open "$NEO4J_BOLT_PORT" &&
        die "port $NEO4J_BOLT_PORT is already in use by another process (set NEO4J_BOLT_PORT)"
    if [ "$NEO4J_HTTP_PORT" != 0 ] && port_open "$NEO4J_HTTP_PORT"; then
        die "port $NEO4J_HTTP_PORT is already in use by another process (set NEO4J_HTTP_PORT, or 0 for no HTTP)"
    fi
    local home="$RUN/neo4j-home"
    [ "$NEO4J_KEEP_DATA" = 1 ] || rm -rf "$home"
    mkdir -p "$home"
    log "starting neo4j on 127.0.0.1:$NEO4J_BOLT_PORT, Browser on :$NEO4J_HTTP_PORT (heap $NEO4J_HEAP) ..."
    T0[neo4j]=$SECONDS
    # the launcher reads NEO4J_PASSWORD from its environment (not argv, so not in ps)
    NEO4J_PASSWORD="$NEO4J_PASSWORD" nohup java "-Xms$NEO4J_HEAP_INITIAL" "-Xmx$NEO4J_HEAP" \
        -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:+DisableExplicitGC \
        -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true \
        -Dlog4j2.disable.jmx=true $NEO4J_JAVA_OPTS \
        --add-opens=java.base/java.nio=ALL-UNNAMED \
        --add-opens=java.base/java.io=ALL-UNNAMED \
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
        -cp "$NEO4J_JAR:$BUILD/neo4j-launcher/lib/*" consultgraph.Neo4jLauncher \
        --host 127.0.0.1 --port "$NEO4J_BOLT_PORT" --http-port "$NEO4J_HTTP_PORT" --home "$home" \
        --pagecache "$NEO4J_PAGECACHE" \
        >"$RUN/neo4j.log" 2>&1 </dev/null &
    echo $! >"$RUN/neo4j.pid"
    # the Browser's port, for tests run without NEO4J_HTTP_PORT (test_servers.py reads it)
    echo "$NEO4J_HTTP_PORT" >"$RUN/neo4j-http-port"
    STARTED+=(neo4j)
}

wait_neo4j() {
    local pid
    pid="$(cat "$RUN/neo4j.pid")"
    until grep -q "NEO4J READY" "$RUN/neo4j.log" 2>/dev/null && neo4j_query_ok && browser_ok; do
        kill -0 "$pid" 2>/dev/null || fail_start neo4j "process exited during startup"
        [ $((SECONDS - T0[neo4j])) -lt "$START_TIMEOUT" ] ||
            fail_start neo4j "not ready after ${START_TIMEOUT}s"
        sleep 0.5
    done
    log "neo4j ready after $((SECONDS - T0[neo4j]))s (pid $pid, log $RUN/neo4j.log," \
        "auth $([ -n "$NEO4J_PASSWORD" ] && echo "user neo4j" || echo disabled))"
}

browser_ok() {
    [ "$NEO4J_HTTP_PORT" = 0 ] && return 0
    curl -sf "http://127.0.0.1:$NEO4J_HTTP_PORT/browser/" 2>/dev/null | grep -q "<title>Neo4j Browser</title>"
}

# fuseki_curl ARGS...: curl with the admin credentials, given on stdin (never in argv, so not in ps)
fuseki_curl() {
    printf 'user = "admin:%s"\n' "$FUSEKI_ADMIN_PASSWORD" | curl -K - "$@"
}

fuseki_password() {
    # like the stain/jena-fuseki image: ADMIN_PASSWORD set, or a random one (kept in .run, mode 600)
    local file="$RUN/fuseki-password"
    if [ -z "$FUSEKI_ADMIN_PASSWORD" ]; then
        if [ -s "$file" ] && is_running fuseki; then
            FUSEKI_ADMIN_PASSWORD="$(cat "$file")"
        else
            FUSEKI_ADMIN_PASSWORD="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
            log "FUSEKI_ADMIN_PASSWORD not set: generated one, in $file"
        fi
    fi
    (umask 077 && printf '%s' "$FUSEKI_ADMIN_PASSWORD" >"$file")
    # Jetty's password file: user: password, roles
    (umask 077 && printf 'admin: %s\n' "$FUSEKI_ADMIN_PASSWORD" >"$RUN/fuseki-passwd")
}

launch_fuseki() {
    T0[fuseki]=$SECONDS
    if is_running fuseki; then
        log "fuseki already running (pid $(cat "$RUN/fuseki.pid")); not restarted"
        return 0
    fi
    rm -f "$RUN/fuseki.pid"
    port_open "$FUSEKI_PORT" &&
        die "port $FUSEKI_PORT is already in use by another process (set FUSEKI_PORT)"
    # FUSEKI_BASE: where Fuseki writes its run area (config.ttl, shiro.ini, ...)
    rm -rf "$RUN/fuseki-base"
    mkdir -p "$RUN/fuseki-base"
    fuseki_password
    log "starting fuseki on 127.0.0.1:$FUSEKI_PORT (heap $FUSEKI_HEAP, in-memory /$FUSEKI_DATASET, basic auth user admin) ..."
    T0[fuseki]=$SECONDS
    (cd "$RUN" && FUSEKI_BASE="$RUN/fuseki-base" exec nohup java "-Xmx$FUSEKI_HEAP" $FUSEKI_JAVA_OPTS \
        -jar "$FUSEKI_JAR" --mem --update --localhost --ping --port "$FUSEKI_PORT" \
        --auth=basic "--passwd=$RUN/fuseki-passwd" \
        "/$FUSEKI_DATASET" >"$RUN/fuseki.log" 2>&1 </dev/null) &
    echo $! >"$RUN/fuseki.pid"
    STARTED+=(fuseki)
}

wait_fuseki() {
    local base="http://127.0.0.1:$FUSEKI_PORT" pid
    pid="$(cat "$RUN/fuseki.pid")"
    [ -n "$FUSEKI_ADMIN_PASSWORD" ] || FUSEKI_ADMIN_PASSWORD="$(cat "$RUN/fuseki-password" 2>/dev/null)"
    until fuseki_curl -sf -o /dev/null "$base/\$/ping" &&
          fuseki_curl -sf -o /dev/null --data-urlencode 'query=ASK {}' "$base/$FUSEKI_DATASET/sparql"; do
        kill -0 "$pid" 2>/dev/null || fail_start fuseki "process exited during startup"
        [ $((SECONDS - T0[fuseki])) -lt "$START_TIMEOUT" ] ||
            fail_start fuseki "not ready after ${START_TIMEOUT}s"
        sleep 0.3
    done
    log "fuseki ready after $((SECONDS - T0[fuseki]))s (pid $pid, log $RUN/fuseki.log)"
}

if [ "$want_fuseki" = 1 ]; then
    command -v curl >/dev/null || die "curl not found"
fi
# build/fetch first, then boot both JVMs side by side
if [ "$want_neo4j" = 1 ] && ! is_running neo4j; then build_neo4j; fi
if [ "$want_fuseki" = 1 ] && ! is_running fuseki; then fetch_fuseki; fi
if [ "$want_neo4j" = 1 ]; then launch_neo4j; fi
if [ "$want_fuseki" = 1 ]; then launch_fuseki; fi
if [ "$want_fuseki" = 1 ]; then wait_fuseki; fi
if [ "$want_neo4j" = 1 ]; then wait_neo4j; fi

# URLs on stdout, in a form a shell or CI step can eval / append to $GITHUB_ENV
# (never the passwords: SPARQL_PASSWORD is FUSEKI_ADMIN_PASSWORD, or .run/fuseki-password)
if [ "$want_neo4j" = 1 ]; then
    echo "NEO4J_URI=bolt://127.0.0.1:$NEO4J_BOLT_PORT"
    [ "$NEO4J_HTTP_PORT" = 0 ] || echo "NEO4J_BROWSER=http://127.0.0.1:$NEO4J_HTTP_PORT/browser/"
fi
if [ "$want_fuseki" = 1 ]; then
    echo "SPARQL_ENDPOINT=http://127.0.0.1:$FUSEKI_PORT/$FUSEKI_DATASET"
    echo "SPARQL_USER=admin"
fi
exit 0
