#!/bin/sh
# bench-fuzz.sh — the fuzz-harness pair: builds bench/fuzz/harness_kpool.c
# (a fresh kpool system per input, up to 32 ExAllocatePool2 +
# ExFreePoolWithTag pairs) and bench/fuzz/harness_calloc.c (the same pairs on
# calloc/free), both with clang + AddressSanitizer + libFuzzer, kpool itself
# built with ASan (CMake Release flags plus ASan), runs each twice for the same
# time, interleaved (the best run of each counts), and
# prints their exec/s and the ratio kpool/calloc; then ASan's own
# malloc+free pair in ns (64 B, ring of 8), the yardstick of bench_pool's
# single-thread kpool row.
#
#   scripts/bench-fuzz.sh [seconds per harness, default 10] [build dir]
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-dev or the
# compiler-rt bundled with clang 14). Exits non-zero when a step fails.
set -eu
secs=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-"$root/build/bench-fuzz"}
cc=${CC:-clang}

mkdir -p "$build"
log="$build/bench-fuzz"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_CXX_COMPILER="${CXX:-clang++}" -DCMAKE_BUILD_TYPE=Release \
  -DKPOOL_ASAN=ON -DKPOOL_BUILD_TESTS=OFF -DKPOOL_BUILD_EXAMPLES=OFF \
  -DKPOOL_BUILD_BENCH=OFF -DKPOOL_BUILD_FUZZERS=OFF >"$log.cmake.log" 2>&1 ||
  { cat "$log.cmake.log"; exit 1; }
cmake --build "$build" --target kpool kpool_wdk >"$log.build.log" 2>&1 ||
  { tail -40 "$log.build.log"; exit 1; }
libs=$(find "$build" -name 'libkpool_wdk.a' | head -1)
core=$(find "$build" -name 'libkpool.a' | head -1)
flags="-O2 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wno-multichar"
"$cc" $flags -I"$root/include" -I"$root/include/kpool/wdk" \
  "$root/bench/fuzz/harness_kpool.c" "$libs" "$core" -lpthread -o "$build/harness_kpool"
"$cc" $flags "$root/bench/fuzz/harness_calloc.c" -o "$build/harness_calloc"
# ASan's own malloc+free pair, the yardstick of kpool's single-thread row.
"$cc" -O2 -fsanitize=address "$root/bench/fuzz/asan_pair.c" -o "$build/asan_pair"

run() { # $1 harness -> prints exec/s
  out=$("$build/$1" -max_total_time="$secs" -max_len=32 -print_final_stats=1 \
        -detect_leaks=0 2>&1) || { echo "$out" | tail -20 >&2; exit 1; }
  echo "$out" | sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' | tail -1
}
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
# Interleaved, best of two each: the machine may be shared.
k=$(run harness_kpool)
c=$(run harness_calloc)
k=$(best "$k" "$(run harness_kpool)")
c=$(best "$c" "$(run harness_calloc)")
echo "fuzz harness kpool (fresh system per input, <=32 pairs): $k exec/s"
echo "fuzz harness calloc/free (<=32 pairs): $c exec/s"
awk -v k="$k" -v c="$c" 'BEGIN { if (c > 0) printf "ratio kpool/calloc exec/s: %.1f%%\n", 100 * k / c }'
"$build/asan_pair"
