#!/usr/bin/env bash
# Builds kpool every way CI does and runs every test. This is the README's
# test command and what .ci/run executes.
#
#   1. gcc, RelWithDebInfo, -Werror: build, all tests (ctest), which include
#      the fuzz corpus replays (label fuzz-corpus)
#   2. clang, ASan + UBSan, -Werror: build, all tests, corpus replays again
#   3. clang, ThreadSanitizer, -Werror: build, the unit tests (label unit)
#   4. clang + libFuzzer: a short run of every fuzz target on a copy of its
#      seed corpus (skipped on macOS when no libFuzzer-capable clang exists)
#   5. install the gcc build to a temporary prefix, then build and run
#      tests/consumer with find_package(kpool CONFIG) and compile a file
#      with pkg-config
#   6. one test binary under Valgrind memcheck, when valgrind exists
#
# Exits non-zero when any step fails. The last line is "N passed, M failed".
#
# Environment:
#   KPOOL_BUILD_ROOT    where the build trees go (default: <repo>/build)
#   KPOOL_JOBS          parallel build and test jobs (default: CPU count)
#   KPOOL_FUZZ_SECONDS  libFuzzer time per target (default: 20)
#   KPOOL_SKIP_FUZZ=1   skip step 4 (also on Linux)
#   KPOOL_NO_INSTALL=1  do not run scripts/install-deps.sh first
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

