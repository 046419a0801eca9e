#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build script for kpool. Runs inside the
# base-builder image (Dockerfile) through `compile`, which sets
#   CC CXX CFLAGS CXXFLAGS   compilers and the sanitizer + coverage flags
#   LIB_FUZZING_ENGINE       what a fuzz target links (-fsanitize=fuzzer...)
#   SRC OUT WORK             sources, results, scratch
# scripts/test.sh also runs it outside docker with such an environment.
#
# Builds every fuzz target, found by glob (fuzz/fuzz_*.c and the examples'
# harnesses examples/*/fuzz_*.c), in kpool's external fuzz mode
# (KPOOL_FUZZ_EXTERNAL: no sanitizer flag of kpool's own, so ASan, MSan,
# UBSan-only and coverage builds all work) and puts into $OUT per target:
#   <target>                 the binary
#   <target>_seed_corpus.zip its checked-in seeds
#   <target>.options         .clusterfuzzlite/default.options merged with
#                            <target>.options beside its source, if any
#   <target>.dict            <target>.dict beside its source, if any (the
#                            .options then names it)
# Exits non-zero when a fuzz source produced no binary or has no seeds.

src=${KPOOL_SRC:-$SRC/kpool}
build=$WORK/kpool-build
here=$src/.clusterfuzzlite
jobs=${KPOOL_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi

# CMAKE_BUILD_TYPE=None: no optimisation or NDEBUG flags of CMake's own, only
# CFLAGS/CXXFLAGS. Tests, benchmarks and Valgrind support are not needed.
cmake -S "$src" -B "$build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=None \
  -DKPOOL_BUILD_FUZZERS=ON -DKPOOL_FUZZ_EXTERNAL=ON \
  -DKPOOL_BUILD_TESTS=OFF -DKPOOL_BUILD_EXAMPLES=ON -DKPOOL_BUILD_BENCH=OFF \
  -DKPOOL_BUILD_SHARED=OFF -DKPOOL_VALGRIND=OFF -DKPOOL_WERROR=OFF
# Everything (not only the kpool_fuzzers target), so that a harness whose
# CMake code forgot to join kpool_fuzzers is still built and found below.
cmake --build "$build" -j "$jobs"

# The seed directory of a fuzz source: fuzz/corpus/<name> for fuzz/fuzz_<name>.c;
# for a harness elsewhere, <dir>/fuzz_corpus/<name>, <dir>/corpus/<name>,
# <dir>/fuzz_corpus or <dir>/corpus.
seed_dir() {
  local srcfile=$1 dir name short c
  dir=$(dirname "$srcfile")
  name=$(basename "$srcfile" .c)
  short=${name#fuzz_}
  for c in "$dir/corpus/$short" "$dir/fuzz_corpus/$short" "$dir/corpus/$name" \
    "$dir/fuzz_corpus" "$dir/corpus"; do
    if [ -d "$c" ] && [ -n "$(find "$c" -maxdepth 1 -type f ! -name '.*' -print -quit)" ]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

# write_options DEFAULT SPECIFIC DICTNAME OUTFILE: DEFAULT's sections with
# SPECIFIC's keys on top, and dict = DICTNAME under [libfuzzer] when given.
write_options() {
  python3 - "$@" <<'PY'
import configparser, sys
default, specific, dict_name, out = sys.argv[1:5]
cp = configparser.ConfigParser()
cp.optionxform = str  # keep the keys' case
cp.read(default)
if specific:
    cp.read(specific)
if dict_name:
    if not cp.has_section("libfuzzer"):
        cp.add_section("libfuzzer")
    if not cp.has_option("libfuzzer", "dict"):
        cp.set("libfuzzer", "dict", dict_name)
with open(out, "w") as f:
    cp.write(f)
PY
}

mkdir -p "$OUT"
failed=0
count=0
while IFS= read -r srcfile; do
  name=$(basename "$srcfile" .c)
  bin=$(find "$build" -type f -name "$name" -perm -u+x ! -path '*/CMakeFiles/*' -print -quit)
  if [ -z "$bin" ]; then
    echo "build.sh: $srcfile produced no fuzz binary $name" >&2
    failed=1
    continue
  fi
  cp "$bin" "$OUT/$name"
  seeds=""
  if seeds=$(seed_dir "$srcfile"); then
    rm -f "$OUT/${name}_seed_corpus.zip"
    (cd "$seeds" && find . -type f ! -name '.*' | sort | zip -q -j -X -@ "$OUT/${name}_seed_corpus.zip")
  else
    echo "build.sh: no seed corpus for $srcfile" >&2
    failed=1
  fi
  dir=$(dirname "$srcfile")
  dict=""
  if [ -f "$dir/$name.dict" ]; then
    cp "$dir/$name.dict" "$OUT/$name.dict"
    dict=$name.dict
  fi
  specific=""
  [ ! -f "$dir/$name.options" ] || specific=$dir/$name.options
  write_options "$here/default.options" "$specific" "$dict" "$OUT/$name.options"
  echo "build.sh: $name (seeds: ${seeds#"$src"/}${dict:+, dict $dict}${specific:+, $name.options})"
  count=$((count + 1))
done < <(find "$src/fuzz" "$src/examples" -name 'fuzz_*.c' -type f 2>/dev/null | sort)

echo "build.sh: $count fuzz targets in $OUT"
[ "$count" -gt 0 ] || failed=1
exit "$failed"
