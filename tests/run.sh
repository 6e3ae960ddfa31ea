#!/usr/bin/env bash
# The one test command: installs what it needs (Debian 12), builds with
# warnings as errors under gcc (gzip by ISA-L) and clang (gzip by zlib),
# runs every test, then runs them all again with AddressSanitizer and
# UndefinedBehaviorSanitizer.
#
#   tests/run.sh            everything
#   tests/run.sh --quick    gcc build and tests only
set -euo pipefail

cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

packaging/ensure-packages.sh \
    build-essential cmake pkg-config clang libevent-dev libbsd-dev zlib1g-dev \
    libcmocka-dev libisal-dev haproxy prometheus prometheus-haproxy-exporter \
    curl wrk python3 iproute2 mandoc

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

# clang builds the zlib gzip backend, so both stay tested
build build-clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAGENT_ISAL=OFF
(cd build-clang && ctest --output-on-failure)

build build-asan -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug \
    -DAGENT_SANITIZE=ON
(cd build-asan &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure)
