#!/usr/bin/env bash
# Copies the source tree this script belongs to into DEST as a clean
# checkout would hold it, local changes included: in git, the files git
# tracks and the untracked ones it does not ignore (no build trees);
# elsewhere, everything but build trees.
#
#   packaging/export-tree.sh DEST
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:?usage: export-tree.sh DEST}
mkdir -p "$dest"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$src" ls-files -z --cached --others --exclude-standard |
        (cd "$src" && while IFS= read -r -d '' f; do   # not deleted ones
            if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
        done | tar --null -T - -cf -) | tar -C "$dest" -xf -
else
    tar -C "$src" --exclude=./build --exclude='./build-*' \
        --exclude='./obj-*' -cf - . | tar -C "$dest" -xf -
fi
