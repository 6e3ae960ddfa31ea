#!/usr/bin/env bash
# Static analysis of lib/ and amphora-agent/: clang-tidy with the checks
# in .clang-tidy (bugprone-*, cert-*, clang-analyzer-*, every one an
# error; what is off is said there) and cppcheck (warning, style,
# performance, portability). Each suppression is commented where it is
# made. Exits non-zero on any finding.
#
#   tests/static.sh        (tests/run.sh runs it)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${STATIC_BUILD:-$top/build-static}
cd "$top"

# the compile commands of the real build: same flags, same headers
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
sources=$(ls lib/*.c amphora-agent/*.c)

echo "== clang-tidy: $(echo "$sources" | wc -l) files"
# (its count of warnings generated is the system headers' and filtered
# out by .clang-tidy; only findings are printed)
rc=0
out=$(clang-tidy -p "$build" --quiet $sources 2>&1) || rc=$?
grep -v ' warnings generated\.$' <<<"$out" || true
[ $rc -eq 0 ]

# variableScope: the code declares at the top of a function, KNF, on
# purpose. sys/queue.h is read for its macros (TAILQ_*), which cppcheck
# cannot guess, and system headers are otherwise not its business.
echo "== cppcheck"
cppcheck --project="$build/compile_commands.json" -i "$build" -i "$top/tests" \
    --enable=warning,style,performance,portability --inline-suppr \
    --suppress=missingIncludeSystem --suppress=variableScope \
    --include=/usr/include/x86_64-linux-gnu/sys/queue.h \
    --error-exitcode=1 --quiet
echo "static analysis: clean"
