#!/usr/bin/env bash
# The one test command: installs what it needs (Debian 12), builds with
# warnings as errors under gcc (gzip by ISA-L) and clang (gzip by zlib),
# runs every test, static analysis, the load test and the integration
# suites under valgrind, UDP and SCTP against a real IPVS in a qemu VM,
# HAProxy 2.2 and 3.0 from Debian chroots beside this machine's 2.6, and
# 2.0, 2.4, 2.8, 3.2 and 3.4 built from upstream's tarballs (HAPROXY_SOURCES,
# the one input from outside the clone, checked against the hashes in
# tests/tools/haproxy-sources.sha256; skipped, saying so, without them),
# builds, lints, installs, runs and purges the
# Debian package, then runs the tests again with AddressSanitizer and
# UndefinedBehaviorSanitizer under gcc and under clang, and fuzzes every
# parser for 15 s (FUZZ_SECONDS) with libFuzzer.
#
#   tests/run.sh            everything but the real amphora and its image
#   tests/run.sh --quick    gcc build and its tests only
#   tests/run.sh --image    everything, then an amphora image built with
#                           diskimage-builder (packaging/dib/test-image.sh)
#   tests/run.sh --amphora  everything, and after the package a real amphora
#                           booted under systemd with it, driven by Octavia's
#                           own controller code (tests/amphora/run.sh:
#                           15-19 minutes with its image cached, more than
#                           the default suite's budget allows)
set -euo pipefail

cd "$(dirname "$0")/.."
quick=0 image=0 amphora=0
case "${1:-}" in
--quick) quick=1 ;;
--image) image=1 ;;
--amphora) amphora=1 ;;
"") ;;
*) echo "usage: tests/run.sh [--quick | --image | --amphora]" >&2; exit 2 ;;
esac

packaging/ensure-packages.sh \
    build-essential cmake pkg-config clang libevent-dev libbsd-dev zlib1g-dev \
    libzstd-dev python3-zstandard libmnl-dev libssl-dev openssl \
    libcmocka-dev libisal-dev haproxy prometheus prometheus-haproxy-exporter \
    curl wrk python3 python3-jinja2 iproute2 mandoc git debhelper dpkg-dev \
    lintian systemd strace python3-prometheus-client libclang-rt-14-dev \
    valgrind cppcheck clang-tidy prometheus-alertmanager victoria-metrics \
    python3-yaml keepalived ipvsadm qemu-system-x86 linux-image-amd64 \
    busybox-static cpio debootstrap python3-octavia

jobs=$(nproc)
build() {
    local dir=$1
    shift
    echo "== build $dir"
    cmake -S . -B "$dir" -DAGENT_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
}

build build-gcc -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo
(cd build-gcc && ctest --output-on-failure)
[ $quick -eq 1 ] && exit 0

agent=build-gcc/amphora-agent/amphora-prometheus-agent

# clang-tidy and cppcheck, clean (tests/static.sh, .clang-tidy)
tests/static.sh

# load and abuse beside a legitimate scraper, on loopback (tests/load)
echo "== load"
python3 tests/load/load.py --agent $agent

# the integration and fault suites again, every agent under memcheck: no
# error, nothing definitely or indirectly lost
echo "== memcheck"
rm -rf build-gcc/memcheck
python3 tests/integration/test_agent.py --agent $agent \
    --valgrind build-gcc/memcheck/integration
python3 tests/integration/test_faults.py --agent $agent \
    --valgrind build-gcc/memcheck/faults
python3 tests/integration/test_tls.py --agent $agent \
    --valgrind build-gcc/memcheck/tls
python3 tests/integration/test_haproxy_tls.py --agent $agent \
    --valgrind build-gcc/memcheck/haproxy_tls

# the Debian package: built, linted, installed, run as its unit, purged
tests/package/run.sh

# UDP and SCTP against a real IPVS, in a VM (this kernel has no ip_vs)
echo "== vm: IPVS"
tests/vm/ipvs.sh build-gcc

# a real amphora: the image (diskimage-builder, Debian's octavia-agent,
# the package), booted with systemd as PID 1, driven by Octavia's own
# controller code; the image is cached outside the clone, keyed by its
# inputs (tests/amphora/run.sh, which installs what it needs)
if [ $amphora -eq 1 ]; then
    echo "== amphora"
    tests/amphora/run.sh
fi

# every HAProxy an amphora image may carry: 2.2 (Debian bullseye) and 3.0
# (trixie) from chroots debootstrapped once and cached in build-gcc, and
# this machine's 2.6 (tests/integration/test_versions.py)
echo "== HAProxy versions"
for suite in bullseye trixie; do
    wrapper=$(tests/tools/haproxy_chroot.sh $suite build-gcc/haproxy-chroots/$suite)
    HAPROXY=$wrapper python3 tests/integration/test_versions.py --agent $agent
done
python3 tests/integration/test_versions.py --agent $agent
# and the releases no Debian here packages, which Ubuntu amphorae ship
# (2.0 focal, 2.4 jammy, 2.8 noble) and the next LTS ones, built from
# upstream's tarballs in HAPROXY_SOURCES (tests/tools/haproxy_source.sh,
# cached outside the clone); the captured fixtures run either way
sources=${HAPROXY_SOURCES:-/var/cache/amphora-prometheus-agent/haproxy-sources}
skipped=()
for v in 2.0.0 2.4.0 2.8.0 3.2.0 3.4.0; do
    if [ ! -f "$sources/haproxy-$v.tar.xz" ]; then
        skipped+=("$v")
        continue
    fi
    wrapper=$(tests/tools/haproxy_source.sh "$v" "$sources/haproxy-$v.tar.xz")
    HAPROXY=$wrapper python3 tests/integration/test_versions.py --agent $agent
done
[ ${#skipped[@]} -eq 0 ] || echo "SKIP live HAProxy ${skipped[*]}: no" \
    "haproxy-VERSION.tar.xz in $sources (HAPROXY_SOURCES)"

# clang builds the zlib gzip backend, so both stay tested
build build-clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAGENT_ISAL=OFF
(cd build-clang && ctest --output-on-failure)

# AddressSanitizer and UndefinedBehaviorSanitizer under both compilers:
# they do not catch the same things (clang's UBSan flags NULL + 0)
for cc in gcc clang; do
    build build-asan-$cc -DCMAKE_C_COMPILER=$cc -DCMAKE_BUILD_TYPE=Debug \
        -DAGENT_SANITIZE=ON $([ $cc = clang ] && echo -DAGENT_ISAL=OFF)
    (cd build-asan-$cc &&
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --output-on-failure)
done

# every parser's fuzz target, from the captured fixtures (tests/fuzz/run.sh)
echo "== fuzz"
tests/fuzz/run.sh "${FUZZ_SECONDS:-15}"

if [ $image -eq 1 ]; then
    # the element both ways: built from this checkout, and from the .deb
    packaging/dib/test-image.sh
    debdir=$(mktemp -d /tmp/apa-deb.XXXXXX)
    packaging/export-tree.sh "$debdir/src"
    (cd "$debdir/src" && dpkg-buildpackage -us -uc -b >/dev/null)
    packaging/dib/test-image.sh --deb "$debdir"/amphora-prometheus-agent_*_*.deb
    rm -rf "$debdir"
fi
