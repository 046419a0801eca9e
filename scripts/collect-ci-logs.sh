#!/usr/bin/env bash
# Gathers what a failed CI run needs for diagnosis into one folder, which
# the workflow uploads as an artifact:
#   <build>/<tree>/Testing/Temporary/LastTest*.log   CTest's full test logs
#   <build>/fuzz/artifacts/, <build>/cflite/artifacts/  fuzz crash inputs
#                                                    (crash-, leak-, timeout-)
#   <build>/cflite/*.log                             the local ClusterFuzzLite
#                                                    build and run logs
#
#   scripts/collect-ci-logs.sh [build root] [destination]
set -uo pipefail

build=${1:-build}
dest=${2:-ci-logs}
mkdir -p "$dest"
[ -d "$build" ] || { echo "collect-ci-logs: no build root $build"; exit 0; }

n=0
while IFS= read -r f; do
  rel=${f#"$build"/}
  mkdir -p "$dest/$(dirname "$rel")"
  cp "$f" "$dest/$rel" && n=$((n + 1))
done < <(find "$build" \( -path '*/Testing/Temporary/LastTest*.log' \
  -o -path '*/artifacts/*' -o -path '*/cflite/*.log' \) -type f 2>/dev/null)
echo "collect-ci-logs: $n file(s) in $dest"