build_root=${KPOOL_BUILD_ROOT:-$root/build}
jobs=${KPOOL_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
fuzz_seconds=${KPOOL_FUZZ_SECONDS:-20}
os=$(uname -s)

if [ "${KPOOL_NO_INSTALL:-0}" != 1 ]; then
  "$root/scripts/install-deps.sh" test
fi

# Sanitizer reports should say where, and a UBSan finding must fail the run.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-strict_string_checks=1:detect_stack_use_after_return=1}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kpool-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

results=()
n_pass=0
n_fail=0
start_all=$(date +%s)

# step NAME FUNCTION: runs FUNCTION in a subshell with `set -e`, so the first
# failing command ends the step, and records the outcome.
step() {
  local name=$1 fn=$2 t0 rc
  t0=$(date +%s)
  printf '\n==== %s ====\n' "$name"
  set +e
  (
    set -e
    "$fn"
  )
  rc=$?
  set -e
  local dt=$(($(date +%s) - t0))
  if [ "$rc" -eq 0 ]; then
    results+=("PASS  $name (${dt}s)")
    n_pass=$((n_pass + 1))
  else
    results+=("FAIL  $name (${dt}s, exit $rc)")
    n_fail=$((n_fail + 1))
  fi
}

# Records a step that could not run.
skip() {
  results+=("SKIP  $1: $2")
  printf '\n==== %s ====\nskipped: %s\n' "$1" "$2"
}

# configure PRESET DIR [cmake args...]: configures DIR from a preset of
# CMakePresets.json, with the given options on top.
configure() {
  local preset=$1 dir=$2
  shift 2
  cmake --preset "$preset" -B "$dir" "$@"
}

# Every fuzz/fuzz_*.c must have its corpus replay registered in DIR.
check_corpus_tests() {
  local dir=$1 want got
  want=$(find "$root/fuzz" -maxdepth 1 -name 'fuzz_*.c' | wc -l | tr -d ' ')
  got=$(ctest --test-dir "$dir" -N -L fuzz-corpus | sed -n 's/^Total Tests: //p')
  echo "fuzz corpus replays registered: ${got:-0} (fuzz targets: $want)"
  [ "${got:-0}" -ge "$want" ]
}

gcc_dir=$build_root/dev
asan_dir=$build_root/asan
fuzz_dir=$build_root/fuzz
tsan_dir=$build_root/tsan
consumer_dir=$build_root/consumer

# On macOS `gcc` is Apple clang; the build still runs, under that name.
build_gcc() {
  configure dev "$gcc_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKPOOL_WERROR=ON
  cmake --build "$gcc_dir" -j "$jobs"
}
test_gcc() {
  ctest --test-dir "$gcc_dir" --output-on-failure -j "$jobs"
  check_corpus_tests "$gcc_dir"
}

build_asan() {
  configure asan "$asan_dir" -DKPOOL_ASAN=ON -DKPOOL_WERROR=ON
  cmake --build "$asan_dir" -j "$jobs"
}
test_asan() {
  ctest --test-dir "$asan_dir" --output-on-failure -j "$jobs"
  check_corpus_tests "$asan_dir"
}

# ThreadSanitizer: the threaded tests (stress, spin locks, shared pools)
# must stay race-free. Benchmarks and examples are not needed here.
build_tsan() {
  configure tsan "$tsan_dir" -DKPOOL_TSAN=ON -DKPOOL_WERROR=ON \
    -DKPOOL_BUILD_BENCH=OFF -DKPOOL_BUILD_EXAMPLES=OFF
  cmake --build "$tsan_dir" -j "$jobs"
}
test_tsan() {
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ctest --test-dir "$tsan_dir" --output-on-failure -j "$jobs" -L unit
}

# The clang that can link -fsanitize=fuzzer: the default one on Linux,
# Homebrew's llvm on macOS (Apple clang has no libFuzzer).
fuzz_cc=""
find_fuzz_clang() {
  local cands=(clang) c
  if [ "$os" = Darwin ] && command -v brew >/dev/null 2>&1; then
    local llvm
    llvm=$(brew --prefix llvm 2>/dev/null || true)
    cands=("$llvm/bin/clang")
  fi
  for c in "${cands[@]}"; do
    [ -x "$(command -v "$c" 2>/dev/null || true)" ] || continue
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
      'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
      'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
      >"$tmp/probe.c"
    if "$c" -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" >/dev/null 2>&1; then
      fuzz_cc=$(command -v "$c")
      return 0
    fi
  done
  return 1
}

build_fuzz() {
  local cxx=${fuzz_cc%clang}clang++
  configure fuzz "$fuzz_dir" -DCMAKE_C_COMPILER="$fuzz_cc" -DCMAKE_CXX_COMPILER="$cxx"
  cmake --build "$fuzz_dir" -j "$jobs" --target kpool_fuzzers
}

# Runs each libFuzzer binary for fuzz_seconds on a scratch copy of its seed
# corpus; new inputs land in the copy, never in fuzz/corpus/. Crash inputs
# are kept in <build>/fuzz/artifacts/.
run_fuzz() {
  local src name short bin work
  mkdir -p "$fuzz_dir/artifacts"
  for src in "$root"/fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    short=${name#fuzz_}
    bin=$fuzz_dir/fuzz/$name
    work=$tmp/corpus-$short
    mkdir -p "$work"
    if [ -d "$root/fuzz/corpus/$short" ]; then
      cp -R "$root/fuzz/corpus/$short/." "$work/"
    fi
    echo "-- $name: ${fuzz_seconds}s on a copy of fuzz/corpus/$short"
    "$bin" -max_total_time="$fuzz_seconds" -timeout=30 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$fuzz_dir/artifacts/$name-" "$work"
  done
  # The example's harness (fuzzer-driven fault injection into a driver
  # component) is a fuzz target too.
  bin=$fuzz_dir/examples/event_cache/fuzz_event_cache
  if [ -x "$bin" ]; then
    work=$tmp/corpus-event_cache
    mkdir -p "$work"
    cp -R "$root/examples/event_cache/fuzz_corpus/." "$work/"
    echo "-- fuzz_event_cache: ${fuzz_seconds}s on a copy of examples/event_cache/fuzz_corpus"
    "$bin" -max_total_time="$fuzz_seconds" -timeout=30 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$fuzz_dir/artifacts/fuzz_event_cache-" "$work"
  fi
}

install_and_consume() {
  local prefix=$tmp/prefix pc_dir
  cmake --install "$gcc_dir" --prefix "$prefix"
  # 1. CMake: find_package(kpool CONFIG REQUIRED) + kpool::wdk.
  cmake -S "$root/tests/consumer" -B "$consumer_dir" -G Ninja \
    -DCMAKE_C_COMPILER=gcc -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo --fresh
  cmake --build "$consumer_dir" -j "$jobs"
  ctest --test-dir "$consumer_dir" --output-on-failure
  # 2. pkg-config: compile and run a tiny file with the installed flags.
  pc_dir=$(dirname "$(find "$prefix" -name kpool.pc | head -n 1)")
  echo "pkg-config --cflags --libs kpool: $(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs kpool)"
  # shellcheck disable=SC2046 # word splitting of the flags is intended
  cc -std=c11 -Wall -Wextra -Werror "$root/tests/consumer/pkgconfig_main.c" \
    $(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs kpool) -o "$tmp/pkgconfig_main"
  "$tmp/pkgconfig_main"
}

# Valgrind sees what the sanitizers do not (uninitialised reads in
# uninstrumented code); one unit test binary keeps it short.
run_valgrind() {
  local bin=""
  for t in test_pool test_alloc test_system; do
    if [ -x "$gcc_dir/tests/$t" ]; then
      bin=$gcc_dir/tests/$t
      break
    fi
  done
  if [ -z "$bin" ]; then
    bin=$(find "$gcc_dir/tests" -maxdepth 1 -type f -name 'test_*' -perm -u+x | sort | head -n 1)
  fi
  [ -n "$bin" ] || { echo "no test binary found in $gcc_dir/tests"; return 1; }
  # [issue 5, verifier helper] test_sanitizer's Memcheck checks (mempool requests) run only under Valgrind:
  [ ! -x "$gcc_dir/tests/test_sanitizer" ] || valgrind --tool=memcheck --error-exitcode=99 --quiet "$gcc_dir/tests/test_sanitizer" || return 1
  echo "valgrind: $bin"
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --track-origins=yes --quiet "$bin"
}

echo "kpool tests: build root $build_root, $jobs jobs, $os"

step "gcc build (RelWithDebInfo, -Werror)" build_gcc
gcc_ok=$n_fail
if [ "$gcc_ok" -eq 0 ]; then
  step "gcc tests (ctest, incl. fuzz-corpus replays)" test_gcc
else
  skip "gcc tests" "the gcc build failed"
fi

fail_before=$n_fail
step "clang ASan+UBSan build (-Werror)" build_asan
if [ "$n_fail" -eq "$fail_before" ]; then
  step "clang ASan+UBSan tests (ctest, incl. fuzz-corpus replays)" test_asan
else
  skip "clang ASan+UBSan tests" "the ASan build failed"
fi

fail_before=$n_fail
step "clang TSan build (-Werror)" build_tsan
if [ "$n_fail" -eq "$fail_before" ]; then
  step "clang TSan tests (unit)" test_tsan
else
  skip "clang TSan tests" "the TSan build failed"
fi

if [ "${KPOOL_SKIP_FUZZ:-0}" = 1 ]; then
  skip "libFuzzer run" "KPOOL_SKIP_FUZZ=1"
elif find_fuzz_clang; then
  fail_before=$n_fail
  step "libFuzzer build ($fuzz_cc)" build_fuzz
  if [ "$n_fail" -eq "$fail_before" ]; then
    step "libFuzzer run (${fuzz_seconds}s per target)" run_fuzz
  else
    skip "libFuzzer run" "the fuzz build failed"
  fi
elif [ "$os" = Darwin ]; then
  skip "libFuzzer run" "no clang with libFuzzer (Apple clang lacks it; brew install llvm)"
else
  results+=("FAIL  libFuzzer: clang cannot link -fsanitize=fuzzer")
  n_fail=$((n_fail + 1))
fi

if [ "$gcc_ok" -eq 0 ]; then
  step "install + consumer (find_package, pkg-config)" install_and_consume
else
  skip "install + consumer" "the gcc build failed"
fi

if ! command -v valgrind >/dev/null 2>&1; then
  skip "valgrind" "valgrind not installed"
elif [ "$gcc_ok" -ne 0 ]; then
  skip "valgrind" "the gcc build failed"
else
  step "valgrind memcheck (one test binary)" run_valgrind
fi

printf '\n==== summary (%ss) ====\n' "$(($(date +%s) - start_all))"
printf '%s\n' "${results[@]}"
printf '%d passed, %d failed\n' "$n_pass" "$n_fail"
[ "$n_fail" -eq 0 ]
