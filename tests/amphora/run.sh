#!/usr/bin/env bash
# A real amphora, driven by Octavia's own code (tests/amphora/controller.py):
# the image (image.sh: diskimage-builder, Debian's octavia-agent, the
# package built from this checkout) boots under qemu with systemd as PID 1;
# Octavia's tasks and amphora driver create it, plug its VIP, configure a
# load balancer of every protocol and take it through its lifecycle, and
# the metrics are checked from outside through the VIP.
#
#   tests/amphora/run.sh
#
# Everything runs in a network namespace of its own (the management and
# VIP networks as bridges, the members on the VIP one) and two VMs: the
# amphora, and the tenant's SCTP host (this machine's kernel has no SCTP;
# tests/vm/boot.sh). Images are cached in AMPHORA_CACHE (default
# /var/cache/amphora-prometheus-agent), keyed by their inputs. KEEP_WORK=1
# keeps the work folder. The last line begins "amphora:".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${AMPHORA_CACHE:-/var/cache/amphora-prometheus-agent}
t0=$(date +%s)

"$top/packaging/ensure-packages.sh" python3-octavia python3-diskimage-builder \
    sudo debootstrap qemu-system-x86 qemu-utils dosfstools mtools e2fsprogs \
    openssh-client prometheus busybox-static cpio linux-image-amd64 \
    iproute2 nftables curl openssl build-essential cmake pkg-config debhelper \
    dpkg-dev libevent-dev libbsd-dev zlib1g-dev libisal-dev libzstd-dev libmnl-dev \
    libssl-dev libcmocka-dev systemd

work=$(mktemp -d /var/tmp/apa-amphora.XXXXXX)
chmod 755 "$work"
ns=apa-cloud-$$
tenant_pid=""
cleanup() {
    set +e
    if [ -n "$tenant_pid" ]; then
        kill "$tenant_pid" 2>/dev/null
        pkill -f "mount_tag=out.*$work/tenant" 2>/dev/null
        wait "$tenant_pid" 2>/dev/null
    fi
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
    sleep 0.5
    ip netns del "$ns" 2>/dev/null
    if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# the image with the package built from this checkout
echo "== amphora: the image"
"$top/packaging/export-tree.sh" "$work/src"
image=$("$here/image.sh" "$work/src" "$cache/amphora-images")
rm -rf "$work/src"
how=cached
[ -f "$image/done" ] && [ "$(find "$image/done" -newermt "@$t0" | wc -l)" = 1 ] &&
    how="built in $(cat "$image/build-seconds") s"
# keep the newest two images: each is a few GiB of sparse disk
ls -1dt "$cache/amphora-images"/*/ 2>/dev/null | tail -n +3 | xargs -r rm -rf

echo "== amphora: the test cloud"
ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
for br in br-mgmt br-vip; do
    in_ns ip link add "$br" type bridge
    in_ns ip link set "$br" up
done
# the controller (health manager) on the management network; on the VIP
# network the scraper first (the source Prometheus uses), the gateway, a
# peer outside allowed_cidrs and the members
in_ns ip addr add 172.24.4.1/24 dev br-mgmt
in_ns ip addr add 203.0.113.5/24 dev br-vip
for a in 1 66 21 22 23 24 25 26 27 28; do
    in_ns ip addr add "203.0.113.$a/24" dev br-vip
done

# the tenant's SCTP host
mkdir -p "$work/tenant"
cp "$here/tenant.py" "$work/tenant/"
cat >"$work/tenant/inside.sh" <<'EOF'
modprobe virtio_net; modprobe sctp
ip link set lo up
for i in $(seq 40); do
    dev=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
    [ -n "$dev" ] && break
    sleep 0.5
done
ip link set "$dev" up
ip addr add 203.0.113.30/24 dev "$dev"
ip route add default via 203.0.113.1
exec /usr/bin/python3 /run/out/tenant.py 203.0.113.30 5357 7777
EOF
tap=apaT$$
in_ns ip tuntap add dev "$tap" mode tap
in_ns ip link set "$tap" master br-vip up
BOOT_QEMU_ARGS="-netdev tap,id=t0,ifname=$tap,script=no,downscript=no -device virtio-net-pci,netdev=t0,mac=fa:16:3e:4d:00:30" \
    in_ns "$top/tests/vm/boot.sh" "$work/tenant/inside.sh" "$work/tenant" 5400 \
    >"$work/tenant.log" 2>&1 &
tenant_pid=$!

ssh-keygen -q -t ed25519 -N '' -C amphora-stage -f "$work/id"
echo "== amphora: the controller"
rc=0
in_ns /usr/bin/python3 "$here/controller.py" --image "$image" \
    --work "$work" --ssh-key "$work/id" --summary "$work/summary" || rc=$?
if [ $rc -ne 0 ]; then
    echo "---- tenant VM"; tail -20 "$work/tenant/console.log" 2>/dev/null
    exit $rc
fi
echo "$(cat "$work/summary"); the whole stage $(( $(date +%s) - t0 )) s, image $how"
