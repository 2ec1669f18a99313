#!/usr/bin/env bash
# Starts and stops a private ClickHouse server (Debian's 18.16 or newer) as a plain user
# process on loopback, with its own directory and ports. tests/run.sh uses it for the
# suite's shared server; tests that must stop and restart a server (the outage test in
# tests/clickhouse_sink.rs) use it for their own instance.
#
#   bash tests/clickhouse_server.sh start DIR HTTP_PORT [TCP_PORT]
#   bash tests/clickhouse_server.sh stop DIR
#
# start: writes DIR/config.xml and DIR/users.xml (only if missing, so a restart keeps the
#        data in DIR/data), starts clickhouse-server in the background, records its pid in
#        DIR/pid and waits until it answers `SELECT 1` over HTTP (up to
#        CLICKHOUSE_STARTUP_TIMEOUT_SECS, default 60). TCP_PORT (the native protocol) is
#        chosen free when not given. Exits non-zero with the server's log tail on failure.
# stop:  SIGTERM, up to 10 s for a clean shutdown, then SIGKILL. A no-op when not running.
#
# The environment variable CLICKHOUSE_SERVER overrides the server binary.
set -euo pipefail

die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

show_logs() { # FILE...
    local f
    for f in "$@"; do
        [[ -s $f ]] || continue
        echo "---- last lines of $f ----" >&2
        tail -n 30 "$f" >&2
    done
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_config() { # DIR HTTP_PORT TCP_PORT
    local dir=$1 http_port=$2 tcp_port=$3
    mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log"
    # old_parts_lifetime: parts replaced by a merge or a mutation (an erasure) leave the
    # disk after 10 s instead of 8 minutes, so an erased post leaves no trace soon.
    cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>$dir/log/server.log</log>
        <errorlog>$dir/log/server.err.log</errorlog>
        <console>0</console>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$http_port</http_port>
    <tcp_port>$tcp_port</tcp_port>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <max_concurrent_queries>100</max_concurrent_queries>
    <merge_tree>
        <old_parts_lifetime>10</old_parts_lifetime>
    </merge_tree>
</yandex>
EOF
    cat >"$dir/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
}

running_pid() { # DIR -> prints the pid when the server recorded there is alive
    local pid
    [[ -f $1/pid ]] || return 1
    pid=$(<"$1/pid")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() { # DIR HTTP_PORT [TCP_PORT]
    local dir http_port tcp_port server pid
    dir=$(mkdir -p "$1" && cd "$1" && pwd)
    http_port=$2
    tcp_port=${3:-$(free_port)}
    if pid=$(running_pid "$dir"); then
        die "a ClickHouse server (pid $pid) already runs from $dir"
    fi
    server=${CLICKHOUSE_SERVER:-$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)}
    [[ -x $server ]] || die "no clickhouse-server at $server; install it with apt-get install clickhouse-server (or run bash tests/run.sh, which does)"
    # Keep the first config: its ports and paths are the data dir's.
    [[ -f $dir/config.xml ]] || write_config "$dir" "$http_port" "$tcp_port"
    # The server outlives this script; it stays in the caller's process group, so a
    # Ctrl-C of the test run stops it too.
    (cd "$dir" && exec "$server" --config-file="$dir/config.xml") \
        >>"$dir/log/stdout.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/pid"
    local deadline=$((SECONDS + ${CLICKHOUSE_STARTUP_TIMEOUT_SECS:-60}))
    until [[ $(curl -fsS --max-time 2 --data-binary 'SELECT 1' "http://127.0.0.1:$http_port/" 2>/dev/null) == 1 ]]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            show_logs "$dir/log/stdout.log" "$dir/log/server.err.log"
            die "ClickHouse exited during startup"
        fi
        if ((SECONDS >= deadline)); then
            show_logs "$dir/log/stdout.log" "$dir/log/server.err.log"
            kill -KILL "$pid" 2>/dev/null || true
            die "ClickHouse did not answer on 127.0.0.1:$http_port within ${CLICKHOUSE_STARTUP_TIMEOUT_SECS:-60}s"
        fi
        sleep 0.2
    done
}

stop() { # DIR
    local dir=$1 pid
    pid=$(running_pid "$dir") || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do # up to 10 s for a clean shutdown
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "==> ClickHouse (pid $pid) ignored SIGTERM; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$dir/pid"
}

case "${1:-}" in
start) [[ $# -ge 3 && $# -le 4 ]] || usage; start "$2" "$3" "${4:-}" ;;
stop) [[ $# -eq 2 ]] || usage; stop "$2" ;;
*) usage ;;
esac
