#!/usr/bin/env bash
# systematic.sh — systematic low resources simulation across runs: reruns a
# test program until a run fails no call site that an earlier run has not
# already failed.
#
#   scripts/systematic.sh [-f SITES_FILE] [-n MAX_RUNS] [-q] [--] COMMAND [ARGS...]
#
# Each run gets KPOOL_SYSTEMATIC_SITES=SITES_FILE in its environment. The
# program passes that path to kp_config_t::systematic_sites_file (kpool
# itself reads no environment variable) and enables
# KP_VERIFY_SYSTEMATIC_LRS: kpool then loads the sites failed so far, fails
# the first call from every other site (file:line, else return address;
# plus the tag) and appends each newly failed site to the file at once, so
# a run that crashes still records how far it got. The program must pass
# every run: it handled each failure without leaking (kp_driver_unload is
# clean) and without misbehaving.
#
# Options:
#   -f SITES_FILE  keep the sites in this file (default: a temporary file,
#                  removed at the end); an existing file is continued
#   -n MAX_RUNS    give up after this many runs (default 200)
#   -q             print only the summary
#
# Exit status: 0 when a run added no site (converged); 1 when a run failed
# (its output and the sites it added are shown); 2 when MAX_RUNS runs still
# failed new sites; 64 for a usage error.
set -u

usage() {
  sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
  exit 64
}

sites=""
max_runs=200
quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    -f) [ $# -ge 2 ] || usage; sites=$2; shift 2 ;;
    -n) [ $# -ge 2 ] || usage; max_runs=$2; shift 2 ;;
    -q) quiet=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || usage
case "$max_runs" in ''|*[!0-9]*) usage ;; esac

tmp_dir=$(mktemp -d "${TMPDIR:-/tmp}/kpool-systematic.XXXXXX") || exit 1
keep_sites=1
if [ -z "$sites" ]; then
  sites=$tmp_dir/sites
  keep_sites=0
fi
cleanup() {
  if [ "$keep_sites" -eq 0 ]; then rm -f "$sites"; fi
  rm -rf "$tmp_dir"
}
trap cleanup EXIT

count_sites() {
  if [ -f "$sites" ]; then
    # Site lines only (F ... / A ...); anything else is not a site.
    grep -c '^[FA] ' "$sites" || true
  else
    echo 0
  fi
}

say() { [ "$quiet" -eq 1 ] || echo "$@"; }

export KPOOL_SYSTEMATIC_SITES=$sites
before=$(count_sites)
say "systematic: $* (sites file $sites, $before site(s) already failed)"
run=0
while [ "$run" -lt "$max_runs" ]; do
  run=$((run + 1))
  log=$tmp_dir/run.log
  "$@" >"$log" 2>&1
  status=$?
  after=$(count_sites)
  added=$((after - before))
  if [ "$status" -ne 0 ]; then
    echo "systematic: run $run FAILED (exit $status) after failing $added new site(s):"
    if [ "$added" -gt 0 ]; then tail -n "$added" "$sites" | sed 's/^/  site: /'; fi
    echo "--- output of run $run ---"
    cat "$log"
    exit 1
  fi
  if [ "$added" -eq 0 ]; then
    echo "systematic: converged after $run run(s): $after site(s) failed, each once; every run passed"
    exit 0
  fi
  say "systematic: run $run passed, $added new site(s) failed (total $after)"
  before=$after
done
echo "systematic: still failing new sites after $max_runs runs ($before so far); raise -n"
exit 2
