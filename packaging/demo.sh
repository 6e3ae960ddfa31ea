#!/usr/bin/env bash
# See the agent work on a laptop or a fresh Debian 12 (as root or with sudo):
# installs what it needs, builds, starts a real HAProxy with an Octavia-shaped
# config on loopback and the agent on 127.0.0.1:8088, and shows curl output.
#
#   packaging/demo.sh         start (or restart) the demo
#   packaging/demo.sh stop    stop it and remove its files
#
# DEMO_PORT (default 8088) is where the agent listens; HAProxy takes
# 23500-23507. DEMO_DIR (default /tmp/amphora-agent-demo) holds the files.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
work=${DEMO_DIR:-/tmp/amphora-agent-demo}
port=${DEMO_PORT:-8088}
base=23500
lb=b081ed89-f6f8-48cb-a498-5e12705e2cf9
agent=$top/build/amphora-agent/amphora-prometheus-agent

stop() {
    for p in agent haproxy; do
        if [ -f "$work/$p.pid" ]; then
            kill "$(cat "$work/$p.pid")" 2>/dev/null || true
            rm -f "$work/$p.pid"
        fi
    done
}

if [ "${1:-}" = "stop" ]; then
    stop
    rm -rf "$work"
    echo "demo stopped, $work removed"
    exit 0
fi
[ $# -eq 0 ] || { echo "usage: $0 [stop]" >&2; exit 2; }

"$top/packaging/ensure-packages.sh" build-essential cmake pkg-config \
    libevent-dev libbsd-dev zlib1g-dev libisal-dev libzstd-dev libmnl-dev libssl-dev libcmocka-dev haproxy curl \
    python3 socat iproute2

echo "== building"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j"$(nproc)" >/dev/null

stop                            # a demo already running
busy=$(ss -Hltn "sport = :$port or ( sport >= :$base and sport <= :$((base + 7)) )")
if [ -n "$busy" ]; then
    echo "demo: these ports are taken (set DEMO_PORT for the agent's):" >&2
    echo "$busy" >&2
    exit 1
fi
# from here on, a failure leaves nothing running
trap 'echo "demo: failed, stopping what it started" >&2; stop' ERR

mkdir -p "$work"
python3 "$top/tests/tools/octavia_haproxy_cfg.py" --scenario mixed \
    --socket "$work/$lb.sock" --base-port $base --agent-port "$port" \
    --config "$work/haproxy.cfg" --manifest "$work/manifest.json"
echo "== starting HAProxy (config: $work/haproxy.cfg)"
haproxy -D -f "$work/haproxy.cfg" -p "$work/haproxy.pid"
sleep 3     # let the health checks decide UP and DOWN
for _ in $(seq 10); do curl -s -o /dev/null http://127.0.0.1:$base/ || true; done

echo "== starting the agent on 127.0.0.1:$port (log: $work/agent.log)"
"$agent" -d -s "$work/$lb.sock" -l "127.0.0.1:$port" \
    >"$work/agent.log" 2>&1 &
echo $! > "$work/agent.pid"
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    kill -0 "$(cat "$work/agent.pid")" 2>/dev/null ||
        { cat "$work/agent.log" >&2; false; }
    sleep 0.1
done
curl -s -o /dev/null "http://127.0.0.1:$port/"

show() {
    echo
    echo "\$ $1"
    bash -c "$1"
}
show "curl -s http://127.0.0.1:$port/metrics | grep -E '^octavia_(exporter_haproxy_up|loadbalancer_info)'"
show "curl -s http://127.0.0.1:$port/metrics | grep -E '^octavia_member_status.*} 1\$' | head -4"
show "curl -s http://127.0.0.1:$port/metrics | grep -c '^# TYPE'"
show "$agent --once -s $work/$lb.sock | grep -E '^octavia_listener_bytes_in_total'"
show "echo 'show info' | socat - UNIX-CONNECT:$work/$lb.sock | grep -E '^(Version|CurrConns):'"
trap - ERR
echo
echo "The agent serves http://127.0.0.1:$port/metrics; HAProxy's own"
echo "exporter, for comparison: http://127.0.0.1:$(python3 -c "import json; print(json.load(open('$work/manifest.json'))['ports']['promex'])")/metrics"
echo "Stop the demo and remove $work: $0 stop"
