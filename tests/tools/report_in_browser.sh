#!/usr/bin/env bash
# The report of a tiny real experiment, rendered by headless Chromium (ctest label "browser"):
# the rendered DOM holds every variant's name and its table figures, and the screenshot is not
# blank (the variance of its pixels). Usage: report_in_browser.sh ATTNLAB_BINARY
set -euo pipefail
attnlab=$1
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "report_in_browser: chromium is not installed (bash tools/setup.sh installs it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

experiment="$(dirname "$0")/../fixtures/report_experiment.json"  # 3 variants x 2 seeds, 40 steps
"$attnlab" run "$experiment" --out "$work/runs" > "$work/run.log" 2>&1 || { cat "$work/run.log" >&2; exit 1; }
report="$work/runs/tiny_report/report.html"
[ -s "$report" ] || { echo "report_in_browser: $report was not written" >&2; exit 1; }

# Chromium refuses to run as root without --no-sandbox; its own profile keeps it off $HOME.
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir="$work/profile"
       --no-first-run --hide-scrollbars)
"$chromium" "${flags[@]}" --dump-dom "file://$report" > "$work/dom.html" 2> "$work/chromium.log" ||
  { cat "$work/chromium.log" >&2; exit 1; }
"$chromium" "${flags[@]}" --window-size=1280,2400 --screenshot="$work/shot.png" "file://$report" \
  >> "$work/chromium.log" 2>&1 || { cat "$work/chromium.log" >&2; exit 1; }

/usr/bin/python3 - "$work/dom.html" "$work/runs/tiny_report/results.csv" "$work/shot.png" <<'PY'
import csv, sys
from PIL import Image, ImageStat

dom_path, csv_path, shot_path = sys.argv[1:4]
dom = open(dom_path, encoding="utf-8").read()
rows = list(csv.DictReader(open(csv_path, encoding="utf-8")))
assert len(rows) == 3, f"results.csv has {len(rows)} rows, expected 3"
failures = []
if "<table" not in dom or "</html>" not in dom:
    failures.append("the rendered DOM has no table")
for row in rows:
    if row["variant"] not in dom:
        failures.append(f"variant {row['variant']} is not in the rendered page")
    # The table shows exact match in percent with one decimal, as results.csv's mean gives it.
    shown = f"{100 * float(row['exact_match_mean']):.1f}"
    if shown not in dom:
        failures.append(f"{row['variant']}: exact match {shown} is not in the rendered page")
for section in ("Results on the test split", "Against the baseline", "Cost", "Learning curves", "Attention"):
    if section not in dom:
        failures.append(f"section '{section}' is not in the rendered page")
if dom.count("<polyline") != 12:
    failures.append(f"{dom.count('<polyline')} curves drawn, expected 12 (2 charts x 6 runs)")
image = Image.open(shot_path).convert("L")
variance = ImageStat.Stat(image).var[0]
width, height = image.size
print(f"report_in_browser: screenshot {width}x{height}, pixel variance {variance:.1f}; DOM {len(dom)} characters")
if variance < 100:
    failures.append(f"the screenshot is nearly blank (pixel variance {variance:.1f})")
if failures:
    print("\n".join("report_in_browser: " + f for f in failures), file=sys.stderr)
    sys.exit(1)
PY
