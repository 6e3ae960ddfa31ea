#!/usr/bin/env bash
# A HAProxy release built from its upstream source tarball, with OpenSSL,
# PCRE2 and its Prometheus exporter, for the releases amphorae ship that no
# Debian release here packages.
#
#   tests/tools/haproxy_source.sh VERSION TARBALL   prints a command that
#                                                   runs it
#
# The tarball must have the hash tests/tools/haproxy-sources.sha256 gives
# its name (upstream's release tags, as git archive makes them).
# 2.0 to 2.4 do not compile against OpenSSL 3: they are built, and run, in
# a Debian bullseye chroot (OpenSSL 1.1.1; tests/tools/haproxy_chroot.sh);
# later ones on this machine. The exporter is a contrib object before 2.4
# and USE_PROMEX from 2.4. Builds are cached outside the clone in
# HAPROXY_BUILD_CACHE (default /var/cache/amphora-prometheus-agent/
# haproxy-builds), keyed by the tarball's hash and this script's, so a
# second run builds nothing.
set -euo pipefail

version=${1:?usage: haproxy_source.sh VERSION TARBALL}
tarball=$(readlink -f "${2:?usage: haproxy_source.sh VERSION TARBALL}")
here=$(cd "$(dirname "$0")" && pwd)
cache=${HAPROXY_BUILD_CACHE:-/var/cache/amphora-prometheus-agent/haproxy-builds}
fail() { echo "haproxy_source.sh: $*" >&2; exit 1; }

[[ $version =~ ^([0-9]+)\.([0-9]+)\.[0-9]+$ ]] ||
    fail "VERSION is x.y.z, not '$version'"
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
name=$(basename "$tarball")
sums=$here/haproxy-sources.sha256
sum=$(sha256sum "$tarball" | cut -d' ' -f1)
grep -qx "$sum  $name" "$sums" || fail "$name: sha256 $sum is not in $sums"

key=$(printf '%s %s' "$sum" "$(sha256sum "$0" | cut -d' ' -f1)" |
    sha256sum | cut -c1-16)
dir=$cache/haproxy-$version-$key
if [ -x "$dir/haproxy" ] && "$dir/haproxy" -v >/dev/null 2>&1; then
    echo "$dir/haproxy"
    exit 0
fi

make_args=(TARGET=linux-glibc USE_OPENSSL=1 USE_PCRE2=1)
if [ "$major" -lt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -lt 4 ]; }; then
    make_args+=(EXTRA_OBJS=contrib/prometheus-exporter/service-prometheus.o)
else
    make_args+=(USE_PROMEX=1)
fi
old_openssl=0
[ "$major" -eq 2 ] && [ "$minor" -le 4 ] && old_openssl=1

start=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir"
if [ $old_openssl -eq 1 ]; then
    # one bullseye root for every such release, with what building needs
    run=$(dirname "$("$here/haproxy_chroot.sh" bullseye "$cache/bullseye" \
        build-essential libssl-dev libpcre2-dev)")/run
    root=$cache/bullseye/root
    src=/usr/local/src/haproxy-$version
    rm -rf "$root$src"
    mkdir -p "$root$src"
    tar -xJf "$tarball" -C "$root$src" --strip-components=1
    "$run" make -C "$src" -j"$(nproc)" "${make_args[@]}" \
        >"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log" >&2; exit 1; }
    install -m 755 "$root$src/haproxy" "$root/usr/local/sbin/haproxy-$version"
    rm -rf "$root$src"
    printf '#!/bin/sh\n# HAProxy %s, built in Debian bullseye\nexec %s %s "$@"\n' \
        "$version" "$run" "/usr/local/sbin/haproxy-$version" >"$dir/haproxy"
    chmod +x "$dir/haproxy"
else
    "$here/../../packaging/ensure-packages.sh" build-essential libssl-dev \
        libpcre2-dev >&2
    mkdir -p "$dir/src"
    tar -xJf "$tarball" -C "$dir/src" --strip-components=1
    make -C "$dir/src" -j"$(nproc)" "${make_args[@]}" \
        >"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log" >&2; exit 1; }
    install -m 755 "$dir/src/haproxy" "$dir/haproxy"
    rm -rf "$dir/src"
fi
echo "haproxy $version: $("$dir/haproxy" -v | head -1), built in" \
    "$(( $(date +%s) - start )) s" >&2
echo "$dir/haproxy"
