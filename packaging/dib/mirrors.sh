# shellcheck shell=bash
# Sourced by the image builds (packaging/dib/test-image.sh,
# tests/amphora/image.sh). dib_mirrors exports the bookworm mirror and
# security archive this machine's apt uses (deb822 or one-line sources) as
# diskimage-builder's debian elements want them; without both it says so
# and returns 1.
dib_mirrors() {
    local mirror security
    mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ { print u; exit }')
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" \
        { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
    security=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^URIs:/ { u = $2 } /^Suites:/ && /bookworm-security/ { print u; exit }')
    [ -n "$security" ] || security=$(awk '$1 == "deb" && \
        $3 == "bookworm-security" { print $2; exit }' /etc/apt/sources.list \
        2>/dev/null)
    if [ -z "$mirror" ] || [ -z "$security" ]; then
        echo "no bookworm mirror and security archive in apt's sources" >&2
        return 1
    fi
    export DIB_DISTRIBUTION_MIRROR=$mirror
    export DIB_DEBIAN_SECURITY_MIRROR=$security
    # its default path is the one before bookworm
    export DIB_DEBIAN_SECURITY_SUBPATH=-security
}
