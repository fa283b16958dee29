#!/usr/bin/env bash
# tests/fidelity/run.sh: the whole fidelity suite (issue 9, docs/fidelity.md),
# heavier than CI: every condition, every check enforced, figures printed.
#
#   tests/fidelity/run.sh [--hd] [--conditions a,b] [--repeat N] [--aiortc]
#
#   --hd               1280x720 media instead of 640x360 (41 MB/s of y4m in /tmp)
#   --conditions LIST  clean, stall-500ms, stall-2s, loss-5pct, reorder,
#                      bandwidth-drop, lost-for-good (default: all)
#   --repeat N         run the suite N times (default 1)
#   --aiortc           also the second sender (tests/browser/fidelity-aiortc.test.mjs:
#                      tests/fidelity/sender.py, Debian's python3-aiortc), clean
#
# Runs tests/browser/fidelity.test.mjs against BUILD_DIR/imsd (built first).
# Every condition is expected to pass every check group (the receive path,
# pipelines/ingest/; the webrtcbin ingest it replaced failed sync, frames,
# timeline and timestamps under the stalls, docs/fidelity.md).  Prints one
# line per condition and run: PASS, or FAIL with the groups that failed.
# Exit status 1 iff some line is FAIL.
# Results (one JSON line per condition and run) are kept in
# $IMSD_RUN_DIR/fidelity-results.jsonl.
set -uo pipefail
source "$(dirname "$0")/../../scripts/env.sh"
cd "$IMSD_ROOT"

conditions=all
repeat=1
aiortc=0
export IMSD_FIDELITY_SIZE=${IMSD_FIDELITY_SIZE:-640x360}
while [ $# -gt 0 ]; do
  case "$1" in
    --hd) IMSD_FIDELITY_SIZE=1280x720 ;;
    --conditions) conditions=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    --aiortc) aiortc=1 ;;
    *) echo "usage: $0 [--hd] [--conditions a,b] [--repeat N] [--aiortc]" >&2; exit 2 ;;
  esac
  shift
done

imsd_build >/dev/null || { echo "build failed" >&2; exit 1; }
[ -d tests/browser/node_modules ] || (cd tests/browser && npm install --no-audit --no-fund) || exit 1
mkdir -p "$IMSD_RUN_DIR"
results="$IMSD_RUN_DIR/fidelity-results.jsonl"
: > "$results"

for run in $(seq 1 "$repeat"); do
  echo "== fidelity run $run/$repeat ($IMSD_FIDELITY_SIZE, conditions: $conditions)"
  IMSD_FIDELITY_CONDITIONS=$conditions IMSD_FIDELITY_RESULTS=$results \
    node --test --test-concurrency=1 tests/browser/fidelity.test.mjs > "$IMSD_RUN_DIR/fidelity-run$run.log" 2>&1
  grep -E '^(not )?ok ' "$IMSD_RUN_DIR/fidelity-run$run.log" | sed 's/^/   node: /'
  if [ "$aiortc" = 1 ]; then
    IMSD_FIDELITY_RESULTS=$results \
      node --test --test-concurrency=1 tests/browser/fidelity-aiortc.test.mjs > "$IMSD_RUN_DIR/fidelity-aiortc-run$run.log" 2>&1
    grep -E '^(not )?ok ' "$IMSD_RUN_DIR/fidelity-aiortc-run$run.log" | sed 's/^/   node: /'
  fi
done

node - "$results" <<'EOF'
const fs = require('node:fs');
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
let bad = 0;
for (const r of lines) {
  const failed = r.failedChecks || [];
  const verdict = failed.length ? 'FAIL ' : 'PASS ';
  if (failed.length) bad++;
  const figures = [
    `written/sent ${r.framesWritten}/${r.framesSent}=${r.writtenPerSent}`,
    `offset-vs-sender ms [${(r.offsetErrorsMs || []).join(' ')}]`,
    `timeline max ${r.timelineMaxDeviationMs} ms`,
    `ts v/a increasing ${r.videoStrictlyIncreasing}/${r.audioStrictlyIncreasing}`,
    `gaps v/a ${r.videoLargestGapMs}/${r.audioLargestGapMs} ms`,
    `load ${r.loadAverage}`,
  ].join(', ');
  console.log(`${verdict} ${r.condition.padEnd(15)} failed: ${failed.join(',') || '-'}\n        ${figures}`);
}
if (!lines.length) { console.log('FAIL  no results (see the run logs in $IMSD_RUN_DIR)'); bad++; }
process.exit(bad ? 1 : 0);
EOF
