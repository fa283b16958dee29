#!/usr/bin/env bash
# Runs every test of imsd: unit (cmocka), fuzz corpus replay, integration
# against a real PostgreSQL, and the browser tests (Playwright + Chromium, real
# WebRTC) against real PostgreSQL and S3 (s3rver), on Node.js 18 (Debian 12's)
# or later.  Installs what is missing first (IMSD_SKIP_INSTALL=1 skips that).
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$IMSD_ROOT"

[ "${IMSD_SKIP_INSTALL:-0}" = 1 ] || bash scripts/install-deps.sh || exit 1
imsd_build || exit 1
pg_url=$(bash scripts/pg.sh start | tail -n 1) || exit 1
export IMSD_DATABASE_DATABASE_URL=${IMSD_DATABASE_DATABASE_URL:-$pg_url}
export IMSD_TEST_PG=${IMSD_TEST_PG:-${pg_url%/imsd}/imsd_test}
s3_endpoint=$(bash scripts/s3.sh start | tail -n 1) || exit 1
export IMSD_TEST_S3=${IMSD_TEST_S3:-$s3_endpoint}
export IMSD_TEST_S3_BUCKET=${IMSD_TEST_S3_BUCKET:-$IMSD_S3_BUCKET}

# The browser tests' full-page screenshots (tests/browser/lib/screenshots.mjs),
# one folder per run: CI keeps it as an artifact, so the default one starts
# empty (a folder the caller names is only made, never emptied).
if [ -z "${IMSD_SCREENSHOT_DIR:-}" ]; then
  export IMSD_SCREENSHOT_DIR=$IMSD_RUN_DIR/screenshots
  rm -rf "$IMSD_SCREENSHOT_DIR"
fi
mkdir -p "$IMSD_SCREENSHOT_DIR"

passed=0
failed=0
log=$(mktemp)

echo "== meson tests (unit, fuzz replay, integration)"
meson test -C "$IMSD_BUILD_DIR" --print-errorlogs 2>&1 | tee "$log"
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
timeout=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
passed=$((passed + ${ok:-0}))
failed=$((failed + ${fail:-0} + ${timeout:-0}))
[ -n "$ok" ] || failed=$((failed + 1))

# One file at a time (a file starts its own imsd, Chromium and services), the
# same way on Node.js 18 (Debian 12's, no --test-concurrency) and 20+: node
# --test on one file runs it in one child process.  TAP is the reporter on
# both; a file counts its "# pass", and "# fail" + "# cancelled" (a hook or
# a file that timed out or crashed) as failures; a file that printed no
# summary at all counts as one failure.
# run_browser_file FILE: one file, its counts added to passed/failed.
run_browser_file() {
  echo "-- $1"
  node --test --test-reporter=tap "$1" 2>&1 | tee "$log"
  ok=$(sed -n 's/^# pass *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  fail=$(sed -n 's/^# fail *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  cancelled=$(sed -n 's/^# cancelled *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${fail:-0} + ${cancelled:-0}))
  [ -n "$ok" ] || failed=$((failed + 1))
  echo "-- $1: pass ${ok:-0}, fail $((${fail:-0} + ${cancelled:-0}))"
}

echo "== browser tests (Chromium, real WebRTC; Node.js $(node --version))"
for file in tests/browser/*.test.mjs; do
  run_browser_file "$file"
done
rm -f "$log"

echo "screenshots: $IMSD_SCREENSHOT_DIR"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
