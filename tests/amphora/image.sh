#!/usr/bin/env bash
# The amphora image for tests/amphora: diskimage-builder's debian-minimal
# (bookworm) with the test element debian-amphora (Debian's octavia-agent,
# haproxy, keepalived, ipvsadm, rsyslog, cloud-init, openssh-server, the
# kernel) and the project's own element installing the Debian package built
# from SRC, through apt and the package's maintainer scripts. The tar
# diskimage-builder makes becomes an ext4 disk (mkfs.ext4 -d, no loop
# device) beside the kernel and initramfs it holds.
#
#   tests/amphora/image.sh SRC CACHE_DIR     prints the image folder
#
# SRC is a source tree as packaging/export-tree.sh writes it. The folder is
# CACHE_DIR/<key>, the key a hash of every input: this script, both
# elements and the sources the package is built from; with the same inputs
# a second run prints it at once, without building the package. It holds
# disk.raw, vmlinuz, initrd.img, versions.txt (what the image runs) and
# build-seconds.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
src=$(readlink -f "$1")
cache=$(mkdir -p "$2" && readlink -f "$2")
say() { echo "$*" >&2; }

key=$( {
    sha256sum "$0"
    (cd "$here/elements" && find . -type f -print0 | sort -z |
        xargs -0 sha256sum)
    (cd "$src" && tar --sort=name --mtime=@0 --owner=0 --group=0 \
        --numeric-owner -cf - CMakeLists.txt amphora-agent lib packaging |
        sha256sum)
} | sha256sum | cut -c1-16)
image=$cache/$key
if [ -f "$image/done" ]; then
    say "image: cached $image"
    echo "$image"
    exit 0
fi

"$top/packaging/ensure-packages.sh" python3-diskimage-builder sudo \
    debootstrap e2fsprogs qemu-utils >&2

. "$top/packaging/dib/mirrors.sh"
dib_mirrors

rm -rf "$image"
mkdir -p "$image"
work=$(mktemp -d /var/tmp/apa-amphora-image.XXXXXX)
trap 'rm -rf "$work"' EXIT

# the package, as an operator builds it
cp -a "$src" "$work/src"
(cd "$work/src" && dpkg-buildpackage -us -uc -b) >"$work/deb.log" 2>&1 || {
    tail -30 "$work/deb.log" >&2
    say "image: dpkg-buildpackage failed"
    exit 1
}
deb=$(ls "$work"/amphora-prometheus-agent_*_*.deb)

export DIB_RELEASE=bookworm DIB_PYTHON_VERSION=3
export DIB_APT_MINIMAL_CREATE_INTERFACES=0     # cloud-init configures eth0
export DIB_CLOUD_INIT_DATASOURCES=NoCloud
export ELEMENTS_PATH=$top/packaging/dib:$here/elements
export DIB_INSTALLTYPE_amphora_prometheus_agent=package
export DIB_AMPHORA_PROMETHEUS_AGENT_DEB=$deb
say "image: disk-image-create -t tar debian-minimal debian-amphora" \
    "amphora-prometheus-agent ($(basename "$deb"))"
start=$(date +%s)
if ! disk-image-create -t tar -o "$work/amphora" --no-tmpfs \
    debian-minimal debian-amphora amphora-prometheus-agent \
    >"$work/build.log" 2>&1; then
    cp "$work/build.log" "$cache/build-failed.log"
    tail -40 "$work/build.log" >&2
    say "image: disk-image-create failed; the whole log is $cache/build-failed.log"
    exit 1
fi
built=$(($(date +%s) - start))

root=$work/root
mkdir "$root"
tar --numeric-owner -xpf "$work/amphora.tar" -C "$root"
rm "$work/amphora.tar"
kernel=$(cd "$root/boot" && ls vmlinuz-* | sort -V | tail -n 1)
cp "$root/boot/$kernel" "$image/vmlinuz"
cp "$root/boot/initrd.img-${kernel#vmlinuz-}" "$image/initrd.img"
{
    echo "kernel ${kernel#vmlinuz-}"
    chroot "$root" dpkg-query -W -f='${Package} ${Version}\n' \
        octavia-agent python3-octavia haproxy keepalived ipvsadm systemd \
        cloud-init amphora-prometheus-agent
} >"$image/versions.txt"
used=$(du -sm "$root" | cut -f1)
mkfs.ext4 -q -L cloudimg-rootfs -d "$root" "$image/disk.raw" \
    "$((used + 1536))M" >&2
echo "$built" >"$image/build-seconds"
touch "$image/done"
say "image: built in $built s, $used MiB; $(tr '\n' ',' <"$image/versions.txt")"
echo "$image"
