#!/usr/bin/env bash
# Builds the examples and runs the demo programs: kpool_demo (the event
# cache, writing an HTML report and a Chrome trace) and kpool_procmon_demo
# (a whole driver). The README's first quick-start command.
#
#   scripts/demo.sh [arguments for kpool_demo...]
#
# Installs CMake, Ninja and a compiler first when they are missing
# (scripts/install-deps.sh demo). Builds in <repo>/build/demo, or in
# $KPOOL_BUILD_ROOT/demo.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KPOOL_BUILD_ROOT:-$root/build}/demo
jobs=${KPOOL_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}

if [ "${KPOOL_NO_INSTALL:-0}" != 1 ]; then
  "$root/scripts/install-deps.sh" demo
fi

# Only the library and the examples: no CMocka needed for the demo.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKPOOL_BUILD_EXAMPLES=ON -DKPOOL_BUILD_TESTS=OFF -DKPOOL_BUILD_BENCH=OFF \
  -DKPOOL_BUILD_FUZZERS=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target kpool_demo kpool_procmon_demo

demo=$(find "$build" -type f -name kpool_demo -perm -u+x | head -n 1)
if [ -z "$demo" ]; then
  echo "demo.sh: kpool_demo was not built" >&2
  exit 1
fi
# With no arguments the demo also writes the HTML report and the Chrome
# trace (open it in Perfetto UI or chrome://tracing) next to the build.
if [ "$#" -eq 0 ]; then
  set -- --html "$build/kpool-report.html" --trace "$build/kpool-trace.json"
fi
echo "---- running ${demo#"$root"/} $* ----"
rc=0
"$demo" "$@" || rc=$?
if [ "$rc" -eq 0 ] && [ -f "$build/kpool-report.html" ]; then
  echo "---- HTML report: $build/kpool-report.html"
  echo "---- Chrome trace: $build/kpool-trace.json (Perfetto UI, chrome://tracing)"
fi
[ "$rc" -eq 0 ] || exit "$rc"
# A whole driver in a test: examples/procmon_driver loaded, driven through
# IRPs and simulated processes, a seeded double completion, unloaded.
procmon=$(find "$build" -type f -name kpool_procmon_demo -perm -u+x | head -n 1)
if [ -n "$procmon" ]; then
  echo
  echo "---- running ${procmon#"$root"/} ----"
  "$procmon"
fi
