#!/usr/bin/env bash
# Runs a script as root inside a throwaway VM that has what this
# machine's kernel lacks (ip_vs): Debian's linux-image-amd64 booted by
# qemu with TCG (no KVM needed), this machine's root filesystem read-only
# over 9p, tmpfs where a system writes (/run, /tmp, /var/lib, /var/tmp).
# OUTDIR is the one writable host folder, /run/out inside (the
# script's working directory), and where what it runs from the host must
# be put: the VM's /tmp is its own, so a checkout or build under /tmp is
# not seen there. The script's
# output lands in OUTDIR/console.log and its exit status in OUTDIR/rc.
#
#   tests/vm/boot.sh SCRIPT OUTDIR [TIMEOUT_SECONDS]     exits with the
#   script's status; 97 when qemu could not start, 98 on a timeout
#
# BOOT_QEMU_ARGS, split on blanks, is added to qemu's command line (a NIC
# on a tap, say). Needs qemu-system-x86, linux-image-amd64, busybox-static,
# cpio.
set -euo pipefail

script=$(readlink -f "$1")
out=$(mkdir -p "$2" && readlink -f "$2")
limit=${3:-600}
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] || { echo "boot.sh: no /boot/vmlinuz-*" >&2; exit 97; }
mods=/lib/modules/${kernel#/boot/vmlinuz-}/kernel
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the initramfs: busybox, the virtio and 9p modules in load order, an init
# that mounts the host's root and runs the script chrooted in it
chain="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
    virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"
mkdir -p "$work/ini/bin" "$work/ini/mods"
cp /bin/busybox "$work/ini/bin/"
for m in $chain; do
    f=$(find "$mods" -name "$m.ko*" | head -n 1)
    [ -z "$f" ] && continue
    case $f in
    *.xz) xz -dc "$f" >"$work/ini/mods/$m.ko" ;;
    *) cp "$f" "$work/ini/mods/$m.ko" ;;
    esac
done
cat >"$work/ini/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /r
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(echo $chain); do
    [ -f /mods/\$m.ko ] && insmod /mods/\$m.ko 2>/dev/null
done
mount -t 9p -o trans=virtio,version=9p2000.L,ro hostroot /r
mount -t proc proc /r/proc; mount -t sysfs sys /r/sys
mount -t devtmpfs dev /r/dev
for d in run tmp var/lib var/tmp; do mount -t tmpfs "t\$d" /r/\$d; done
mkdir -p /r/run/out
mount -t 9p -o trans=virtio,version=9p2000.L out /r/run/out
chroot /r /bin/sh -c 'cd /run/out && sh ./.script >console.log 2>&1;
    echo \$? >rc'
poweroff -f
EOF
chmod +x "$work/ini/init"
(cd "$work/ini" && find . | cpio -o -H newc 2>/dev/null | gzip -1) \
    >"$work/initrd.gz"
cp "$script" "$out/.script"
rm -f "$out/rc" "$out/console.log"
rc=0
read -r -a extra <<<"${BOOT_QEMU_ARGS:-}"
timeout "$limit" qemu-system-x86_64 -machine accel=tcg -m 1024 -smp 1 \
    -nographic -no-reboot -kernel "$kernel" -initrd "$work/initrd.gz" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on \
    -virtfs "local,path=$out,mount_tag=out,security_model=none" \
    -append "console=ttyS0 quiet panic=-1" "${extra[@]}" \
    >"$out/qemu.log" 2>&1 || rc=$?
if [ ! -f "$out/rc" ]; then
    [ $rc -eq 124 ] && { echo "boot.sh: timed out after $limit s" >&2; exit 98; }
    echo "boot.sh: the VM did not run the script (qemu: $rc):" >&2
    tail -5 "$out/qemu.log" >&2
    exit 97
fi
exit "$(cat "$out/rc")"
