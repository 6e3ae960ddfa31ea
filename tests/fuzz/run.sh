#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 30), from seeds
# made of the repository's captured fixtures plus the corpus earlier runs
# kept (build-fuzz/corpus), and prints what each did: runs, runs a second,
# coverage, corpus size, findings. Exits 1 if any target found anything;
# its reproducer is left in build-fuzz/findings/.
#
#   tests/fuzz/run.sh [SECONDS]          CI: 15 s each (tests/run.sh)
#   tests/fuzz/run.sh --runs 10000000    the campaign: ten million each
#   FUZZ_TARGETS="expo csv" tests/fuzz/run.sh   only those targets
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
case "${1:-30}" in
--runs) limit="-runs=${2:?--runs needs a count}" ;;
*[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS | --runs N]" >&2; exit 2 ;;
*) limit="-max_total_time=${1:-30}" ;;
esac
build=${FUZZ_BUILD:-$top/build-fuzz}
fx=$top/tests/fixtures/haproxy-2.6

cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DAGENT_FUZZ=ON \
    -DAGENT_ISAL=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAGENT_WERROR=ON \
    >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
for t in accesslog cidr config csv decimal expo haproxycfg httpreq ipvs lvsconf octavia procstat snapshot tlshello; do
    mkdir -p "$seeds/$t" "$build/corpus/$t"
done
# HAProxy's answers (two leading bytes: the piece size, or scopes and size)
for f in info-stat.txt show-info.txt; do
    { printf '\x00\x04'; cat "$fx/$f"; } >"$seeds/snapshot/$f"
    { printf '\x1f\x40'; cat "$fx/$f"; } >"$seeds/expo/$f"
done
{ printf '\x07\x01'; cat "$fx/show-info.txt"; echo; cat "$fx/show-stat.csv"; } \
    >"$seeds/snapshot/split.txt"
cp "$fx/show-stat.csv" "$seeds/csv/"
# every other release's answers too (2.2's 100 columns to 3.0's 206)
for ofx in "$top"/tests/fixtures/haproxy-*; do
    v=${ofx##*/haproxy-}
    [ "$ofx" = "$fx" ] && continue
    cp "$ofx/show-stat.csv" "$seeds/csv/show-stat-$v.csv"
    { printf '\x00\x04'; cat "$ofx/info-stat.txt"; } >"$seeds/snapshot/info-stat-$v.txt"
    { printf '\x1f\x40'; cat "$ofx/info-stat.txt"; } >"$seeds/expo/info-stat-$v.txt"
done
cp "$top"/tests/fixtures/http/*.req "$seeds/httpreq/"
cp "$top"/tests/fixtures/tls/*.hello "$seeds/tlshello/"
cp "$top"/tests/fixtures/keepalived/*.conf "$seeds/lvsconf/"
cp "$top"/tests/fixtures/octavia/*.cfg "$seeds/haproxycfg/"
for ofx in "$top"/tests/fixtures/haproxy-*; do
    cp "$ofx/haproxy.cfg" "$seeds/haproxycfg/${ofx##*/}.cfg"
done
cp "$top"/tests/fixtures/ipvs/*.bin "$seeds/ipvs/"
cp "$top/packaging/etc/amphora-prometheus-agent.conf" "$seeds/config/packaged"
sed -n '/^loadbalancer-id  /,/^}/p' "$top/packaging/man/amphora-prometheus-agent.conf.5" \
    >"$seeds/config/manpage"
sed -n '/^project-id  /,/^}/p' "$top/packaging/man/amphora-prometheus-agent.conf.5" \
    >"$seeds/config/manpage-tls"
# a request line and a certificate subject (first byte: where they split)
{ printf '\x80'; head -c 600 "$top/tests/fixtures/http/prometheus.req"
  printf '/C=FR/O=\xc3\xa9\"#/CN=x'; } >"$seeds/accesslog/request"
{ printf '\x0a\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
  printf '10.0.0.0/8'; } >"$seeds/cidr/v4"
{ printf ' \x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01'
  printf '2001:db8::/32'; } >"$seeds/cidr/v6"
{ cat /proc/stat; cat /proc/meminfo; } >"$seeds/procstat/proc"
grep -o '[0-9a-f-]\{36\}:[0-9a-f-]\{36\}' "$fx/haproxy.cfg" | head -1 \
    >"$seeds/octavia/backend"
# max 2^64-1, a counter HAProxy sent; max 65535, a port
{ printf '\xff\xff\xff\xff\xff\xff\xff\xff'; printf '18446744073709551615,'; } \
    >"$seeds/decimal/u64"
{ printf '\x00\x00\x00\x00\x00\x00\xff\xff'; printf '65536'; } >"$seeds/decimal/port"
printf '/var/lib/octavia/b081ed89-f6f8-48cb-a498-5e12705e2cf9.sock' \
    >"$seeds/octavia/socket"

dict() {
    case $1 in
    httpreq) echo "-dict=$top/tests/fuzz/http.dict" ;;
    config) echo "-dict=$top/tests/fuzz/config.dict" ;;
    lvsconf) echo "-dict=$top/tests/fuzz/lvs.dict" ;;
    haproxycfg) echo "-dict=$top/tests/fuzz/haproxycfg.dict" ;;
    snapshot|expo|csv) echo "-dict=$top/tests/fuzz/stat.dict" ;;
    esac
}

mkdir -p "$build/findings"
printf '%-10s %12s %10s %11s %8s %8s %s\n' target runs runs/s cov/edges \
    features corpus findings
failed=0
for t in ${FUZZ_TARGETS:-accesslog cidr config csv decimal expo httpreq ipvs lvsconf octavia procstat snapshot tlshello haproxycfg}; do
    [ -x "$build/tests/fuzz/fuzz_$t" ] || { echo "no target $t" >&2; exit 2; }
    log=$build/fuzz_$t.log
    rc=0
    "$build/tests/fuzz/fuzz_$t" "$limit" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=3 \
        -artifact_prefix="$build/findings/$t-" $(dict "$t") \
        "$build/corpus/$t" "$seeds/$t" >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    pcs=$(sed -n 's/^INFO: Loaded 1 PC tables (\([0-9]*\) PCs.*/\1/p' "$log")
    found=0
    if [ $rc -ne 0 ]; then
        found=1
        failed=1
    fi
    printf '%-10s %12s %10s %11s %8s %8s %s\n' "$t" "${runs:-?}" \
        "${speed:-?}" "${cov:-?}/${pcs:-?}" "${ft:-?}" "${corp:-?}" "$found"
    if [ $found -ne 0 ]; then
        grep -E 'ERROR|SUMMARY|==[0-9]+==|abort|\.c:[0-9]+' "$log" | head -20
    fi
done
exit $failed
