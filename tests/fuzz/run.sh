#!/usr/bin/env bash
# tests/fuzz/run.sh: a fuzzing campaign over imsd's libFuzzer targets, one target at a time.
#
#   tests/fuzz/run.sh [target ...]     # default: every target of tests/fuzz/meson.build
#
# Builds the targets with clang, ASan and libFuzzer in $FUZZ_BUILD_DIR (configured once, as
# tests/fuzz/meson.build describes), then runs each one over a working copy of its seed corpus
# (tests/fuzz/corpus/<name>/, copied to $FUZZ_WORK_DIR/<name>/ so the repository's seeds stay small)
# with the flags of tests/fuzz/fuzz-<name>.options (OSS-Fuzz style: in [libfuzzer], key = value becomes
# -key=value, and max_len there reaches the real input limit of what the target parses; [asan] becomes
# ASAN_OPTIONS).
# Crashes, leaks, timeouts and OOMs land in $FUZZ_WORK_DIR/<name>/artifacts/.
# Prints one line per target: name, executions, seconds, exec/s, findings (record them in docs/fuzzing.md).
#
# Environment: FUZZ_RUNS (default 10000000 executions per target), FUZZ_MAX_TIME (seconds per target,
# default 0 = no limit), FUZZ_BUILD_DIR (default <repo>/build-fuzz), FUZZ_WORK_DIR (default
# <repo>/.run/fuzz), FUZZ_NICE (default 19: the campaign yields the CPU to everything else).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
work=${FUZZ_WORK_DIR:-$root/.run/fuzz}
runs=${FUZZ_RUNS:-10000000}
max_time=${FUZZ_MAX_TIME:-0}
niceness=${FUZZ_NICE:-19}

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(sed -n "/^fuzz_targets = \[/,/^\]/s/^ *'\([a-z0-9-]*\)',*$/\1/p" "$root/tests/fuzz/meson.build")
fi

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$root" -Db_sanitize=address -Db_lundef=false \
    -Dc_args=-fsanitize=fuzzer-no-link || exit 1
fi
nice -n "$niceness" ninja -C "$build" $(printf 'tests/fuzz/fuzz-%s ' "${targets[@]}") || exit 1

# The key=value lines of section $2 ([libfuzzer], [asan]) of tests/fuzz/fuzz-$1.options, as
# "-key=value" lines (format $3 = flags) or one "key=value:key=value" line (format $3 = env).
options_of() {
  local file="$root/tests/fuzz/fuzz-$1.options"
  [ -f "$file" ] || return 0
  awk -v section="[$2]" -v format="$3" '
       /^\[/ { in_section = ($0 == section); next }
       in_section && /=/ { gsub(/[ \t]/, ""); split($0, kv, "=")
                           if (format == "flags") printf "-%s=%s\n", kv[1], kv[2]
                           else line = line (line == "" ? "" : ":") kv[1] "=" kv[2] }
       END { if (format == "env" && line != "") print line }' "$file"
}

status=0
printf '%-12s %12s %8s %9s  %s\n' target executions seconds 'exec/s' findings
for name in "${targets[@]}"; do
  corpus="$work/$name"
  artifacts="$corpus/artifacts"
  mkdir -p "$corpus/inputs" "$artifacts"
  cp -n "$root/tests/fuzz/corpus/$name/"* "$corpus/inputs/" 2>/dev/null
  mapfile -t flags < <(options_of "$name" libfuzzer flags)
  asan_options=$(options_of "$name" asan env)
  log="$corpus/fuzz.log"
  start=$(date +%s)
  ASAN_OPTIONS=${asan_options:-${ASAN_OPTIONS:-}} nice -n "$niceness" "$build/tests/fuzz/fuzz-$name" "${flags[@]}" -runs="$runs" -max_total_time="$max_time" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus/inputs" >"$log" 2>&1
  rc=$?
  seconds=$(($(date +%s) - start))
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  [ -n "$executions" ] || executions=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  findings=$(ls "$artifacts" 2>/dev/null | tr '\n' ' ')
  [ -n "$findings" ] || findings=none
  [ "$rc" -eq 0 ] || { status=1; findings="$findings(exit $rc, see $log)"; }
  printf '%-12s %12s %8s %9s  %s\n' "$name" "${executions:-0}" "$seconds" \
    "$(( ${executions:-0} / (seconds > 0 ? seconds : 1) ))" "$findings"
done
exit $status
