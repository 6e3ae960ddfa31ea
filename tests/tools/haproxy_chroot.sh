#!/usr/bin/env bash
# A real HAProxy of another Debian release, without a VM: debootstrap
# --variant=minbase SUITE into DIR from the mirror this machine's apt uses,
# apt-get install haproxy inside (and the PACKAGES named), and DIR/haproxy,
# a wrapper that runs it. DIR/run runs any command in the chroot as the
# wrapper runs HAProxy: with this machine's /tmp, /dev and network in a
# mount namespace of its own (nothing is ever mounted on the host, so
# removing DIR can never reach through a mount), which is where the tests
# keep configs and stats sockets.
#
#   tests/tools/haproxy_chroot.sh SUITE DIR [PACKAGE...]   prints DIR/haproxy
#
# DIR is reused while its wrappers and HAProxy's binary exist (tests/run.sh
# keeps them under the build folder), and made again when one is missing.
set -euo pipefail

suite=${1:?usage: haproxy_chroot.sh SUITE DIR [PACKAGE...]}
dir=${2:?usage: haproxy_chroot.sh SUITE DIR [PACKAGE...]}
shift 2
dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
root=$dir/root
wrapper=$dir/haproxy

if [ -x "$wrapper" ] && [ -x "$dir/run" ] && [ -x "$root/usr/sbin/haproxy" ]; then
    echo "$wrapper"
    exit 0
fi

# the mirror apt uses here: deb822 sources first, then sources.list
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources \
    2>/dev/null | grep -v security | head -1 || true)
if [ -z "$mirror" ]; then
    mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\?\([^ ]*\) .*/\2/p' \
        /etc/apt/sources.list 2>/dev/null | grep -v security | head -1 || true)
fi
[ -n "$mirror" ] || { echo "no Debian mirror in /etc/apt" >&2; exit 1; }

rm -rf "$root" "$wrapper" "$dir/run"
mkdir -p "$root"
start=$(date +%s)
debootstrap --variant=minbase "$suite" "$root" "$mirror" \
    >"$dir/debootstrap.log" 2>&1 || {
    tail -20 "$dir/debootstrap.log" >&2
    exit 1
}
# inside: no daemon may start (policy-rc.d), apt from the same mirror
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
unshare -m --propagation private sh -c "
    mount -t proc proc '$root/proc' &&
    chroot '$root' sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install \
        -y --no-install-recommends haproxy $*'" >"$dir/apt.log" 2>&1 || {
    tail -20 "$dir/apt.log" >&2
    exit 1
}
rm -f "$root/var/cache/apt/archives/"*.deb

cat >"$dir/run" <<EOF
#!/bin/sh
# Runs a command in Debian $suite, chrooted in $root, with this machine's
# /tmp, /dev and network (made by tests/tools/haproxy_chroot.sh)
exec unshare -m --propagation private sh -c '
    mount --bind /tmp "\$0/tmp" && mount --bind /dev "\$0/dev" &&
    mount -t proc proc "\$0/proc" && exec chroot "\$0" "\$@"' \
    "$root" "\$@"
EOF
printf '#!/bin/sh\n# HAProxy of Debian %s\nexec %s /usr/sbin/haproxy "$@"\n' \
    "$suite" "$dir/run" >"$wrapper"
chmod +x "$dir/run" "$wrapper"
echo "$suite: $("$wrapper" -v | head -1) in $(( $(date +%s) - start )) s" >&2
echo "$wrapper"
