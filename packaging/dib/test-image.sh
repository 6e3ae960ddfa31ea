#!/usr/bin/env bash
# Builds a real amphora-like image with diskimage-builder (Debian's
# python3-diskimage-builder): `disk-image-create -t tar` of debian-minimal
# bookworm with the amphora-prometheus-agent element (and a stand-in for
# Octavia's prometheus-proxy, which the element must keep from starting),
# then checks inside the result and prints the build time and image size.
#
#   packaging/dib/test-image.sh            build from this checkout (source)
#   packaging/dib/test-image.sh --deb F    install the Debian package F
#
# Root, Debian 12, the network to the Debian mirror apt uses here; about
# two minutes. Also run by `tests/run.sh --image`. KEEP_WORK=1 keeps the
# image and its unpacked tree.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
deb=""
if [ "${1:-}" = "--deb" ]; then
    deb=$(readlink -f "$2")
fi
fail() { echo "FAIL $*" >&2; exit 1; }

"$top/packaging/ensure-packages.sh" python3-diskimage-builder sudo \
    debootstrap git haproxy python3 systemd

. "$top/packaging/dib/mirrors.sh"
dib_mirrors || fail "the image needs them"

work=$(mktemp -d /var/tmp/apa-image.XXXXXX)
root=$work/root
mounted=""
hap=""
cleanup() {
    [ -n "$hap" ] && kill "$hap" 2>/dev/null
    [ -n "$mounted" ] && umount "$mounted"
    if [ -n "${KEEP_WORK:-}" ]; then
        echo "kept $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

export DIB_RELEASE=bookworm
export DIB_PYTHON_VERSION=3
export ELEMENTS_PATH=$top/packaging/dib:$top/packaging/dib/tests
if [ -n "$deb" ]; then
    export DIB_INSTALLTYPE_amphora_prometheus_agent=package
    export DIB_AMPHORA_PROMETHEUS_AGENT_DEB=$deb
    mode="package $(basename "$deb")"
else
    export DIB_INSTALLTYPE_amphora_prometheus_agent=source
    mode="source"
fi

echo "== image: disk-image-create -t tar debian-minimal" \
    "octavia-prometheus-proxy amphora-prometheus-agent ($mode)"
echo "   mirror $DIB_DISTRIBUTION_MIRROR, security $DIB_DEBIAN_SECURITY_MIRROR"
start=$(date +%s)
if ! disk-image-create -t tar -o "$work/amphora" --no-tmpfs \
    debian-minimal octavia-prometheus-proxy amphora-prometheus-agent \
    >"$work/build.log" 2>&1; then
    cp "$work/build.log" /tmp/apa-image-build.log
    tail -40 "$work/build.log"
    fail "disk-image-create: the whole log is /tmp/apa-image-build.log"
fi
seconds=$(($(date +%s) - start))
image=$work/amphora.tar
echo "PASS built in $seconds s: $(du -m "$image" | cut -f1) MiB tar"

mkdir "$root"
tar -C "$root" -xf "$image"
echo "     unpacked: $(du -sm "$root" | cut -f1) MiB"

in_root() { chroot "$root" "$@"; }
version=$(sed -n '/^project/s/.* VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
[ "$(in_root /usr/sbin/amphora-prometheus-agent -V)" = \
    "amphora-prometheus-agent $version" ] || fail "-V in the image"
[ "$(in_root /usr/sbin/amphora-prometheus-agent -n)" = "configuration OK" ] ||
    fail "-n on the image's default configuration"
grep -qx 'listen 127.0.0.1:9102' "$root/etc/octavia/amphora-prometheus-agent.conf" ||
    fail "default configuration"
echo "PASS the binary runs in the image: -V $version, -n on its default config"

# --once against a real HAProxy on the host, its socket where Octavia puts
# it: the image's /var/lib/octavia, found by the default pattern
lb=$(cat /proc/sys/kernel/random/uuid)
mkdir -p "$work/octavia" "$root/var/lib/octavia"
python3 "$top/tests/tools/octavia_haproxy_cfg.py" --scenario mixed \
    --socket "$work/octavia/$lb.sock" --base-port 23700 --agent-port 23790 \
    --config "$work/haproxy.cfg" --manifest "$work/manifest.json"
haproxy -db -f "$work/haproxy.cfg" >/dev/null 2>&1 &
hap=$!
mount --bind "$work/octavia" "$root/var/lib/octavia"
mounted=$root/var/lib/octavia
for _ in $(seq 50); do [ -S "$work/octavia/$lb.sock" ] && break; sleep 0.1; done
in_root /usr/sbin/amphora-prometheus-agent --once >"$work/once.txt" ||
    fail "--once in the image"
grep -q "^octavia_exporter_haproxy_up 1$" "$work/once.txt" || fail "_up"
grep -q "^octavia_loadbalancer_info{loadbalancer=\"$lb\"," "$work/once.txt" ||
    fail "the load balancer id from the socket's name"
members=$(grep -c '^octavia_member_weight{' "$work/once.txt")
echo "PASS --once in the image read the host's HAProxy through" \
    "/var/lib/octavia/$lb.sock: _up 1, $members members"

state() { systemctl --root="$root" is-enabled "$1" 2>/dev/null || true; }
[ "$(state amphora-prometheus-agent.service)" = enabled ] ||
    fail "amphora-prometheus-agent.service: $(state amphora-prometheus-agent.service)"
[ "$(state amphora-prometheus-agent.path)" = enabled ] ||
    fail "amphora-prometheus-agent.path: $(state amphora-prometheus-agent.path)"
[ "$(state prometheus-proxy.service)" = masked ] ||
    fail "prometheus-proxy.service: $(state prometheus-proxy.service)"
echo "PASS units: amphora-prometheus-agent.service and .path enabled," \
    "prometheus-proxy.service masked"

IFS=: read -r _ _ uid _ _ home shell < <(grep '^_amphora-prometheus:' \
    "$root/etc/passwd") || fail "no user _amphora-prometheus in the image"
[ "$home" = / ] && [ "$shell" = /usr/sbin/nologin ] ||
    fail "user: home $home, shell $shell"
ls "$root"/usr/share/man/man8/amphora-prometheus-agent.8* \
    "$root"/usr/share/man/man5/amphora-prometheus-agent.conf.5* >/dev/null ||
    fail "man pages"
echo "PASS user _amphora-prometheus ($uid, home /, nologin), both man pages"

if [ -z "$deb" ]; then
    for p in cmake gcc libevent-dev libbsd-dev libisal-dev libzstd-dev zlib1g-dev libmnl-dev libssl-dev \
        pkg-config build-essential; do
        ! in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q 'ok installed' || fail "build dependency $p left"
    done
    [ ! -e "$root/tmp/in_target.d" ] || fail "the source tree was left"
    echo "PASS no build dependency left; runtime libraries:" \
        "$(in_root ldd /usr/sbin/amphora-prometheus-agent |
            awk '$3 ~ /^\// { print $1 }' | tr '\n' ' ')"
fi
echo "image: $mode, built in $seconds s, $(du -m "$image" | cut -f1) MiB"
