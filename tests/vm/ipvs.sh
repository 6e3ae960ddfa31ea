#!/usr/bin/env bash
# UDP and SCTP listeners against a real IPVS, in a VM (tests/vm/boot.sh):
# keepalived runs the configs Octavia's own templater renders
# (tests/tools/octavia_render.py lvs: a UDP listener on the VIP, an
# additional VIP and an IPv6 one, a member that passes its check, one that
# fails it, a disabled one, a drained one; an SCTP listener when the kernel
# has it; a disabled listener) and one in the older single-VIP form
# (tests/tools/octavia_lvs_cfg.py)
# in a namespace amphora-haproxy, responders answer behind it, a client
# namespace sends traffic; the agent runs there as nobody, with no
# HAProxy at all, and what it serves is compared with ipvsadm's own
# counters, listener by listener, pool by pool, member by member.
#
#   tests/vm/ipvs.sh BUILD_DIR      (tests/run.sh; 97: qemu cannot start)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tools=$here/../tools
agent=$(readlink -f "$1/amphora-agent/amphora-prometheus-agent")
out=$(mktemp -d /tmp/apa-vm.XXXXXX)
[ -n "${KEEP_VM:-}" ] || trap 'rm -rf "$out"' EXIT
chmod 755 "$out"

# what the VM reads, in the shared folder (its /tmp is its own): the
# agent, the network setup, the configs, the check script, the agent's
# config
cp "$agent" "$out/agent"
cp "$here/amphora-net.sh" "$out/"
/usr/bin/python3 "$tools/octavia_render.py" lvs --dir "$out/lvs" \
    --manifest "$out/manifest.json" --seed 11 --sctp --delay 4 \
    --check-script /run/out/udp_check.sh
# and a listener in the form older Octavia releases wrote (one VIP)
python3 "$tools/octavia_lvs_cfg.py" --dir "$out/lvs" --shapes plain \
    --manifest "$out/manifest-older.json" --seed 12
cat >"$out/udp_check.sh" <<'EOF'
#!/bin/bash
# MISC_CHECK: a datagram to the member, a reply within a second. Bash's
# own /dev/udp, no interpreter to start: under TCG the checks of every
# member must fit in the VM's one slow CPU, or they time out together
exec 3<>"/dev/udp/$1/$2" && printf check >&3 && read -r -t 1 -N 1 _ <&3
EOF
chmod 755 "$out/udp_check.sh"
cat >"$out/agent.conf" <<'EOF'
stats-socket /run/out/no-haproxy.sock
keepalived-dir /run/out/lvs
netns amphora-haproxy
user nobody
min-scrape-interval 0
listen 127.0.0.1:9102
EOF

cat >"$out/inside.sh" <<EOF
set -eux
. /run/out/amphora-net.sh
# responders: every member port but the failing one (5355)
for ap in 198.51.100.21:5354 198.51.100.21:5364 198.51.100.21:5356 \\
    2001:db8:1::21:5354; do
    \$N /usr/bin/python3 -c "
import socket, sys
a, p = sys.argv[1].rsplit(':', 1)
s = socket.socket(socket.AF_INET6 if ':' in a else socket.AF_INET,
                  socket.SOCK_DGRAM)
s.bind((a, int(p)))
while True:
    d, peer = s.recvfrom(2048)
    s.sendto(d, peer)" \$ap &
done
\$N /usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('198.51.100.21', 5357)); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(c.recv(100)); c.close()" &
sleep 1
n=0
for f in /run/out/lvs/*.conf; do
    n=\$((n + 1))
    keepalived -f \$f -p /run/ka\$n.pid -c /run/ka\$n-c.pid \\
        -r /run/ka\$n-r.pid -n -D -l >keepalived\$n.log 2>&1 &
done
# the checks (every 4 s) settled: "fail" out of IPVS, the rest in; a
# loaded host makes TCG slow: give them two minutes, then say so
ready=0
for i in \$(seq 120); do
    \$N ipvsadm -Ln >ipvsadm-before.txt
    grep -q 198.51.100.21:5354 ipvsadm-before.txt &&
        grep -q 5364 ipvsadm-before.txt &&
        grep -q '2001:db8:1::21\]:5354' ipvsadm-before.txt &&
        ! grep -q 198.51.100.21:5355 ipvsadm-before.txt &&
        { ready=1; break; }
    sleep 1
done
[ \$ready = 1 ] || { echo "keepalived's checks did not settle"; exit 1; }
\$C /usr/bin/python3 -c "
import socket
for vip, port, n in (('192.0.2.10', 5353, 10), ('192.0.2.11', 5353, 4),
                     ('2001:db8::10', 5353, 3), ('192.0.2.10', 5354, 6)):
    for i in range(n):
        # a datagram lost to a slow VM is sent again from a new port
        for attempt in range(5):
            s = socket.socket(socket.AF_INET6 if ':' in vip
                              else socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2)
            s.sendto(b'hello %d' % i, (vip, port))
            try:
                s.recvfrom(100)
                break
            except TimeoutError:
                print('no reply from', vip, port, 'attempt', attempt)
            finally:
                s.close()
        else:
            raise SystemExit('no reply from %s:%d' % (vip, port))
try:
    for i in range(2):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                          socket.IPPROTO_SCTP)
        s.settimeout(2)
        s.connect(('192.0.2.10', 5355)); s.sendall(b'sctp')
        s.recv(100); s.close()
except OSError as e:
    print('sctp:', e)
print('traffic sent')"
sleep 3    # IPVS folds its per-CPU counters every 2 s
\$N /run/out/agent -f /run/out/agent.conf -d >agent.log 2>&1 &
for i in \$(seq 50); do
    \$N /usr/bin/curl -sf -o metrics.txt http://127.0.0.1:9102/metrics &&
        break
    sleep 0.2
done
\$N ipvsadm -Ln --stats --exact >ipvsadm-stats.txt
\$N ipvsadm -Ln >ipvsadm.txt
# the serving process and the reader's capabilities: supervisor, worker
pid=\$(pgrep -f "agent.conf -d" | head -1)
# (its other child is the file opener)
for c in \$(cat /proc/\$pid/task/\$pid/children); do
    if [ "\$(cat /proc/\$c/comm)" = ipvs-reader ]; then sup=\$c; fi
done
worker=\$(tr -d ' ' </proc/\$sup/task/\$sup/children)
grep -h CapEff /proc/\$pid/status /proc/\$sup/status /proc/\$worker/status \
    >caps.txt
# the worker killed: started again, IPVS read again
kill -9 \$worker
sleep 1.5
\$N /usr/bin/curl -sf -o metrics-after.txt http://127.0.0.1:9102/metrics
kill \$pid
sleep 0.5
EOF
t0=$(date +%s)
rc=0
"$here/boot.sh" "$out/inside.sh" "$out" 300 || rc=$?
if [ $rc -eq 97 ]; then
    echo "SKIP the VM stage: qemu could not start here"
    exit 0
fi
if [ $rc -ne 0 ] || [ ! -s "$out/metrics.txt" ]; then
    tail -40 "$out/console.log" >&2
    tail -20 "$out/agent.log" >&2 || true
    exit 1
fi
python3 "$here/ipvs_check.py" "$out"
echo "VM stage: $(( $(date +%s) - t0 )) s"
