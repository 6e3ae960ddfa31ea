#!/usr/bin/env bash
# See the agent work on a laptop or a fresh Debian 12 (as root or with sudo):
# installs what it needs, builds, starts a real HAProxy with an Octavia-shaped
# config on loopback and the agent on 127.0.0.1:8088, and shows curl output.
#
#   packaging/demo.sh         start (or restart) the demo
#   packaging/demo.sh stop    stop it
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
work=${DEMO_DIR:-/tmp/amphora-agent-demo}
port=${DEMO_PORT:-8088}

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
    echo "demo stopped"
    exit 0
fi

"$top/packaging/ensure-packages.sh" build-essential cmake pkg-config \
    libevent-dev libbsd-dev zlib1g-dev libisal-dev libcmocka-dev haproxy curl \
    python3

echo "== building"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j"$(nproc)" >/dev/null
agent=$top/build/amphora-agent/amphora-prometheus-agent

stop
mkdir -p "$work"
lb=b081ed89-f6f8-48cb-a498-5e12705e2cf9
python3 "$top/tests/tools/octavia_haproxy_cfg.py" --scenario mixed \
    --socket "$work/$lb.sock" --base-port 23500 --agent-port "$port" \
    --config "$work/haproxy.cfg" --manifest "$work/manifest.json"
echo "== starting HAProxy (config: $work/haproxy.cfg)"
haproxy -D -f "$work/haproxy.cfg" -p "$work/haproxy.pid"
sleep 3     # let the health checks decide UP and DOWN
for _ in $(seq 10); do curl -s -o /dev/null http://127.0.0.1:23500/ || true; done

echo "== starting the agent on 127.0.0.1:$port (log: $work/agent.log)"
"$agent" -d -s "$work/$lb.sock" -l "127.0.0.1:$port" \
    >"$work/agent.log" 2>&1 &
echo $! > "$work/agent.pid"
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
done

echo
echo "\$ curl -s http://127.0.0.1:$port/metrics | grep -E '^octavia_(exporter_haproxy_up|listener_bytes_in|member_status.*} 1$)' | head"
curl -s "http://127.0.0.1:$port/metrics" |
    grep -E '^octavia_(exporter_haproxy_up|listener_bytes_in|member_status.*} 1$)' |
    head || true
echo
echo "\$ curl -s http://127.0.0.1:$port/metrics | grep -c '^# TYPE'"
curl -s "http://127.0.0.1:$port/metrics" | grep -c '^# TYPE'
echo
echo "The agent serves http://127.0.0.1:$port/metrics; HAProxy's own"
echo "exporter, for comparison: http://127.0.0.1:$(python3 -c "import json; print(json.load(open('$work/manifest.json'))['ports']['promex'])")/metrics"
echo "One scrape without a server: $agent --once -s $work/$lb.sock"
echo "Stop the demo: $0 stop"
