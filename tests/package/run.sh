#!/usr/bin/env bash
# The Debian package, end to end, on this machine (Debian 12, root):
#   1. dpkg-buildpackage -us -uc -b in a clean copy of the checkout
#   2. lintian on the .deb and the .changes: no error, no warning
#   3. systemd-analyze security --offline on the unit: exposure <= 2.0
#   4. install it; what it put in place; systemd-analyze verify
#   5. the drop-in deployment as the unit runs it (test_deployment.py)
#   6. purge: nothing it created is left
# It installs the package on this machine and purges it at the end.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
pkg=amphora-prometheus-agent
work=$(mktemp -d /tmp/apa-package.XXXXXX)
made_group=""
undo() {
    rm -rf "$work"
    [ -z "$made_group" ] || groupdel octavia
}
trap undo EXIT
fail() { echo "FAIL $*" >&2; exit 1; }

echo "== package: dpkg-buildpackage -us -uc -b"
"$top/packaging/export-tree.sh" "$work/src"
start=$(date +%s)
(cd "$work/src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
    { tail -40 "$work/build.log"; fail "dpkg-buildpackage"; }
deb=$(ls "$work"/${pkg}_*_*.deb)
changes=$(ls "$work"/${pkg}_*_*.changes)
echo "PASS built $(basename "$deb") in $(($(date +%s) - start)) s," \
    "$(stat -c %s "$deb") bytes"

version=$(sed -n '/^project/s/.* VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] ||
    fail "package version $(dpkg-deb -f "$deb" Version), CMakeLists.txt $version"
depends=$(dpkg-deb -f "$deb" Depends)
echo "     Depends: $depends"
if echo "$depends" | grep -Eq -- '-dev|cmake|cmocka|debhelper'; then
    fail "build dependencies leaked into Depends"
fi

echo "== package: lintian"
lintian --info --display-info --pedantic --fail-on error,warning \
    "$deb" "$changes" 2>&1 | grep -v '^running with root privileges' |
    tee "$work/lintian.log" || true
if grep -Eq '^[EW]: ' "$work/lintian.log"; then
    fail "lintian reported errors or warnings"
fi
echo "PASS lintian: $(grep -c '^[EWIPX]: ' "$work/lintian.log" || true) tags" \
    "on the .deb and .changes (errors and warnings fail)"

echo "== package: systemd-analyze security --offline=true"
unit="$top/packaging/systemd/$pkg.service"
exposure=$(systemd-analyze security --offline=true "$unit" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "no exposure figure from systemd-analyze"
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' ||
    fail "exposure $exposure is over 2.0"
echo "PASS exposure level $exposure (at most 2.0)"

echo "== package: install"
# as in an amphora built from Debian's octavia packages: a group octavia
# owning /etc/octavia and /var/lib/octavia, mode 0750
if ! getent group octavia >/dev/null; then
    groupadd --system octavia
    made_group=yes
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall "$deb" \
    >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "install"; }
id -nG _amphora-prometheus | grep -qw octavia ||
    fail "_amphora-prometheus is not in group octavia: $(id -nG _amphora-prometheus)"
echo "PASS the postinst put _amphora-prometheus in group octavia, which owns" \
    "Debian's /etc/octavia and /var/lib/octavia (0750)"
dpkg -L "$pkg" >"$work/files"
for f in /usr/sbin/$pkg /usr/share/man/man8/$pkg.8.gz \
    /usr/share/man/man5/$pkg.conf.5.gz /etc/octavia/$pkg.conf \
    /lib/systemd/system/$pkg.service /lib/systemd/system/$pkg.path \
    /usr/lib/sysusers.d/$pkg.conf; do
    grep -qx "$f" "$work/files" && [ -e "$f" ] || fail "not installed: $f"
done
dpkg-query -W -f='${Conffiles}\n' "$pkg" | grep -q "/etc/octavia/$pkg.conf " ||
    fail "/etc/octavia/$pkg.conf is not a conffile"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd _amphora-prometheus) ||
    fail "no user _amphora-prometheus"
[ "$uid" -lt 1000 ] && [ "$home" = / ] && [ "$shell" = /usr/sbin/nologin ] ||
    fail "_amphora-prometheus: uid $uid, home $home, shell $shell"
for u in $pkg.service $pkg.path; do
    [ "$(systemctl is-enabled "$u")" = enabled ] || fail "$u not enabled"
done
[ "$(/usr/sbin/$pkg -V)" = "$pkg $version" ] || fail "-V: $(/usr/sbin/$pkg -V)"
[ "$(/usr/sbin/$pkg -n)" = "configuration OK" ] || fail "-n on the default"
grep -qx 'listen 127.0.0.1:9102' /etc/octavia/$pkg.conf ||
    fail "the default config does not serve 127.0.0.1:9102"
echo "PASS installed: binary, man pages, conffile, units enabled, system" \
    "user $uid (home /, nologin); -n passes on the default config"

echo "== package: systemd-analyze verify"
systemd-analyze verify /lib/systemd/system/$pkg.service \
    /lib/systemd/system/$pkg.path 2>&1 | tee "$work/verify.log"
[ ! -s "$work/verify.log" ] || fail "systemd-analyze verify"
echo "PASS systemd-analyze verify: clean"

echo "== package: the drop-in deployment"
python3 "$top/tests/package/test_deployment.py" ||
    fail "deployment (the package stays installed to look at)"

echo "== package: purge"
DEBIAN_FRONTEND=noninteractive apt-get purge -y "$pkg" >"$work/purge.log" 2>&1 ||
    { cat "$work/purge.log"; fail "purge"; }
left=()
while read -r f; do
    [ -d "$f" ] && continue             # shared directories stay
    [ -e "$f" ] || [ -L "$f" ] && left+=("$f")
done <"$work/files"
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
! getent passwd _amphora-prometheus >/dev/null || fail "user left"
! getent group _amphora-prometheus >/dev/null || fail "group left"
! ls /etc/systemd/system/*/$pkg.* >/dev/null 2>&1 || fail "enable links left"
! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q installed ||
    fail "still known to dpkg"
echo "PASS purged: no file, user, group or unit link of the package left"
