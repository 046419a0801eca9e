#!/usr/bin/env bash
# Renders the HTML report of the demo in headless Chromium and checks, from
# the DOM after the page's own script ran, that every chart was drawn.
#
#   render_html.sh KPOOL_DEMO [SCREENSHOT.png]
#
# Exit 77 (CTest: skipped) with a printed note when no Chromium exists.
set -euo pipefail
demo=$1
shot=${2:-}
browser=""
for b in chromium chromium-browser google-chrome google-chrome-stable \
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" \
  "/Applications/Chromium.app/Contents/MacOS/Chromium"; do
  if command -v "$b" >/dev/null 2>&1 || [ -x "$b" ]; then
    browser=$b
    break
  fi
done
if [ -z "$browser" ]; then
  echo "render_html: SKIPPED: no Chromium found (Debian: apt-get install chromium)"
  exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kpool-html.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$demo" --html "$tmp/report.html" --trace "$tmp/trace.json" >"$tmp/demo.log"
[ -s "$tmp/report.html" ] || { echo "render_html: no report written"; exit 1; }
flags=(--headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars
  "--user-data-dir=$tmp/profile")
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$tmp/report.html" \
  >"$tmp/dom.html" 2>"$tmp/chromium.log" || {
  echo "render_html: chromium failed:"
  tail -n 20 "$tmp/chromium.log"
  exit 1
}
check=$(grep -o 'id="kp-check">[^<]*' "$tmp/dom.html" | sed 's/.*>//')
echo "render_html: $check"
charts=$(printf '%s\n' "$check" | sed -n 's/^charts=\([0-9]*\) drawn=\([0-9]*\)$/\1/p')
drawn=$(printf '%s\n' "$check" | sed -n 's/^charts=\([0-9]*\) drawn=\([0-9]*\)$/\2/p')
if [ -z "$charts" ] || [ "$charts" -lt 2 ] || [ "$charts" != "$drawn" ]; then
  echo "render_html: not every chart was drawn (want charts=N drawn=N, N >= 2)"
  exit 1
fi
# Every chart the page has carries data-drawn="1" once the script checked it.
n=$(grep -o 'class="kp-chart"[^>]*data-drawn="1"' "$tmp/dom.html" | wc -l | tr -d ' ')
[ "$n" = "$charts" ] || { echo "render_html: $n of $charts charts marked drawn"; exit 1; }
if [ -n "$shot" ]; then
  timeout 120 "$browser" "${flags[@]}" --window-size=1150,1700 \
    "--screenshot=$shot" "file://$tmp/report.html" >/dev/null 2>&1
  echo "render_html: screenshot $shot"
fi
echo "render_html: OK"
